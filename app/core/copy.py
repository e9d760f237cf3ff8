"""Stream one table from SQLite into PostgreSQL with COPY, hashing the canonical form on the way.

Rows are rendered by psycopg's own C-accelerated COPY formatters and written in large chunks.
Binary COPY is used whenever every column has an exact binary type: PostgreSQL parses it faster,
and its ``COPY ... TO STDOUT (FORMAT BINARY)`` returns the very same bytes, so the bytes we send
are the canonical form verification compares. Tables that need text COPY are hashed in text
form, with floats as their 8 IEEE bytes so both sides render them identically.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

import psycopg
from psycopg import sql
from psycopg._copy_base import BinaryFormatter, Formatter, TextFormatter
from psycopg.adapt import Transformer
from psycopg.copy import QueuedLibpqWriter
from psycopg.pq import Format

from app.core.checksum import Checksum
from app.core.errors import Cancelled
from app.core.scan import REPLACE_INVALID_UTF8, STRIP_NUL, Problem
from app.core.source import SqliteSource
from app.core.target_schema import (
    BYTEA,
    FLOAT,
    FLOAT4,
    TEXT,
    TIMESTAMPTZ,
    ColumnMap,
    TableMap,
)
from app.core.values import float4_rounded, parse_sqlite_timestamp, pg_timestamptz_text

Row = Sequence[Any]
Convert = Callable[[Any], Any]
_PACK = struct.Struct(">d").pack
CANCELLED = "Cancelled: nothing was committed, the target is unchanged."


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
    repair = _Repairer(tm, repairs, problems)
    checksum = Checksum(ordered=tm.source.integer_pk is not None, text=not tm.binary)
    options = [sql.SQL("FORMAT BINARY")] if tm.binary else []
    if freeze:
        options.append(sql.SQL("FREEZE"))
    stmt = sql.SQL("COPY {} ({}) FROM STDIN{}").format(
        tm.ident, sql.SQL(", ").join(map(sql.Identifier, tm.column_names)),
        sql.SQL(" ({})").format(sql.SQL(", ").join(options)) if options else sql.SQL(""))
    with conn.cursor() as cur:
        plan = _binary_plan(cur, tm) if tm.binary else _text_plan(cur, tm)
        done = 0
        # The queued writer feeds the socket from a thread, so this thread keeps reading SQLite
        # and formatting rows while the server is busy parsing the previous chunk.
        with repair.decoding(src), cur.copy(stmt, writer=QueuedLibpqWriter(cur)) as cp:
            for batch in src.rows(tm.source, tm.column_names, batch_size):
                if is_cancelled():
                    raise Cancelled(CANCELLED)
                rows = repair.apply(batch)
                plan.write(rows, cp.write, checksum)
                done += len(rows)
                on_rows(done)
            plan.finish(cp.write, checksum)
    if tm.binary:
        checksum.rows = done
    return checksum, repair.changed


class _RowPlan:
    """Formats rows for sending, and feeds the canonical form to the checksum."""

    def __init__(self, sent: Formatter, sent_conv: list[Convert | None],
                 canon: Formatter | None = None,
                 canon_conv: list[Convert | None] | None = None) -> None:
        self.sent, self.canon = sent, canon
        self.sent_conv = sent_conv if any(sent_conv) else None
        self.canon_conv = canon_conv or []

    def write(self, rows: list[tuple[Any, ...]], send: Callable[[Any], None],
              checksum: Checksum) -> None:
        fmt = self.sent.write_row
        if self.sent_conv is not None:
            rows = [_convert(r, self.sent_conv) for r in rows]
        for row in rows:
            data = fmt(row)
            if data:
                send(data)
                if self.canon is None:
                    checksum.update(data)
        if self.canon is not None:
            for row in rows:
                checksum.update(self.canon.write_row(_convert(row, self.canon_conv)))

    def finish(self, send: Callable[[Any], None], checksum: Checksum) -> None:
        tail = self.sent.end()
        if tail:
            send(tail)
            if self.canon is None:
                checksum.update(tail)
        if self.canon is not None:
            checksum.update(self.canon.end())


def _binary_plan(cur: psycopg.Cursor[Any], tm: TableMap) -> _RowPlan:
    tx = Transformer(cur)
    types = cur.adapters.types
    oids = []
    for col in tm.columns:
        info = types.get(col.binary_type or "")
        assert info is not None, col.binary_type
        oids.append(info.oid)
    tx.set_dumper_types(oids, Format.BINARY)
    return _RowPlan(BinaryFormatter(tx), [_binary_converter(c) for c in tm.columns])


def _text_plan(cur: psycopg.Cursor[Any], tm: TableMap) -> _RowPlan:
    canon = [_canonical_converter(c) for c in tm.columns]
    return _RowPlan(TextFormatter(Transformer(cur)), [_sent_converter(c) for c in tm.columns],
                    TextFormatter(Transformer(cur)) if any(canon) else None, canon)


def _convert(row: Row, converters: list[Convert | None]) -> tuple[Any, ...]:
    return tuple(v if f is None or v is None else f(v)
                 for v, f in zip(row, converters, strict=True))


def _binary_converter(col: ColumnMap) -> Convert | None:
    """Python values of exactly the type the binary dumper expects."""
    if col.kind == TIMESTAMPTZ:
        return _instant
    if col.kind == BYTEA:
        return _to_bytes
    if col.kind in (FLOAT, FLOAT4) and col.coerce:
        return float
    if col.kind == TEXT and col.coerce:
        return _to_text
    return None


def _sent_converter(col: ColumnMap) -> Convert | None:
    """How a value is sent in text COPY (None: as SQLite gave it)."""
    if col.kind == TIMESTAMPTZ:
        return _timestamp_text
    if col.kind == FLOAT4:
        return float4_rounded  # exact in float32, so PostgreSQL stores exactly this value
    if col.kind == BYTEA:
        return _to_bytes
    return None


def _canonical_converter(col: ColumnMap) -> Convert | None:
    """How a value is hashed in text mode when that differs from how it is sent."""
    if col.kind == FLOAT:
        return lambda v: _PACK(float(v))
    if col.kind == FLOAT4:
        return lambda v: _PACK(float4_rounded(float(v)))
    if col.kind == TIMESTAMPTZ:
        return _timestamp_text
    if col.kind == BYTEA:
        return _to_bytes
    return None


def _instant(value: Any) -> datetime:
    moment = parse_sqlite_timestamp(str(value))
    if moment is None:  # the scan refuses these before any copy starts
        raise ValueError(f"not a timestamp: {value!r}")
    return moment


def _timestamp_text(value: Any) -> str:
    return pg_timestamptz_text(_instant(value))


def _to_bytes(value: Any) -> bytes:
    if isinstance(value, bytes):
        return value
    return str(value).encode("utf-8")


def _to_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    return repr(value) if isinstance(value, float) else str(value)


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
