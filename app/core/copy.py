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
    repair = _Repairer(tm, repairs, problems, raw=tm.binary)
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
        with _TextFactory(src, repair.text_factory()), \
                cur.copy(stmt, writer=QueuedLibpqWriter(cur)) as cp:
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
    """Binary COPY fed with SQLite's raw text bytes.

    Text travels as its UTF-8 bytes in binary COPY, exactly like bytea, so text columns are read
    as bytes (no decoding into Python strings) and dumped with the bytea dumper; the server
    still checks the encoding when it stores them as text. About halves the client's CPU.
    """
    tx = Transformer(cur)
    types = cur.adapters.types
    oids = []
    for col in tm.columns:
        name = "bytea" if col.kind == TEXT else col.binary_type
        info = types.get(name or "")
        assert info is not None, name
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
        return _to_text_bytes
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
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
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


def _to_text_bytes(value: Any) -> bytes:
    """A number stored in a text-like column of a translated table, as its text's bytes."""
    if isinstance(value, bytes):
        return value
    return (repr(value) if isinstance(value, float) else str(value)).encode("utf-8")


class _Repairer:
    """Applies the repairs the user chose to the rows the scan flagged, and records each change.

    ``raw``: text arrives as bytes (binary COPY), so flagged cells are fixed byte-wise; otherwise
    text arrives decoded, leniently for tables with undecodable cells.
    """

    def __init__(self, tm: TableMap, repairs: frozenset[str], problems: list[Problem], *,
                 raw: bool) -> None:
        mine = [p for p in problems if p.table == tm.name and p.repair in repairs]
        self.raw = raw
        self.changed: list[Problem] = []
        self.cells: dict[Any, list[Problem]] = {}
        for p in mine:
            self.cells.setdefault(p.id, []).append(p)
        self.key_index = (tm.column_names.index(tm.source.integer_pk)
                          if tm.source.integer_pk else None)
        self.index = {c.name: i for i, c in enumerate(tm.columns)}
        self.table = tm.name

    def text_factory(self) -> Callable[[bytes], Any]:
        """How the SQLite connection hands text over while this table is copied."""
        if self.raw:
            return bytes
        if any(p.repair == REPLACE_INVALID_UTF8 for ps in self.cells.values() for p in ps):
            return lambda b: b.decode("utf-8", "replace")
        return str

    def apply(self, batch: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
        """Fix the flagged cells of this batch."""
        key = self.key_index
        if not self.cells or key is None:
            return batch
        return [self._fix(row, row[key]) if row[key] in self.cells else row for row in batch]

    def _fix(self, row: tuple[Any, ...], key: Any) -> tuple[Any, ...]:
        values = list(row)
        for p in self.cells[key]:
            i = self.index[p.column]
            values[i] = self._repaired(values[i], p.repair)
            what = ("NUL characters removed" if p.repair == STRIP_NUL
                    else "invalid bytes replaced with U+FFFD")
            self.changed.append(Problem(self.table, p.id, p.column, p.code, repaired=what))
        return tuple(values)

    def _repaired(self, value: Any, repair: str | None) -> Any:
        if repair == STRIP_NUL:
            return value.replace(b"\x00" if isinstance(value, bytes) else "\x00",
                                 b"" if isinstance(value, bytes) else "")
        if isinstance(value, bytes):  # replace-invalid-utf8 on raw bytes
            return value.decode("utf-8", "replace").encode("utf-8")
        return value  # already decoded leniently


class _TextFactory:
    """Context manager setting how the SQLite connection returns text, restored afterwards."""

    def __init__(self, src: SqliteSource, factory: Callable[[bytes], Any]) -> None:
        self.src, self.factory = src, factory

    def __enter__(self) -> None:
        self.src.conn.text_factory = self.factory

    def __exit__(self, *exc: object) -> None:
        self.src.conn.text_factory = str
