"""Read each table back from PostgreSQL in the canonical form and compare it with the source.

Runs inside the migration's transaction, before the commit: a mismatch rolls everything back.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import psycopg
from psycopg import sql

from app.core.checksum import Checksum
from app.core.errors import Cancelled
from app.core.target_schema import FLOAT, FLOAT4, INT, TEXT, TableMap

ORDERED = "canonical checksum of every value, rows in key order"
UNORDERED = "canonical checksum of every value, order-independent (no integer key)"
FINGERPRINTS = "canonical fingerprint of every row, compared per range of 256 ids"


@dataclass
class TableCheck:
    """Both sides of one table: counts, checksums, and what was compared."""

    table: str
    source_rows: int
    target_rows: int
    source_checksum: str
    target_checksum: str
    method: str = ORDERED
    values_compared: int = 0  # rows x columns hashed on each side

    @property
    def counts_match(self) -> bool:
        """Same number of rows on both sides."""
        return self.source_rows == self.target_rows

    @property
    def checksums_match(self) -> bool:
        """Same content on both sides."""
        return self.source_checksum == self.target_checksum

    @property
    def ok(self) -> bool:
        """Counts and checksums both match."""
        return self.counts_match and self.checksums_match


def target_checksum(
    conn: psycopg.Connection,
    tm: TableMap,
    is_cancelled: Callable[[], bool] = lambda: False,
    *,
    ordered: bool = True,
) -> Checksum:
    """Hash the target table's rows in the canonical form, ordered like the source.

    What PostgreSQL stores is read back and widened to the canonical types server-side: an
    ``integer`` as ``bigint``, a 4-byte ``real`` as ``double precision`` (exactly), ``varchar``
    as ``text``; text tables print floats as their IEEE bytes (``float8send``).
    """
    cols: list[sql.Composable] = []
    for col in tm.columns:
        cols.append(_canonical_select(col.ident, col.kind, col.pg_type, tm.binary))
    key = tm.source.integer_pk
    order: sql.Composable = sql.SQL("")
    if key is not None and ordered:
        order = sql.SQL(" ORDER BY {}").format(tm.column(key).ident)
    fmt = sql.SQL(" (FORMAT BINARY)") if tm.binary else sql.SQL("")
    stmt = sql.SQL("COPY (SELECT {} FROM {}{}) TO STDOUT{}").format(
        sql.SQL(", ").join(cols), tm.ident, order, fmt
    )
    checksum = Checksum(ordered=key is not None, text=not tm.binary)
    with conn.cursor() as cur:
        with cur.copy(stmt) as cp:
            for n, data in enumerate(cp):
                checksum.update(data)
                if n % 256 == 0 and is_cancelled():
                    raise Cancelled("Cancelled: nothing was committed, the target is unchanged.")
        if tm.binary:
            checksum.rows = cur.rowcount  # from the server's "COPY n"
    return checksum


def check_table(
    conn: psycopg.Connection,
    tm: TableMap,
    mine: Checksum,
    *,
    created: bool,
    is_cancelled: Callable[[], bool] = lambda: False,
) -> TableCheck:
    """Compare one table; a table we just filled is first read in physical order.

    A table created and filled by one COPY in this transaction lies on disk in id order, so a
    plain scan (with scan synchronisation off, so it starts at the first page) avoids sorting
    or an index scan. Should the order differ anyway, the ordered read decides.
    """
    if created and tm.source.integer_pk is not None:
        conn.execute("SET LOCAL synchronize_seqscans = off")
        theirs = target_checksum(conn, tm, is_cancelled, ordered=False)
        if theirs.hexdigest == mine.hexdigest and theirs.rows == mine.rows:
            return _check(tm, mine, theirs)
    return _check(tm, mine, target_checksum(conn, tm, is_cancelled))


def _canonical_select(
    ident: sql.Identifier, kind: str, pg_type: str, binary: bool
) -> sql.Composable:
    if kind in (FLOAT, FLOAT4):
        if binary:
            return sql.SQL("{}::float8").format(ident) if kind == FLOAT4 else ident
        return sql.SQL("float8send({}::float8)").format(ident)
    if (
        kind == INT
        and pg_type.lower() not in ("bigint", "int8")
        and (binary or pg_type.lower().startswith("numeric"))
    ):
        return sql.SQL("{}::int8").format(ident)
    if binary and kind == TEXT and pg_type.lower() != "text":
        return sql.SQL("{}::text").format(ident)
    return ident


def _check(tm: TableMap, mine: Checksum, theirs: Checksum) -> TableCheck:
    method = ORDERED if tm.source.integer_pk is not None else UNORDERED
    return TableCheck(
        tm.name,
        mine.rows,
        theirs.rows,
        mine.hexdigest,
        theirs.hexdigest,
        method,
        mine.rows * len(tm.columns),
    )


def every_value_compared(check: TableCheck, columns: int) -> bool:
    """Whether the checksums covered every value of a table of ``columns`` columns: each row,
    each column (what a screen may call "every value compared")."""
    return check.counts_match and check.values_compared == check.source_rows * columns
