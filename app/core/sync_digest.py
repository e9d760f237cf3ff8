"""Per-row fingerprints of a table with an integer key, computed alike on both sides.

``sync`` must find the rows that differ without moving every row across. Each row is rendered
in the canonical binary form verification hashes (PostgreSQL's binary COPY row: the field count,
then each field's length and bytes; integers as ``int8``, reals as ``float8``, text and blobs as
their bytes, timestamps as ``timestamptz``): the client gets those bytes from the copy's own plan
(:func:`app.core.copy.source_checksum`), and PostgreSQL builds the same bytes in SQL from its
send functions, so neither side ships rows. A row's fingerprint is the first 8 bytes of the MD5
of those bytes; a bucket of ``2**BUCKET_SHIFT`` consecutive ids is summarised by its row count
and the XOR of its rows' fingerprints (each row carries its id, so two rows cannot cancel out).
Buckets are compared first, and only the ids of buckets that differ are compared row by row.

This is a search aid, not the proof: after the changes are applied, ``sync`` verifies every
table in full with the same checksums as ``run``.
"""

from __future__ import annotations

import hashlib
from array import array
from dataclasses import dataclass, field

import psycopg
from psycopg import sql

from app.core.target_schema import BYTEA, FLOAT, FLOAT4, INT, TEXT, TIMESTAMPTZ, ColumnMap, TableMap

BUCKET_SHIFT = 8  # 256 ids per bucket: a few thousand buckets per million rows
Buckets = dict[int, tuple[int, int]]  # bucket -> (rows, XOR of fingerprints)
# Each kind's canonical value in SQL (copy.CANONICAL_BINARY), and its fixed length if any.
_CANONICAL = {
    INT: ("int8send({}::int8)", 8),
    FLOAT: ("float8send({}::float8)", 8),
    FLOAT4: ("float8send({}::float8)", 8),
    TIMESTAMPTZ: ("timestamptz_send({})", 8),
    TEXT: ("textsend({}::text)", None),
    BYTEA: ("{}", None),
}


def supported(tm: TableMap) -> bool:
    """Whether rows of ``tm`` can be fingerprinted: an integer key and a binary plan whose
    every column has a canonical form the server can build."""
    return tm.binary and all(c.kind in _CANONICAL for c in tm.columns)


def fingerprint(row_bytes: bytes | bytearray) -> int:
    """The signed 64-bit fingerprint of one canonical row (as PostgreSQL's bigint holds it)."""
    return int.from_bytes(hashlib.md5(row_bytes).digest()[:8], "big", signed=True)


@dataclass
class SourceDigests:
    """Fingerprints of one SQLite table, in id order: 16 bytes a row, held in arrays."""

    ids: array = field(default_factory=lambda: array("q"))
    prints: array = field(default_factory=lambda: array("q"))

    def add(
        self, key_index: int, rows: list[tuple[object, ...]], canonical: list[bytearray]
    ) -> None:
        """Fingerprint a batch from its canonical bytes (rows in id order)."""
        md5 = hashlib.md5
        ids, prints = self.ids, self.prints
        for row, data in zip(rows, canonical, strict=True):
            ids.append(int(row[key_index]))  # type: ignore[call-overload]
            prints.append(int.from_bytes(md5(data).digest()[:8], "big", signed=True))

    def buckets(self) -> Buckets:
        """Rows and XOR per bucket."""
        out: dict[int, list[int]] = {}
        for key, fp in zip(self.ids, self.prints, strict=True):
            slot = out.setdefault(key >> BUCKET_SHIFT, [0, 0])
            slot[0] += 1
            slot[1] ^= fp
        return {k: (v[0], v[1]) for k, v in out.items()}

    def rows_in(self, buckets: set[int]) -> dict[int, int]:
        """id -> fingerprint for the rows in ``buckets``."""
        return {
            key: fp
            for key, fp in zip(self.ids, self.prints, strict=True)
            if key >> BUCKET_SHIFT in buckets
        }

    @property
    def max_id(self) -> int | None:
        """The highest id (rows arrive in id order)."""
        return self.ids[-1] if self.ids else None


# --- the PostgreSQL side ----------------------------------------------------------------------


def row_fingerprint_sql(tm: TableMap) -> sql.Composable:
    """SQL for one row's fingerprint, built from the same canonical bytes the client hashes."""
    fields: list[sql.Composable] = [
        sql.SQL("int2send({}::int2)").format(sql.Literal(len(tm.columns)))
    ]
    for col in tm.columns:
        fields.append(sql.SQL("coalesce({}, '\\xffffffff'::bytea)").format(_field_sql(col)))
    row = sql.SQL(" || ").join(fields)
    return sql.SQL("('x' || left(md5({}), 16))::bit(64)::bigint").format(row)


def _field_sql(col: ColumnMap) -> sql.Composable:
    template, size = _CANONICAL[col.kind]
    value = sql.SQL(template).format(col.ident)
    if size is not None:
        return sql.SQL("{}::bytea || {}").format(sql.Literal(size.to_bytes(4, "big")), value)
    # octet_length reads a TOAST value's stored size without decompressing it
    length = col.ident if col.kind == BYTEA else sql.SQL("{}::text").format(col.ident)
    return sql.SQL("int4send(octet_length({})) || {}").format(length, value)


def key_ident(tm: TableMap) -> sql.Identifier:
    """The quoted PostgreSQL name of the integer key."""
    return tm.column(tm.source.integer_pk or "").ident


def target_buckets(conn: psycopg.Connection, tm: TableMap) -> Buckets:
    """Rows and XOR of fingerprints per bucket of the target table, computed by the server."""
    query = sql.SQL(
        "SELECT {key} >> {shift}, count(*), bit_xor({fp}) FROM {tbl} GROUP BY 1"
    ).format(
        key=key_ident(tm), shift=sql.Literal(BUCKET_SHIFT), fp=row_fingerprint_sql(tm), tbl=tm.ident
    )
    return {int(b): (int(n), int(x)) for b, n, x in conn.execute(query)}


def target_rows_in(conn: psycopg.Connection, tm: TableMap, buckets: set[int]) -> dict[int, int]:
    """id -> fingerprint of the target's rows in ``buckets`` (read through the key's index)."""
    if not buckets:
        return {}
    lows, highs = _ranges(sorted(buckets))
    query = sql.SQL(
        "SELECT t.{key}, {fp} FROM {tbl} AS t "
        "JOIN unnest(%s::bigint[], %s::bigint[]) AS r(sync_lo_, sync_hi_) "
        "ON t.{key} >= r.sync_lo_ AND t.{key} < r.sync_hi_"
    ).format(key=key_ident(tm), fp=row_fingerprint_sql(tm), tbl=tm.ident)
    return {int(k): int(fp) for k, fp in conn.execute(query, [lows, highs])}


def _ranges(buckets: list[int]) -> tuple[list[int], list[int]]:
    """Consecutive buckets merged into half-open id ranges."""
    lows: list[int] = []
    highs: list[int] = []
    for b in buckets:
        lo, hi = b << BUCKET_SHIFT, (b + 1) << BUCKET_SHIFT
        if highs and highs[-1] == lo:
            highs[-1] = hi
        else:
            lows.append(lo)
            highs.append(hi)
    return lows, highs
