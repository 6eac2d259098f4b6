"""Service standards as data, and the strict loader that turns them into frozen objects.

The rest of the bot imports from here rather than from ``standards.loader`` so the file
layout can change without touching callers.
"""

from standards.loader import (
    PHASES,
    TITLE_SOURCES,
    Catalogue,
    Point,
    Question,
    Standard,
    StandardFileError,
    builtin_standards_dir,
    check_standard_file,
    load_catalogue,
    load_standard_file,
)

__all__ = [
    "PHASES",
    "TITLE_SOURCES",
    "Catalogue",
    "Point",
    "Question",
    "Standard",
    "StandardFileError",
    "builtin_standards_dir",
    "check_standard_file",
    "load_catalogue",
    "load_standard_file",
]
