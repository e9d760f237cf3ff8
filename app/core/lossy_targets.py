"""Existing target columns that cannot hold every value exactly: widen them, or accept.

A target created beforehand (AI Log Trail's own PostgreSQL schema has 4-byte ``real`` columns,
``integer`` ids) may not hold a SQLite value exactly. The dry run lists every such value; by
default execute refuses. The user may choose, per run, to widen those columns (``ALTER TABLE
... ALTER COLUMN ... TYPE``, inside the migration's transaction: AI Log Trail keeps working with
the wider type) or to accept the change, in which case every changed value is reported and
verification compares against the values as accepted.
"""

from __future__ import annotations

from psycopg import sql

from app.core.inventory import Kind, SchemaObject, Verdict
from app.core.scan import ACCEPT_LOSSY, WIDEN, Problem, ProblemCode
from app.core.schema_plan import DdlStep, Phase, SchemaPlan
from app.core.target_schema import (
    BINARY_TYPES,
    FLOAT,
    FLOAT4,
    INT,
    NUMERIC,
    TEXT,
    ColumnMap,
    TableMap,
)

WIDER = {FLOAT4: "double precision", INT: "bigint", TEXT: "text"}


def decide(
    schema: SchemaPlan, maps: list[TableMap], problems: list[Problem], repairs: frozenset[str]
) -> None:
    """Apply the user's choice to the columns that hold lossy or out-of-range values."""
    columns: dict[tuple[str, str], int] = {}
    for p in problems:
        if p.code in (ProblemCode.LOSSY, ProblemCode.RANGE):
            columns[(p.table, p.column)] = columns.get((p.table, p.column), 0) + 1
    by_name = {tm.name: tm for tm in maps}
    for (table, column), n in columns.items():
        tm = by_name[table]
        if not tm.exists:
            continue
        col = tm.column(column)
        if WIDEN in repairs:
            _widen(schema, tm, col, n)
        elif ACCEPT_LOSSY in repairs:
            col.accept_lossy = True


def _widen(schema: SchemaPlan, tm: TableMap, col: ColumnMap, n: int) -> None:
    wider = (
        "numeric" if col.kind == FLOAT or col.numeric_typmod is not None else WIDER.get(col.kind)
    )
    if wider is None:
        return
    obj = SchemaObject(
        Kind.COLUMN,
        f"{tm.name}.{col.name}",
        tm.name,
        Verdict.TRANSLATED,
        f"widened from {col.pg_type}: it cannot hold {n} value(s) exactly",
        wider,
    )
    schema.objects.append(obj)
    schema.steps.append(
        DdlStep(
            Phase.DEFAULT,
            tm.name,
            sql.SQL("ALTER TABLE {} ALTER COLUMN {} TYPE " + wider).format(tm.ident, col.ident),
            obj,
            required=True,
            advice=f"widening needs the owner of {tm.name} and no view or rule depending on "
            f"the column; or choose --repair {ACCEPT_LOSSY} instead",
        )
    )
    if col.numeric_typmod is not None:
        col.pg_type, col.numeric_typmod = wider, None  # kind stays: read back exactly
        return
    col.pg_type = wider
    col.kind = (
        NUMERIC
        if wider == "numeric"
        else {"double precision": FLOAT, "bigint": INT, "text": TEXT}[wider]
    )
    col.binary_type = BINARY_TYPES.get(wider)
    col.int_range = None
    col.max_chars = None
