"""Column reads that skip the ORM's row loading, and the id lists they bind as numbers.

A `select()` of plain columns run through `Session.execute` still goes through the ORM: it
sets up an ORM compile state and passes every row through a list of per-column getters. For
the summary's 300,000 rows at 5,000 services that was about a third of the time spent on rows,
so the bulk column reads run through Core on the session's own connection (same transaction,
same statement cache), and come back as plain `Row`s, all fetched at once.

Core does not autoflush: these reads are for read paths, where nothing is pending.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, TypeVarTuple

from sqlalchemy import BindParameter, Integer, Row, Select, bindparam
from sqlalchemy.orm import Session

_Columns = TypeVarTuple("_Columns")


def read_rows(
    session: Session, statement: Select[*_Columns], params: Mapping[str, Any] | None = None
) -> Sequence[Row[*_Columns]]:
    """Run a SELECT of columns (no ORM entities) on the session's connection, through Core,
    and fetch every row at once (iterating a Core result fetches one row per call). `params`
    binds a statement built once with `bindparam`s."""
    return session.connection().execute(statement, params).all()


def literal_ids(key: str) -> BindParameter[Any]:
    """`column.in_(literal_ids(...))`: a list of integer ids bound as one parameter and written
    into the SQL as numbers, not one placeholder each. A list line of 5,000 services binds
    thousands of ids, and psycopg parses a statement's placeholders afresh for every statement
    too long for its cache: that parse was a third of `/assess list` on PostgreSQL. Integers
    rendered as literals cannot carry SQL, and SQLAlchemy still caches the statement with one
    placeholder for the list. For statements built once: the ids are given when it runs."""
    return bindparam(key, type_=Integer(), expanding=True, literal_execute=True)
