"""Stream one table from SQLite into PostgreSQL with COPY, hashing the canonical form on the way.

The canonical form of a value is derived from what SQLite holds, never from what the target
will make of it: integers as 8-byte integers, reals as their 8 IEEE bytes, text as its UTF-8
bytes, blobs as bytes, the known timestamp columns as the instant they denote, and, in a column
that mixes numbers beyond 2**53 with reals, the exact decimal. Verification reads PostgreSQL
back in the same form (a 4-byte ``real`` widened, an ``integer`` as 8 bytes), so any value that
changed on the way, for any reason, makes the checksums differ.

Rows are rendered by psycopg's own C-accelerated COPY formatters. Where the target's types are
the canonical ones (every table the tool creates), the binary COPY bytes sent *are* the
canonical form and are hashed as they go; otherwise a second formatter renders the canonical
form from the same values. Tables without an integer key travel as text COPY with an
order-independent checksum.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

import psycopg
from psycopg import sql
from psycopg.pq import Format
from psycopg.types.string import BytesBinaryDumper

from app.core.checksum import Checksum
from app.core.errors import Cancelled
from app.core.pg_copy import (
    BINARY_SIGNATURE,
    BINARY_TRAILER,
    BinaryFormatter,
    Formatter,
    QueuedLibpqWriter,
    TextFormatter,
    Transformer,
    format_row_binary,
)
from app.core.scan import REPLACE_INVALID_UTF8, STRIP_NUL, Problem, numeric_stored
from app.core.source import SqliteSource
from app.core.target_schema import (
    BYTEA,
    FLOAT,
    FLOAT4,
    INT,
    NUMERIC,
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
# The binary type each kind is hashed as (text travels as its bytes, like bytea).
CANONICAL_BINARY = {
    INT: "int8",
    FLOAT: "float8",
    FLOAT4: "float8",
    TEXT: "bytea",
    BYTEA: "bytea",
    TIMESTAMPTZ: "timestamptz",
}


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
    """Copy ``tm`` and return the source-side checksum and the values that were repaired.

    Raises ``psycopg.Error`` when PostgreSQL refuses a value, ``Cancelled`` when asked to stop.
    """
    repair = _Repairer(tm, repairs, problems, raw=tm.binary)
    checksum = Checksum(ordered=tm.source.integer_pk is not None, text=not tm.binary)
    options = [sql.SQL("FORMAT BINARY")] if tm.binary else []
    if freeze:
        options.append(sql.SQL("FREEZE"))
    stmt = sql.SQL("COPY {} ({}) FROM STDIN{}").format(
        tm.ident,
        sql.SQL(", ").join(c.ident for c in tm.copied),
        sql.SQL(" ({})").format(sql.SQL(", ").join(options)) if options else sql.SQL(""),
    )
    read = tuple(c.name for c in tm.columns)  # PostgreSQL's generated columns are hashed too
    with conn.cursor() as cur:
        plan = _binary_plan(cur, tm) if tm.binary else _text_plan(cur, tm)
        done = 0
        # The queued writer feeds the socket from a thread, so this thread keeps reading SQLite
        # and formatting rows while the server is busy parsing the previous chunk.
        with (
            _TextFactory(src, repair.text_factory()),
            cur.copy(stmt, writer=QueuedLibpqWriter(cur)) as cp,
        ):
            for batch in src.rows(tm.source, read, batch_size):
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


class Unformattable(ValueError):
    """A value SQLite holds does not fit its column's binary form (text in an INTEGER column,
    say). :func:`source_checksum` meets it before the scan has looked at the row; the caller
    asks the scan (:func:`app.core.scan.scan`) for the exact table, row and column."""

    def __init__(self, table: str, exc: Exception) -> None:
        super().__init__(f"{table} holds a value its column cannot take ({exc})")
        self.table = table


def source_checksum(
    conn: psycopg.Connection,
    src: SqliteSource,
    tm: TableMap,
    *,
    batch_size: int,
    on_batch: Callable[[list[tuple[Any, ...]], list[bytearray] | None], None] | None = None,
    is_cancelled: Callable[[], bool] = lambda: False,
    hashed: bool = True,
) -> Checksum:
    """The checksum :func:`copy_table` computes for ``tm``, from SQLite alone: nothing is sent.

    Rows go through the very same plan as the copy, so a target filled some other way
    (``sync``) is verified against the same canonical form. ``on_batch(rows, canonical)`` sees
    each batch as read (text as bytes for binary tables) and, for binary tables, each row's
    canonical binary bytes: the ones hashed here, formatted once for both. ``hashed=False``
    (binary tables only): count the rows but leave the hashing to ``on_batch``, which
    fingerprints the same bytes. Raises Cancelled.
    """
    checksum = Checksum(ordered=tm.source.integer_pk is not None, text=not tm.binary)
    factory = _Repairer(tm, frozenset(), [], raw=tm.binary).text_factory()
    read = tuple(c.name for c in tm.columns)
    with conn.cursor() as cur:
        plan = _binary_plan(cur, tm) if tm.binary else _text_plan(cur, tm)
        done = 0
        if tm.binary:  # the stream write_row/end produce, one row at a time
            checksum.update(BINARY_SIGNATURE)
        with _TextFactory(src, factory):
            for batch in src.rows(tm.source, read, batch_size):
                if is_cancelled():
                    raise Cancelled(CANCELLED)
                canonical = None
                if tm.binary:
                    try:
                        canonical = canonical_rows(plan, batch)
                    except (TypeError, ValueError, OverflowError, psycopg.DataError) as exc:
                        raise Unformattable(tm.name, exc) from exc
                    if hashed:
                        for data in canonical:
                            checksum.update(data)
                else:
                    plan.write(batch, _discard, checksum)
                if on_batch is not None:
                    on_batch(batch, canonical)
                done += len(batch)
        if tm.binary:
            checksum.update(BINARY_TRAILER)
            checksum.rows = done
        else:
            plan.finish(_discard, checksum)
    return checksum


def canonical_rows(plan: _RowPlan, rows: list[tuple[Any, ...]]) -> list[bytearray]:
    """Each row of a binary plan in the canonical binary form the checksum hashes."""
    fmt, conv = (plan.sent, plan.sent_conv) if plan.canon is None else (plan.canon, plan.canon_conv)
    tx = fmt.transformer
    if conv:
        rows = [_convert(r, conv) for r in rows]
    out = []
    for row in rows:
        data = bytearray()
        format_row_binary(row, tx, data)
        out.append(data)
    return out


def text_factory(tm: TableMap) -> Callable[[bytes], Any]:
    """How SQLite must hand text over for ``tm``'s plan (bytes for binary tables)."""
    return _Repairer(tm, frozenset(), [], raw=tm.binary).text_factory()


