"""Service standards as data, and the strict loader that turns them into frozen objects.

The rest of the bot imports from here rather than from ``standards.loader`` so the file
layout can change without touching callers.
"""

from standards.loader import (
    OUTCOME_ABOUT,
    PHASES,
    TITLE_SOURCES,
    Catalogue,
    Outcome,
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
    check_outcome_links,
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
    "OUTCOME_ABOUT",
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
    "Outcome",
    "Point",
    "PointLink",
    "Question",
    "Standard",
    "StandardFileError",
    "Unit",
    "builtin_outcomes_dir",
    "builtin_standards_dir",
    "check_measure_file",
    "check_outcome_links",
    "check_standard_file",
    "load_catalogue",
    "load_measure_templates",
    "load_standard_file",
]
