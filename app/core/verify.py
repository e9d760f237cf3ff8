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
from app.core.target_schema import FLOAT, FLOAT4, TableMap


@dataclass
class TableCheck:
    """Both sides of one table: counts and checksums."""

    table: str
    source_rows: int
    target_rows: int
    source_checksum: str
    target_checksum: str

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


def target_checksum(conn: psycopg.Connection, tm: TableMap,
                    is_cancelled: Callable[[], bool] = lambda: False, *,
                    ordered: bool = True) -> Checksum:
    """Hash the target table's rows as PostgreSQL prints them, ordered like the source.

    Binary tables come back in exactly the bytes the copy sent; text tables print floats as
    their IEEE bytes (``float8send``), as the copy hashed them.
    """
    cols: list[sql.Composable] = []
    for col in tm.columns:
        ident = sql.Identifier(col.name)
        if col.kind in (FLOAT, FLOAT4) and not tm.binary:
            cols.append(sql.SQL("float8send({}::float8)").format(ident))
        else:
            cols.append(ident)
    key = tm.source.integer_pk
    order: sql.Composable = sql.SQL("")
    if key is not None and ordered:
        order = sql.SQL(" ORDER BY {}").format(sql.Identifier(key))
    fmt = sql.SQL(" (FORMAT BINARY)") if tm.binary else sql.SQL("")
    stmt = sql.SQL("COPY (SELECT {} FROM {}{}) TO STDOUT{}").format(
        sql.SQL(", ").join(cols), tm.ident, order, fmt)
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


def check_table(conn: psycopg.Connection, tm: TableMap, mine: Checksum, *, created: bool,
                is_cancelled: Callable[[], bool] = lambda: False) -> TableCheck:
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


def _check(tm: TableMap, mine: Checksum, theirs: Checksum) -> TableCheck:
    return TableCheck(tm.name, mine.rows, theirs.rows, mine.hexdigest, theirs.hexdigest)
