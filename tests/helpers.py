"""Helpers shared by the engine tests: sample files and a row-by-row comparison of both sides."""

from __future__ import annotations

import math
import sqlite3
import struct
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql

from app.core.ailt_schema import create_sqlite_schema_sql
from app.core.values import parse_sqlite_timestamp
from app.sample.generator import generate


def sample_db(
    tmp_path: Path,
    *,
    sessions: int = 3,
    older: bool = False,
    extra_tables: bool = False,
    name: str = "session_data.sqlite",
) -> Path:
    """A realistic AI Log Trail file made by the project's generator."""
    path = tmp_path / name
    generate(path, sessions=sessions, seed=7, with_redactions=not older, extra_tables=extra_tables)
    return path


def empty_ailt_db(tmp_path: Path, name: str = "tiny.sqlite") -> sqlite3.Connection:
    """An AI Log Trail schema with no rows, open for a test to insert exactly what it needs."""
    conn = sqlite3.connect(tmp_path / name)
    conn.executescript(create_sqlite_schema_sql())
    return conn


def sqlite_rows(path: Path, table: str) -> list[tuple[Any, ...]]:
    """All rows of a table ordered by id, with the raw bytes of text values."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    conn.text_factory = bytes
    try:
        return conn.execute(f'SELECT * FROM "{table}" ORDER BY 1').fetchall()
    finally:
        conn.close()


def postgres_rows(conn: psycopg.Connection, table: str) -> list[tuple[Any, ...]]:
    """All rows of a table ordered by its first column."""
    query = sql.SQL("SELECT * FROM {} ORDER BY 1").format(sql.Identifier(table))
    return conn.execute(query).fetchall()


def same_value(sqlite_value: Any, pg_value: Any) -> bool:
    """Exact equality across the engines: text byte for byte, floats bit for bit, instants."""
    if sqlite_value is None or pg_value is None:
        return sqlite_value is None and pg_value is None
    if isinstance(pg_value, datetime):
        moment = parse_sqlite_timestamp(sqlite_value.decode())
        return moment == pg_value
    if isinstance(pg_value, float):
        if math.isnan(pg_value):
            return math.isnan(float(sqlite_value))
        return struct.pack(">d", float(sqlite_value)) == struct.pack(">d", pg_value)
    if isinstance(pg_value, str):
        return bool(sqlite_value == pg_value.encode("utf-8"))
    if isinstance(pg_value, Decimal):  # exact: a double's shortest round-trip decimal
        exact = (
            Decimal(repr(sqlite_value))
            if isinstance(sqlite_value, float)
            else Decimal(sqlite_value)
        )
        return exact == pg_value
    return bool(sqlite_value == pg_value)


def assert_tables_identical(path: Path, conn: psycopg.Connection, table: str) -> int:
    """Compare every value of ``table`` on both sides; returns the row count."""
    left, right = sqlite_rows(path, table), postgres_rows(conn, table)
    assert len(left) == len(right), f"{table}: {len(left)} rows in SQLite, {len(right)} in PG"
    for a, b in zip(left, right, strict=True):
        assert len(a) == len(b)
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            assert same_value(x, y), f"{table} row id={a[0]} column {i}: {x!r} != {y!r}"
    return len(left)
