"""Per-row fingerprints of a table with an integer key, computed alike on both sides.

``sync`` must find the rows that differ without moving every row across. Each row is rendered
in the canonical binary form verification hashes (PostgreSQL's binary COPY row: the field count,
then each field's length and bytes; integers as ``int8``, reals as ``float8``, text and blobs as
their bytes, timestamps as ``timestamptz``): the client gets those bytes from the copy's own plan
(:func:`app.core.copy.source_checksum`), and PostgreSQL builds the same bytes in SQL from its
send functions, so neither side ships rows.

A row's fingerprint is the CRC-32C of those bytes where the server has ``crc32c()``
(PostgreSQL 18+; the CRC PostgreSQL's WAL records and iSCSI use, computed in hardware on both
sides), else the first 8 bytes of their MD5 (or SHA-256, see :func:`fingerprint_hash`).
A bucket of ``2**BUCKET_SHIFT`` consecutive ids is summarised by its row count and the SHA-256
of its rows' ``(id, fingerprint)`` pairs in id order (two big-endian ``int8`` each), which the
server computes with an ordered aggregate. Buckets are compared first, and only the ids of
buckets that differ are compared row by row.

The same buckets are the verification: the server's buckets of the whole table, measured in
the sync's transaction before the changes and measured again after them wherever a change (or
anything else, see :mod:`app.core.xact_counts`) touched a bucket, must equal SQLite's buckets,
row count and digest alike. Both sides hash their own values (SQLite's through the copy's
plan, PostgreSQL's through its send functions), so neither is compared with the other's
conversion. A row that differs goes unnoticed only if its fingerprint does not change: CRC-32C
catches every difference confined to 32 consecutive bits and misses others with odds of
2**-32 (Castagnoli, Brauer and Herrmann, IEEE Trans. Comm. 41(6), 1993); a 64-bit hash prefix,
2**-64. The bucket digest is a cryptographic hash over an ordered list, so differences cannot
cancel each other out the way they could under a sum or an XOR of linear checksums.
"""

from __future__ import annotations

import contextlib
import hashlib
import sys
from array import array
from bisect import bisect_left
from collections.abc import Iterator
from dataclasses import dataclass, field
from operator import itemgetter

import crc32c
import psycopg
from psycopg import pq, sql

from app.core.target_schema import BYTEA, FLOAT, FLOAT4, INT, TEXT, TIMESTAMPTZ, ColumnMap, TableMap

BUCKET_SHIFT = 8  # 256 ids per bucket: a few thousand buckets per million rows
Buckets = dict[int, tuple[int, bytes]]  # bucket -> (rows, SHA-256 of its (id, fingerprint)s)
PAIR = 16  # bytes of one (id, fingerprint) pair in a bucket digest
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


CRC32C, MD5, SHA256 = "crc32c", "md5", "sha256"


def fingerprint_hash(conn: psycopg.Connection) -> str:
    """The hash both sides fingerprint rows with, chosen by what the server offers.

    PostgreSQL 18 added ``crc32c(bytea)`` (hardware CRC-32C where the CPU has it): about a tenth
    of MD5's cost on both sides. Older servers: one built with OpenSSL (``ssl_library``,
    PostgreSQL 12+) computes ``sha256()`` with it, as fast as this program's OpenSSL does, and
    may refuse ``md5()`` altogether in FIPS mode; without OpenSSL, PostgreSQL's own SHA-256 is
    about half as fast as its own MD5, so MD5 it is.
    """
    row = conn.execute(
        "SELECT to_regprocedure('pg_catalog.crc32c(bytea)') IS NOT NULL, "
        "current_setting('ssl_library', true)"
    ).fetchone()
    if row is not None and row[0]:
        return CRC32C
    return SHA256 if row is not None and row[1] == "OpenSSL" else MD5


def bucket_of(key: int) -> int:
    """The bucket an id falls in."""
    return key >> BUCKET_SHIFT


def fingerprint(row_bytes: bytes | bytearray, algo: str = MD5) -> int:
    """One canonical row's fingerprint, as PostgreSQL's bigint holds it: the CRC-32C
    (``0 <= crc < 2**32``), or the signed first 8 bytes of the MD5 or SHA-256."""
    if algo == CRC32C:
        return int(crc32c.crc32c(row_bytes))
    return int.from_bytes(hashlib.new(algo, row_bytes).digest()[:8], "big", signed=True)


