"""Stream one table from SQLite into PostgreSQL with COPY, hashing the canonical form on the way.

Rows are rendered to COPY text by psycopg's own (C-accelerated) formatter, written in batches, and
hashed as sent: PostgreSQL prints text, integers and our timestamp form back byte for byte, so the
target's ``COPY ... TO STDOUT`` must hash the same. Floats are hashed as their 8 IEEE bytes.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Sequence
from typing import Any

import psycopg
from psycopg import sql
from psycopg._copy_base import TextFormatter  # the formatter COPY itself uses
from psycopg.adapt import Transformer

from app.core.checksum import Checksum
from app.core.errors import Cancelled
from app.core.scan import REPLACE_INVALID_UTF8, STRIP_NUL, Problem
from app.core.source import SqliteSource
from app.core.target_schema import BYTEA, FLOAT, FLOAT4, TEXT, TIMESTAMPTZ, ColumnMap, TableMap
from app.core.values import float4_rounded, parse_sqlite_timestamp, pg_timestamptz_text

Row = Sequence[Any]
Convert = Callable[[Any], Any]
_PACK = struct.Struct(">d").pack


def copy_table(
    conn: psycopg.Connection,
    src: SqliteSource,
    tm: TableMap,
    *,
    freeze: bool,
    batch_size: int,
    repairs: frozenset[str],
    problems: list[Problem],
    on_rows: Callable[[int], None],
    is_cancelled: Callable[[], bool],
) -> tuple[Checksum, list[Problem]]:
    """Copy ``tm`` and return the source-side checksum and the values that were repaired."""
    sent = [_sent_converter(c) for c in tm.columns]
    canon = [_canonical_converter(c) for c in tm.columns]
    repair = _Repairer(tm, repairs, problems)
    checksum = Checksum(ordered=tm.source.integer_pk is not None)
    stmt = sql.SQL("COPY {} ({}) FROM STDIN{}").format(
        tm.ident, sql.SQL(", ").join(map(sql.Identifier, tm.column_names)),
        sql.SQL(" (FREEZE)") if freeze else sql.SQL(""))
    with conn.cursor() as cur:
        fmt = TextFormatter(Transformer(cur))
        canon_fmt = TextFormatter(Transformer(cur)) if any(canon) else None
        done = 0
        with repair.decoding(src), cur.copy(stmt) as cp:
            for batch in src.rows(tm.source, tm.column_names, batch_size):
                if is_cancelled():
                    raise Cancelled("Cancelled: nothing was committed, the target is unchanged.")
                rows = repair.apply(batch)
                if any(sent):
                    rows = [_convert(r, sent) for r in rows]
                for row in rows:
                    data = fmt.write_row(row)
                    if data:
                        cp.write(data)
                        if canon_fmt is None:
                            checksum.update(data)
                if canon_fmt is not None:
                    for row in rows:
                        checksum.update(canon_fmt.write_row(_convert(row, canon)))
                done += len(rows)
                on_rows(done)
            tail = fmt.end()
            if tail:
                cp.write(tail)
                if canon_fmt is None:
                    checksum.update(tail)
            if canon_fmt is not None:
                checksum.update(canon_fmt.end())
    return checksum, repair.changed


def _convert(row: Row, converters: list[Convert | None]) -> tuple[Any, ...]:
    return tuple(v if f is None or v is None else f(v)
                 for v, f in zip(row, converters, strict=True))


def _sent_converter(col: ColumnMap) -> Convert | None:
    """How a value is sent (None: as SQLite gave it)."""
    if col.kind == TIMESTAMPTZ:
        return _timestamp
    if col.kind == FLOAT4:
        return float4_rounded  # exact in float32, so PostgreSQL stores exactly this value
    if col.kind == BYTEA:
        return _to_bytes
    return None


def _canonical_converter(col: ColumnMap) -> Convert | None:
    """How a value is hashed when that differs from how it is sent: floats as IEEE bytes."""
    if col.kind == FLOAT:
        return lambda v: _PACK(float(v))
    if col.kind == FLOAT4:
        return lambda v: _PACK(float4_rounded(float(v)))
    if col.kind == TIMESTAMPTZ:
        return _timestamp
    if col.kind == BYTEA:
        return _to_bytes
    return None


def _timestamp(value: Any) -> str:
    moment = parse_sqlite_timestamp(str(value))
    if moment is None:  # the scan refuses these before any copy starts
        raise ValueError(f"not a timestamp: {value!r}")
    return pg_timestamptz_text(moment)


def _to_bytes(value: Any) -> bytes:
    if isinstance(value, bytes):
        return value
    return str(value).encode("utf-8")


class _Repairer:
    """Applies the repairs the user chose to the rows the scan flagged, and records each change."""

    def __init__(self, tm: TableMap, repairs: frozenset[str], problems: list[Problem]) -> None:
        mine = [p for p in problems if p.table == tm.name and p.repair in repairs]
        self.changed: list[Problem] = []
        self.nul_cells = {(p.id, p.column) for p in mine if p.repair == STRIP_NUL}
        self.utf8 = {(p.id, p.column) for p in mine if p.repair == REPLACE_INVALID_UTF8}
        self.key_index = (tm.column_names.index(tm.source.integer_pk)
                          if tm.source.integer_pk else None)
        self.text_index = {c.name: i for i, c in enumerate(tm.columns)
                           if c.kind in (TEXT, TIMESTAMPTZ)}
        self.table = tm.name

    def decoding(self, src: SqliteSource) -> _Decoding:
        """While copying a table with undecodable text, decode with U+FFFD replacement."""
        return _Decoding(src, bool(self.utf8))

    def apply(self, batch: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
        """Strip NULs from flagged cells; note the cells whose bytes were replaced."""
        if not (self.nul_cells or self.utf8) or self.key_index is None:
            return batch
        out = []
        for row in batch:
            key = row[self.key_index]
            for column in [c for (k, c) in self.utf8 if k == key]:
                self.changed.append(Problem(self.table, key, column, "utf8",
                                            repaired="invalid bytes replaced with U+FFFD"))
            cells = [c for (k, c) in self.nul_cells if k == key]
            if cells:
                values = list(row)
                for column in cells:
                    i = self.text_index[column]
                    values[i] = values[i].replace("\x00", "")
                    self.changed.append(Problem(self.table, key, column, "nul",
                                                repaired="NUL characters removed"))
                row = tuple(values)
            out.append(row)
        return out


class _Decoding:
    """Context manager switching the SQLite connection to lenient UTF-8 decoding."""

    def __init__(self, src: SqliteSource, lenient: bool) -> None:
        self.src, self.lenient = src, lenient

    def __enter__(self) -> None:
        if self.lenient:
            self.src.conn.text_factory = lambda b: b.decode("utf-8", "replace")

    def __exit__(self, *exc: object) -> None:
        self.src.conn.text_factory = str
