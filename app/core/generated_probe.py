"""Try a generated column's PostgreSQL expression on SQLite's own rows before relying on it.

A translation can be valid SQL and still compute something else: SQLite's ``lower()`` folds
ASCII only, text and number comparisons differ, PostgreSQL wants an immutable expression. So
the rehearsal loads the table's other columns into a temporary table (rolled back with the
rehearsal), lets PostgreSQL compute the column, and compares every value with what SQLite
computed. Any difference keeps SQLite's values in a plain column instead.
"""

from __future__ import annotations

import math
from typing import Any

import psycopg
from psycopg import sql

from app.core.source import SqliteSource, _quote, order_key
from app.core.target_schema import BYTEA, TIMESTAMPTZ, ColumnMap, TableMap
from app.core.values import parse_sqlite_timestamp

PROBE = "_ailt_generated_probe"
MAX_ROWS = 200_000  # beyond this, verification still compares every value


def check(conn: psycopg.Connection, src: SqliteSource, tm: TableMap, col: ColumnMap) -> str | None:
    """None when PostgreSQL's expression computes SQLite's values; else why not."""
    others = [c for c in tm.columns if c.generated is None and c is not col]
    defs = [sql.SQL("{} {}").format(c.ident, sql.SQL(c.pg_type)) for c in others]
    defs.append(
        sql.SQL("{} {} GENERATED ALWAYS AS ({}) STORED").format(
            col.ident, sql.SQL(col.pg_type), sql.SQL(col.generated or "NULL")
        )
    )
    try:
        with conn.transaction():
            conn.execute(
                sql.SQL("CREATE TEMP TABLE {} (_ailt_ord bigint, {}) ON COMMIT DROP").format(
                    sql.Identifier(PROBE), sql.SQL(", ").join(defs)
                )
            )
            return _compare(conn, src, tm, col, others)
    except psycopg.Error as exc:
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        return f"PostgreSQL cannot compute it ({first})"
    finally:
        _drop(conn)


def _drop(conn: psycopg.Connection) -> None:
    try:
        with conn.transaction():
            conn.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(sql.Identifier(PROBE)))
    except psycopg.Error:
        pass


def _compare(
    conn: psycopg.Connection,
    src: SqliteSource,
    tm: TableMap,
    col: ColumnMap,
    others: list[ColumnMap],
) -> str | None:
    names = ", ".join(_quote(c.name) for c in others)
    rows = src.conn.execute(
        f"SELECT {names}{', ' if names else ''}{_quote(col.name)} FROM {_quote(tm.name)} "
        f"ORDER BY {order_key(tm.source)} LIMIT {MAX_ROWS}"
    ).fetchall()
    copy = sql.SQL("COPY {} (_ailt_ord{}) FROM STDIN").format(
        sql.Identifier(PROBE), sql.SQL("").join(sql.SQL(", ") + c.ident for c in others)
    )
    with conn.cursor() as cur, cur.copy(copy) as cp:
        for i, row in enumerate(rows):
            cp.write_row((i, *(for_copy(c, v) for c, v in zip(others, row, strict=False))))
    computed = conn.execute(
        sql.SQL("SELECT {} FROM {} ORDER BY _ailt_ord").format(col.ident, sql.Identifier(PROBE))
    ).fetchall()
    for i, (row, (theirs,)) in enumerate(zip(rows, computed, strict=True)):
        if not _same(row[-1], theirs):
            return (
                f"PostgreSQL's translation computes other values (row {i + 1}: SQLite "
                f"{row[-1]!r}, PostgreSQL {theirs!r})"
            )
    return None


def for_copy(col: ColumnMap, value: Any) -> Any:
    """A SQLite value as text COPY into ``col`` takes it."""
    if value is None:
        return None
    if col.kind == BYTEA and not isinstance(value, bytes):
        return str(value).encode()
    if col.kind == TIMESTAMPTZ:
        return parse_sqlite_timestamp(str(value))
    if col.pg_type.upper() == "TEXT" and not isinstance(value, str | bytes):
        return repr(value) if isinstance(value, float) else str(value)
    return value


def _same(mine: Any, theirs: Any) -> bool:
    if mine is None or theirs is None:
        return mine is None and theirs is None
    if isinstance(mine, int | float) and not isinstance(theirs, str | bytes):
        a, b = float(mine), float(theirs)
        if math.isnan(a) or math.isnan(b):
            return math.isnan(a) and math.isnan(b)
        return (mine == theirs) if isinstance(mine, int) and isinstance(theirs, int) else a == b
    if isinstance(theirs, bytes | memoryview):
        return bytes(theirs) == (mine if isinstance(mine, bytes) else str(mine).encode())
    return str(mine) == str(theirs)