def fingerprints(canonical: list[bytearray], algo: str = MD5) -> array:
    """:func:`fingerprint` of each row, as an ``array('q')``: one hash call a row and no
    per-row integer conversion (the digests' first 8 bytes, read big-endian in one go)."""
    if algo == CRC32C:
        return array("q", map(crc32c.crc32c, canonical))
    new = hashlib.sha256 if algo == SHA256 else hashlib.md5
    out = array("q")
    out.frombytes(b"".join([new(data).digest()[:8] for data in canonical]))
    if sys.byteorder == "little":
        out.byteswap()
    return out


def _pairs(ids: array, prints: array) -> array:
    pairs = array("q", bytes(PAIR * len(ids)))
    pairs[0::2], pairs[1::2] = ids, prints
    if sys.byteorder == "little":
        pairs.byteswap()
    return pairs


def digest_of(buckets: Buckets) -> str:
    """One hex checksum of a whole table's buckets (SHA-256 of them in bucket order), the
    value a report shows for each side."""
    out = hashlib.sha256()
    for b in sorted(buckets):
        rows, digest = buckets[b]
        out.update(b.to_bytes(8, "big", signed=True))
        out.update(rows.to_bytes(8, "big"))
        out.update(digest)
    return out.hexdigest()


@dataclass
class SourceDigests:
    """Fingerprints of one SQLite table, in id order: 16 bytes a row, held in arrays."""

    algo: str = MD5  # the hash the server fingerprints with too (fingerprint_hash)
    ids: array = field(default_factory=lambda: array("q"))
    prints: array = field(default_factory=lambda: array("q"))
    _buckets: Buckets | None = None

    def add(
        self, key_index: int, rows: list[tuple[object, ...]], canonical: list[bytearray]
    ) -> None:
        """Fingerprint a batch from its canonical bytes (rows in id order)."""
        self.ids.extend(map(itemgetter(key_index), rows))  # integer keys: SQLite ints
        self.prints.extend(fingerprints(canonical, self.algo))
        self._buckets = None

    def buckets(self) -> Buckets:
        """Rows and digest per bucket (computed once).

        Ids arrive in ascending order, so each bucket is one run of the arrays: its end is
        found by bisection, and its pairs are one slice of an array built in C, not row by
        row in Python.
        """
        if self._buckets is not None:
            return self._buckets
        ids = self.ids
        view = memoryview(_pairs(ids, self.prints)).cast("B")
        out: Buckets = {}
        lo, end = 0, len(ids)
        while lo < end:
            bucket = ids[lo] >> BUCKET_SHIFT
            hi = bisect_left(ids, (bucket + 1) << BUCKET_SHIFT, lo, end)
            out[bucket] = (hi - lo, hashlib.sha256(view[lo * PAIR : hi * PAIR]).digest())
            lo = hi
        self._buckets = out
        return out

    def rows_in(self, buckets: set[int]) -> dict[int, int]:
        """id -> fingerprint for the rows in ``buckets`` (each found by bisection)."""
        ids, prints = self.ids, self.prints
        out: dict[int, int] = {}
        for b in sorted(buckets):
            lo = bisect_left(ids, b << BUCKET_SHIFT)
            hi = bisect_left(ids, (b + 1) << BUCKET_SHIFT, lo)
            out.update(zip(ids[lo:hi], prints[lo:hi], strict=True))
        return out

    @property
    def max_id(self) -> int | None:
        """The highest id (rows arrive in id order)."""
        return self.ids[-1] if self.ids else None


# --- the PostgreSQL side ----------------------------------------------------------------------


def row_fingerprint_sql(tm: TableMap, algo: str = MD5) -> sql.Composable:
    """SQL for one row's fingerprint, built from the same canonical bytes the client hashes."""
    fields: list[sql.Composable] = [
        sql.SQL("int2send({}::int2)").format(sql.Literal(len(tm.columns)))
    ]
    for col in tm.columns:
        fields.append(sql.SQL("coalesce({}, '\\xffffffff'::bytea)").format(_field_sql(col)))
    row = sql.SQL(" || ").join(fields)
    if algo == CRC32C:
        return sql.SQL("crc32c({})").format(row)
    if algo == SHA256:
        return sql.SQL(
            "('x' || encode(substring(sha256({}) FROM 1 FOR 8), 'hex'))::bit(64)::bigint"
        ).format(row)
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