def copy_rows(
    conn: psycopg.Connection,
    src: SqliteSource,
    tm: TableMap,
    into: sql.Composable,
    batches: Callable[[], Iterable[list[tuple[Any, ...]]]],
    *,
    on_rows: Callable[[int], None] = lambda n: None,
    is_cancelled: Callable[[], bool] = lambda: False,
    set_text_factory: bool = True,
) -> int:
    """COPY the rows ``batches()`` reads from ``src`` into ``into`` (e.g. a temporary table).

    Formatted exactly as :func:`copy_table` formats them; ``batches`` yields rows of every
    mapped column (``tm.columns``, as copy_table reads them) and is called while SQLite hands
    text over the way this table's plan expects it (``set_text_factory=False``: the caller
    reads them that way itself, e.g. in another thread). Returns the number of rows sent.
    """
    options = sql.SQL(" (FORMAT BINARY)") if tm.binary else sql.SQL("")
    stmt = sql.SQL("COPY {} ({}) FROM STDIN{}").format(
        into, sql.SQL(", ").join(c.ident for c in tm.copied), options
    )
    scratch = Checksum()
    done = 0
    with conn.cursor() as cur:
        plan = _binary_plan(cur, tm) if tm.binary else _text_plan(cur, tm)
        factory = text_factory(tm) if set_text_factory else src.conn.text_factory
        with _TextFactory(src, factory, restore=set_text_factory), cur.copy(stmt) as cp:
            for batch in batches():
                if is_cancelled():
                    raise Cancelled(CANCELLED)
                plan.write(batch, cp.write, scratch)
                done += len(batch)
                on_rows(done)
            plan.finish(cp.write, scratch)
    return done


def _discard(data: Any) -> None:
    return None


