"""Saving measures and readings: validate everything, then write, inside the caller's transaction.

The listener asks Slack who may act first and owns the transaction; these functions only check
the form against the service, its standard and the templates, and append rows when (and only
when) everything is valid, so a bad field never leaves half a save behind.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.core.outcome_forms import (
    FieldErrors,
    MeasureForm,
    ReadingToSave,
    check_measure_form,
    check_readings,
)
from standards import Catalogue, MeasureLibrary
from storage.models import Measure, Service
from storage.outcome_queries import (
    MeasureFields,
    add_measure,
    add_reading,
    measures_for_service,
    update_measure,
)
from storage.values import MeasureView


def save_measure(
    form: MeasureForm,
    *,
    session: Session,
    service: Service,
    catalogue: Catalogue,
    library: MeasureLibrary,
    user_id: str,
    now: datetime,
    editing: Measure | None = None,
) -> Measure | FieldErrors:
    checked = check_measure_form(form, library=library, standard=catalogue.get(service.standard_id))
    if not isinstance(checked, MeasureFields):
        return checked
    if editing is None:
        return add_measure(
            session=session, service=service, fields=checked, user_id=user_id, now=now
        )
    update_measure(session=session, measure=editing, fields=checked, now=now)
    return editing


def save_readings(
    *,
    session: Session,
    service: Service,
    month_start: date | None,
    values: Mapping[int, str],
    note: str,
    confirm_corrections: bool,
    today: date,
    user_id: str,
    now: datetime,
    period_block: str,
    block_for: Mapping[int, str],
) -> tuple[list[ReadingToSave], list[MeasureView]] | FieldErrors:
    """Append one reading per filled-in measure, or return every problem and append nothing."""
    measures = measures_for_service(session=session, service_id=service.id)
    checked = check_readings(
        month_start=month_start,
        values=values,
        measures=measures,
        today=today,
        confirm_corrections=confirm_corrections,
        period_block=period_block,
        block_for=block_for,
    )
    if not isinstance(checked, list):
        return checked
    rows = {
        m.id: m for m in session.scalars(select(Measure).where(Measure.service_id == service.id))
    }
    for reading in checked:
        add_reading(
            session=session,
            measure=rows[reading.measure_id],
            period=reading.period,
            value=reading.value,
            note=note.strip(),
            user_id=user_id,
            now=now,
        )
    return checked, measures