def target_buckets(conn: psycopg.Connection, tm: TableMap, algo: str = MD5) -> Buckets:
    """Rows and digest per bucket of the target table, computed by the server.

    Each row is fingerprinted as it is scanned, and only its bucket, id and 16-byte pair go
    on to the sort the ordered aggregate needs (``OFFSET 0`` keeps the planner from sorting
    whole rows, their text included, first). The settings are the transaction's own
    (``set_config(..., true)``) and put back right after.
    """
    query = sql.SQL(
        "SELECT b, count(*), sha256(string_agg(p, ''::bytea ORDER BY k)) "
        "FROM (SELECT {key} >> {shift} AS b, {key} AS k, int8send({key}) || int8send({fp}) AS p "
        "FROM {tbl} OFFSET 0) AS s GROUP BY b"
    ).format(
        key=key_ident(tm),
        shift=sql.Literal(BUCKET_SHIFT),
        fp=row_fingerprint_sql(tm, algo),
        tbl=tm.ident,
    )
    with _bucket_settings(conn):
        return {int(b): (int(n), bytes(d)) for b, n, d in conn.execute(query)}


def target_buckets_in(
    conn: psycopg.Connection, tm: TableMap, buckets: set[int], algo: str = MD5
) -> Buckets:
    """:func:`target_buckets` for some buckets only, read through the key's index."""
    if not buckets:
        return {}
    lows, highs = _ranges(sorted(buckets))
    # One index range scan per range (LATERAL, kept apart by OFFSET 0); as a plain join the
    # planner, who cannot see how narrow the ranges are, scans the whole table instead.
    query = sql.SQL(
        "SELECT b, count(*), sha256(string_agg(p, ''::bytea ORDER BY k)) "
        "FROM unnest(%s::bigint[], %s::bigint[]) AS r(lo, hi) "
        "CROSS JOIN LATERAL (SELECT t.{key} >> {shift} AS b, t.{key} AS k, "
        "int8send(t.{key}) || int8send({fp}) AS p FROM {tbl} AS t "
        "WHERE t.{key} >= r.lo AND t.{key} <= r.hi OFFSET 0) AS s GROUP BY b"
    ).format(
        key=key_ident(tm),
        shift=sql.Literal(BUCKET_SHIFT),
        fp=row_fingerprint_sql(tm, algo),
        tbl=tm.ident,
    )
    return {int(b): (int(n), bytes(d)) for b, n, d in conn.execute(query, [lows, highs])}


# Settings for the bucket query: its sort in memory (about 100 bytes a row), and no parallel
# workers, which would only take the CPU the client needs to fingerprint SQLite's side at the
# same time (the client is the slower side).
_BUCKET_SETTINGS = {
    "work_mem": "64MB",
    "max_parallel_workers_per_gather": "0",
}


@contextlib.contextmanager
def _bucket_settings(conn: psycopg.Connection) -> Iterator[None]:
    names = list(_BUCKET_SETTINGS)
    row = conn.execute(
        "SELECT array_agg(current_setting(n) ORDER BY i) FROM unnest(%s::text[]) "
        "WITH ORDINALITY AS s(n, i)",
        [names],
    ).fetchone()
    conn.execute(
        "SELECT set_config(n, v, true) FROM unnest(%s::text[], %s::text[]) AS s(n, v)",
        [names, list(_BUCKET_SETTINGS.values())],
    )
    assert row is not None
    try:
        yield
    finally:
        if conn.info.transaction_status == pq.TransactionStatus.INTRANS:
            conn.execute(
                "SELECT set_config(n, v, true) FROM unnest(%s::text[], %s::text[]) AS s(n, v)",
                [names, row[0]],
            )


def target_rows_in(
    conn: psycopg.Connection, tm: TableMap, buckets: set[int], algo: str = MD5
) -> dict[int, int]:
    """id -> fingerprint of the target's rows in ``buckets`` (read through the key's index)."""
    if not buckets:
        return {}
    lows, highs = _ranges(sorted(buckets))
    query = sql.SQL(
        "SELECT s.* FROM unnest(%s::bigint[], %s::bigint[]) AS r(lo, hi) "
        "CROSS JOIN LATERAL (SELECT t.{key}, {fp} FROM {tbl} AS t "
        "WHERE t.{key} >= r.lo AND t.{key} <= r.hi OFFSET 0) AS s"
    ).format(key=key_ident(tm), fp=row_fingerprint_sql(tm, algo), tbl=tm.ident)
    return {int(k): int(fp) for k, fp in conn.execute(query, [lows, highs])}


def _ranges(buckets: list[int]) -> tuple[list[int], list[int]]:
    """Consecutive buckets merged into closed id ranges (``lo <= id <= hi``: the last bucket
    ends at 2**63 - 1, whose half-open end would not fit in a bigint)."""
    lows: list[int] = []
    highs: list[int] = []
    for b in buckets:
        lo, hi = b << BUCKET_SHIFT, ((b + 1) << BUCKET_SHIFT) - 1
        if highs and highs[-1] == lo - 1:
            highs[-1] = hi
        else:
            lows.append(lo)
            highs.append(hi)
    return lows, highs