class _RowPlan:
    """Formats rows for sending, and feeds the canonical form to the checksum.

    ``project``: positions of the sent columns among the columns read (None: all of them).
    Without a ``canon`` formatter the bytes sent are the canonical form.
    """

    def __init__(
        self,
        sent: Formatter,
        sent_conv: list[Convert | None],
        project: list[int] | None,
        canon: Formatter | None = None,
        canon_conv: list[Convert | None] | None = None,
    ) -> None:
        self.sent, self.canon, self.project = sent, canon, project
        self.sent_conv = sent_conv if any(sent_conv) else None
        self.canon_conv = canon_conv or []

    def write(
        self, rows: list[tuple[Any, ...]], send: Callable[[Any], None], checksum: Checksum
    ) -> None:
        fmt = self.sent.write_row
        sent = rows
        if self.project is not None:
            pick = self.project
            sent = [tuple(r[i] for i in pick) for r in rows]
        if self.sent_conv is not None:
            sent = [_convert(r, self.sent_conv) for r in sent]
        for row in sent:
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


def _binary_formatter(cur: psycopg.Cursor[Any], type_names: list[str]) -> BinaryFormatter:
    # psycopg's DB-API module registers a pure-Python bytea dumper last, so looking the
    # dumper up by oid finds it and pays a Python call per value; the bytes dumper, registered
    # again on this cursor only, is the C one (about a third of the client's formatting time).
    cur.adapters.register_dumper(bytes, BytesBinaryDumper)
    tx = Transformer(cur)
    types = cur.adapters.types
    oids = []
    for name in type_names:
        info = types.get(name)
        assert info is not None, name
        oids.append(info.oid)
    tx.set_dumper_types(oids, Format.BINARY)
    return BinaryFormatter(tx)


def _binary_plan(cur: psycopg.Cursor[Any], tm: TableMap) -> _RowPlan:
    """Binary COPY fed with SQLite's raw text bytes.

    Text travels as its UTF-8 bytes in binary COPY, exactly like bytea, so text columns are read
    as bytes (no decoding into Python strings) and dumped with the bytea dumper; the server
    still checks the encoding when it stores them as text. About halves the client's CPU.
    """
    sent_types = ["bytea" if c.kind == TEXT else (c.binary_type or "") for c in tm.columns]
    canon_types = [CANONICAL_BINARY[c.kind] for c in tm.columns]
    sent = _binary_formatter(cur, sent_types)
    sent_conv = [_binary_converter(c) for c in tm.columns]
    canon_conv = [_canonical_binary(c) for c in tm.columns]
    if sent_types == canon_types and sent_conv == canon_conv:
        return _RowPlan(sent, sent_conv, None)
    return _RowPlan(sent, sent_conv, None, _binary_formatter(cur, canon_types), canon_conv)


def _text_plan(cur: psycopg.Cursor[Any], tm: TableMap) -> _RowPlan:
    names = [c.name for c in tm.columns]
    project = [names.index(c.name) for c in tm.copied]
    return _RowPlan(
        TextFormatter(Transformer(cur)),
        [_sent_converter(c) for c in tm.copied],
        project if len(project) != len(names) else None,
        TextFormatter(Transformer(cur)),
        [_canonical_text(c) for c in tm.columns],
    )


def _convert(row: Row, converters: list[Convert | None]) -> tuple[Any, ...]:
    return tuple(
        v if f is None or v is None else f(v) for v, f in zip(row, converters, strict=True)
    )


def _binary_converter(col: ColumnMap) -> Convert | None:
    """Python values of exactly the type the binary dumper expects."""
    if col.kind == TIMESTAMPTZ:
        return _instant
    if col.kind == BYTEA:
        return _to_bytes
    if col.kind in (FLOAT, FLOAT4) and col.coerce:
        return float
    if col.kind == TEXT and col.max_chars is not None and col.accept_lossy:
        return _truncator(col.max_chars)
    if col.kind == TEXT and col.coerce:
        return _to_text_bytes
    if col.kind == INT and col.int_range is not None:
        return _within(*col.int_range)
    return None


def _within(low: int, high: int) -> Convert:
    """A check for an integer column narrower than bigint: psycopg's C dumper would wrap an
    out-of-range value silently (3000000000 into ``integer`` becomes -1294967296); run's dry
    run refuses such values before writing, and this stops any that reach the COPY anyway."""

    def check(value: Any) -> Any:
        if isinstance(value, int) and not low <= value <= high:
            raise ValueError(f"{value} is out of range for the target column")
        return value

    return check


