"""Action and callback ids of the outcome measures surfaces, shared by builders and listeners."""

from __future__ import annotations

from typing import Final

ADD_MEASURE: Final = "outcome_add_measure"
RECORD_READINGS: Final = "outcome_record_readings"
MEASURE_MENU: Final = "outcome_measure_menu"
MEASURE_NEW_VIEW: Final = "outcome_measure_new"
MEASURE_EDIT_VIEW: Final = "outcome_measure_edit"
RECORD_VIEW: Final = "outcome_record"

# Input blocks of the measure modal: block_id == field name, so errors land on the field.
MEASURE_FIELDS: Final = (
    "template",
    "name",
    "counts",
    "unit",
    "better_when",
    "target",
    "frequency",
    "source",
    "points",
)
PERIOD_BLOCK: Final = "period"
NOTE_BLOCK: Final = "note"
CONFIRM_BLOCK: Final = "correct"
CONFIRM_VALUE: Final = "correct"
READING_BLOCK_PREFIX: Final = "reading_"


def reading_block(measure_id: int) -> str:
    return f"{READING_BLOCK_PREFIX}{measure_id}"
