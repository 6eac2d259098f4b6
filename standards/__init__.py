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
from standards.measure_loader import (
    MeasureTemplateError,
    builtin_outcomes_dir,
    check_measure_file,
    load_measure_templates,
)
from standards.measures import (
    SERVICE_TYPES,
    BetterWhen,
    Frequency,
    MeasureLibrary,
    MeasureTemplate,
    MeasureTemplateSet,
    PointLink,
    Unit,
)

__all__ = [
    "PHASES",
    "SERVICE_TYPES",
    "TITLE_SOURCES",
    "BetterWhen",
    "Catalogue",
    "Frequency",
    "MeasureLibrary",
    "MeasureTemplate",
    "MeasureTemplateError",
    "MeasureTemplateSet",
    "Point",
    "PointLink",
    "Question",
    "Standard",
    "StandardFileError",
    "Unit",
    "builtin_outcomes_dir",
    "builtin_standards_dir",
    "check_measure_file",
    "check_standard_file",
    "load_catalogue",
    "load_measure_templates",
    "load_standard_file",
]