def _canonical_binary(col: ColumnMap) -> Convert | None:
    """The canonical form in binary: the SQLite value, or the change the user accepted."""
    if col.kind in (FLOAT, FLOAT4) and col.accept_lossy:
        return _as_float4
    if col.kind == TEXT and col.max_chars is not None and col.accept_lossy:
        return _truncator(col.max_chars)
    return _binary_converter(col)


def _sent_converter(col: ColumnMap) -> Convert | None:
    """How a value is sent in text COPY (None: as SQLite gave it)."""
    if col.kind == TIMESTAMPTZ:
        return _timestamp_text
    if col.kind == BYTEA:
        return _to_bytes
    if col.kind == NUMERIC:
        return numeric_text
    if col.kind == TEXT and col.max_chars is not None and col.accept_lossy:
        return _truncator(col.max_chars)
    if col.kind == TEXT and col.coerce:
        return _to_text_str
    return None


def _canonical_text(col: ColumnMap) -> Convert | None:
    """The canonical form in text COPY; verification reads floats back as ``float8send``."""
    if col.kind in (FLOAT, FLOAT4):
        if col.accept_lossy and col.numeric_typmod is not None:
            typmod = col.numeric_typmod
            return lambda v: _PACK(float(numeric_stored(v, typmod) or 0))
        if col.accept_lossy:
            return lambda v: _PACK(_as_float4(v))
        return lambda v: _PACK(float(v))
    if col.kind == INT and col.numeric_typmod is not None:
        return None
    return _sent_converter(col)


def _as_float4(value: Any) -> float:
    return float4_rounded(float(value))


def _truncator(n: int) -> Convert:
    def cut(value: Any) -> Any:
        if isinstance(value, bytes):
            return value.decode("utf-8", "surrogateescape")[:n].encode("utf-8", "surrogateescape")
        return str(value)[:n]

    return cut


def numeric_text(value: Any) -> str:
    """An integer or real as the exact decimal PostgreSQL's ``numeric`` prints back.

    Reals use their shortest round-trip form, written without an exponent (``1e-07`` is
    ``0.0000001``), which is how ``numeric`` prints the same input.
    """
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return format(Decimal(repr(value)), "f")
    return str(value)


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


def _to_text_str(value: Any) -> Any:
    """The same in text COPY, where text arrives decoded."""
    if isinstance(value, str | bytes):
        return value
    return repr(value) if isinstance(value, float) else str(value)


class _Repairer:
    """Applies the repairs the user chose to the rows the scan flagged, and records each change.

    ``raw``: text arrives as bytes (binary COPY), so flagged cells are fixed byte-wise; otherwise
    text arrives decoded, leniently for tables with undecodable cells.
    """

    def __init__(
        self, tm: TableMap, repairs: frozenset[str], problems: list[Problem], *, raw: bool
    ) -> None:
        mine = [
            p
            for p in problems
            if p.table == tm.name
            and p.repair in repairs
            and p.repair in (STRIP_NUL, REPLACE_INVALID_UTF8)
        ]
        self.raw = raw
        self.changed: list[Problem] = []
        self.cells: dict[Any, list[Problem]] = {}
        for p in mine:
            self.cells.setdefault(p.id, []).append(p)
        names = [c.name for c in tm.columns]
        self.key_index = names.index(tm.source.integer_pk) if tm.source.integer_pk else None
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
            what = (
                "NUL characters removed"
                if p.repair == STRIP_NUL
                else "invalid bytes replaced with U+FFFD"
            )
            self.changed.append(Problem(self.table, p.id, p.column, p.code, repaired=what))
        return tuple(values)

    def _repaired(self, value: Any, repair: str | None) -> Any:
        if repair == STRIP_NUL:
            return value.replace(
                b"\x00" if isinstance(value, bytes) else "\x00",
                b"" if isinstance(value, bytes) else "",
            )
        if isinstance(value, bytes):  # replace-invalid-utf8 on raw bytes
            return value.decode("utf-8", "replace").encode("utf-8")
        return value  # already decoded leniently


class _TextFactory:
    """Context manager setting how the SQLite connection returns text, restored afterwards."""

    def __init__(
        self, src: SqliteSource, factory: Callable[[bytes], Any], *, restore: bool = True
    ) -> None:
        self.src, self.factory, self.restore = src, factory, restore

    def __enter__(self) -> None:
        if self.restore:
            self.src.conn.text_factory = self.factory

    def __exit__(self, *exc: object) -> None:
        if self.restore:
            self.src.conn.text_factory = str
