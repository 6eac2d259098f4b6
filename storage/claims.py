"""Claim-by-insert: the database decides who does a thing, exactly once.

`INSERT … ON CONFLICT DO NOTHING RETURNING` is atomic on both PostgreSQL and SQLite (3.35+)
and, unlike catching an IntegrityError, does not abort a PostgreSQL transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import InstrumentedAttribute, Session


def insert_once(
    model: type[Any],
    values: dict[str, Any],
    *,
    conflict_columns: Sequence[str],
    returning: InstrumentedAttribute[Any],
    session: Session,
) -> Any | None:
    """Insert the row unless its key exists; the `returning` value only for the winner."""
    statement = (
        dialect_insert(session)(model)
        .values(**values)
        .on_conflict_do_nothing(index_elements=list(conflict_columns))
        .returning(returning)
    )
    return session.execute(statement).scalar_one_or_none()


def dialect_insert(session: Session) -> Any:
    """The INSERT construct with ON CONFLICT support for the session's database."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        return postgresql.insert
    if dialect == "sqlite":
        return sqlite.insert
    raise RuntimeError(f"assessbot needs PostgreSQL or SQLite, not {dialect}")
