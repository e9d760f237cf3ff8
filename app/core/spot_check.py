"""A spot check a person can read: sampled rows of every table, each cell read afresh from
SQLite and from PostgreSQL and shown side by side.

The checksums already compared every value; this shows some of them, read independently of the
migration (a new SQLite snapshot, a new PostgreSQL connection), so a user can see with their own
eyes that the raw JSON and the numbers arrived.
"""

from __future__ import annotations

import math
import struct
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql

from app.core.connect import PasswordLookup, connect
from app.core.dsn import Target
from app.core.source import SourceTable, SqliteSource, _quote
from app.core.values import parse_sqlite_timestamp

ROWS_PER_TABLE = 3  # first, middle and last row by key
MAX_CHARS = 2000  # what a sample keeps of a long value (the comparison uses all of it)


@dataclass(frozen=True)
class Sample:
    """One cell on both sides, as text a person can read."""

    table: str
    column: str
    id: object
    sqlite_value: str | None
    postgres_value: str | None
    same: bool = True


def sample_rows(
    source_path: Path,
    target: Target,
    *,
    seed: int = 0,
    keyring_lookup: PasswordLookup | None = None,
    rows_per_table: int = ROWS_PER_TABLE,
) -> list[Sample]:
    """Sample rows spread over every table that has rows (and an integer key) and compare
    each cell exactly: text byte for byte, reals bit for bit, timestamps as instants.

    ``seed`` shifts which rows are picked (first, middle and last by default). Raises
    ``ConnectFailed`` or ``BadInput`` like the migration.
    """
    samples: list[Sample] = []
    connected = connect(target, keyring_lookup=keyring_lookup, autocommit=True)
    with SqliteSource(Path(source_path)) as src, connected.conn as conn:
        for table in src.tables:
            if table.integer_pk is None or not _exists(conn, table.name):
                continue
            for key in _keys(src, table, seed, rows_per_table):
                samples += _row(src, conn, table, key)
    return samples


def _exists(conn: psycopg.Connection, name: str) -> bool:
    return conn.execute(
        "SELECT to_regclass(%s) IS NOT NULL", [sql.Identifier(name).as_string(conn)]
    ).fetchone() == (True,)


def _keys(src: SqliteSource, table: SourceTable, seed: int, n: int) -> list[int]:
    key = _quote(table.integer_pk or "rowid")
    count = src.conn.execute(f"SELECT count(*) FROM {_quote(table.name)}").fetchone()[0]
    if not count:
        return []
    offsets = sorted({(seed + i * max(count - 1, 1) // max(n - 1, 1)) % count for i in range(n)})
    keys = []
    for off in offsets:
        row = src.conn.execute(
            f"SELECT {key} FROM {_quote(table.name)} ORDER BY {key} LIMIT 1 OFFSET ?", [off]
        ).fetchone()
        if row is not None:
            keys.append(int(row[0]))
    return keys


def _row(src: SqliteSource, conn: psycopg.Connection, table: SourceTable, key: int) -> list[Sample]:
    columns = [c.name for c in table.columns]
    src.conn.text_factory = bytes
    try:
        mine = src.conn.execute(
            f"SELECT {', '.join(_quote(c) for c in columns)} FROM {_quote(table.name)} "
            f"WHERE {_quote(table.integer_pk or 'rowid')} = ?",
            [key],
        ).fetchone()
    finally:
        src.conn.text_factory = str
    theirs = conn.execute(
        sql.SQL("SELECT {} FROM {} WHERE {} = %s").format(
            sql.SQL(", ").join(map(sql.Identifier, columns)),
            sql.Identifier(table.name),
            sql.Identifier(table.integer_pk or "id"),
        ),
        [key],
    ).fetchone()
    out = []
    for i, column in enumerate(columns):
        a = mine[i] if mine else None
        b = theirs[i] if theirs else None
        out.append(
            Sample(
                table.name, column, key, _show(a), _show(b), theirs is not None and same_value(a, b)
            )
        )
    return out


def same_value(sqlite_value: Any, pg_value: Any) -> bool:
    """Exact equality across the engines (SQLite text arrives here as bytes)."""
    if sqlite_value is None or pg_value is None:
        return sqlite_value is None and pg_value is None
    if isinstance(pg_value, datetime):
        text = sqlite_value.decode() if isinstance(sqlite_value, bytes) else str(sqlite_value)
        return parse_sqlite_timestamp(text) == pg_value
    if isinstance(pg_value, float):
        if math.isnan(pg_value):
            return False
        return struct.pack(">d", float(sqlite_value)) == struct.pack(">d", pg_value)
    if isinstance(pg_value, Decimal):
        return (
            Decimal(repr(sqlite_value) if isinstance(sqlite_value, float) else str(sqlite_value))
            == pg_value
        )
    if isinstance(pg_value, str):
        return bool(sqlite_value == pg_value.encode("utf-8"))
    if isinstance(pg_value, memoryview | bytes):
        return bytes(pg_value) == sqlite_value
    return bool(sqlite_value == pg_value)


def _show(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bytes | memoryview):
        raw = bytes(value)
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            text = "0x" + raw[: MAX_CHARS // 2].hex()
    elif isinstance(value, float):
        text = repr(value)
    elif isinstance(value, datetime):
        text = value.isoformat(sep=" ")
    else:
        text = str(value)
    return text if len(text) <= MAX_CHARS else text[:MAX_CHARS] + "…"
