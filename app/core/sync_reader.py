"""SQLite's side of a sync, read in a thread while the server fingerprints the target.

One thread owns the SQLite connection and reads table after table (each table's fingerprints,
or run's checksum for a table without an integer key, in one pass), while the caller has the
server fingerprint the same table; each side's work overlaps the other's.
"""

from __future__ import annotations

import queue
import threading
from array import array
from collections.abc import Callable
from dataclasses import dataclass
from operator import itemgetter
from typing import Any

import psycopg
from psycopg import sql

from app.core import high_water
from app.core.checksum import Checksum
from app.core.copy import source_checksum
from app.core.errors import Cancelled
from app.core.source import SqliteSource
from app.core.sync_diff import TableChanges
from app.core.sync_digest import SourceDigests, fingerprint_hash, supported
from app.core.target_schema import TableMap
from app.core.verify import target_checksum

ProgressFn = Callable[[str, int, int], None]
CANCELLED = "Cancelled: nothing was committed, the target is unchanged."
CASCADE_INDEX_FROM = 2  # deleted parent rows from which indexing the children pays off
ROWS_AHEAD = 8  # batches of changed rows the reader may read ahead (bounds memory)
WAIT_S = 0.2
ALL = "all"


@dataclass
class SourceSide:
    """One table's SQLite side: run's checksum, and fingerprints when it has an integer key."""

    table: str
    checksum: Checksum
    digests: SourceDigests | None
    ids: array | None = None  # a table compared as a whole: its integer keys, if it has one


class SqliteReader(threading.Thread):
    """Owns the SQLite connection while it reads each table's source side, in order.

    Every SQLite read happens in this thread until :meth:`close` (the connection's text
    factory is per connection, so two threads reading would trip over each other). Errors
    reach the consumer through the queue it waits on.
    """

    def __init__(
        self,
        conn: psycopg.Connection,
        src: SqliteSource,
        maps: list[TableMap],
        *,
        batch_size: int,
        on_progress: ProgressFn,
        is_cancelled: Callable[[], bool],
    ) -> None:
        super().__init__(name="ailt-sync-sqlite", daemon=True)
        self.algo = fingerprint_hash(conn)  # asked here: the thread sends no queries
        self.conn, self.src, self.maps = conn, src, maps
        self.batch_size, self.on_progress, self.is_cancelled = batch_size, on_progress, is_cancelled
        self.sides: queue.Queue[SourceSide | BaseException] = queue.Queue()
        self.stop = threading.Event()

    def stopped(self) -> bool:
        """Asked to stop (the consumer gave up, or the user cancelled)."""
        return self.stop.is_set() or self.is_cancelled()

    def run(self) -> None:
        """Read every table, one after the other."""
        try:
            for tm in self.maps:
                if self.stopped():
                    raise Cancelled(CANCELLED)
                self.sides.put(self._side(tm))
        except BaseException as exc:
            self.sides.put(exc)

    def _side(self, tm: TableMap) -> SourceSide:
        digests = SourceDigests(self.algo) if supported(tm) else None
        names = [c.name for c in tm.columns]
        key = names.index(tm.source.integer_pk) if tm.source.integer_pk in names else 0
        # The file's rows are counted by this very pass; the target's count is a close guess.
        total, done = tm.source.rows or tm.target_rows, [0]
        self.on_progress(tm.name, 0, total)

        # A table compared as a whole still has its ids noted, when it has an integer key: rows
        # PostgreSQL wrote after the switch must not go with a replacement.
        ids = array("q") if digests is None and tm.source.integer_pk in names else None

        def on_batch(batch: list[tuple[Any, ...]], canonical: list[bytearray] | None) -> None:
            if digests is not None and canonical is not None:
                digests.add(key, batch, canonical)  # the very bytes the checksum hashed
            elif ids is not None:
                ids.extend(map(itemgetter(key), batch))
            done[0] += len(batch)
            self.on_progress(tm.name, done[0], total)

        checksum = source_checksum(
            self.conn,
            self.src,
            tm,
            batch_size=self.batch_size,
            on_batch=on_batch,
            is_cancelled=self.stopped,
            hashed=digests is None,  # fingerprinted tables are verified by their buckets
        )
        if done[0] != total:  # the guess was off: the last report gives the real count
            self.on_progress(tm.name, done[0], done[0])
        return SourceSide(tm.name, checksum, digests, ids)

    # --- the consumer's side ----------------------------------------------------------------

    def next_side(self) -> SourceSide:
        """The next table's source side, in order (re-raises the reader's error)."""
        item = _get(self.sides, self.is_cancelled)
        if isinstance(item, BaseException):
            raise item
        return item

    def has_side(self) -> bool:
        """Whether :meth:`next_side` would return (or raise) without waiting."""
        return not self.sides.empty()

    def close(self) -> None:
        """Stop reading and wait for the thread (before the SQLite file is closed)."""
        self.stop.set()
        self.join()


def _get(q: queue.Queue[Any], is_cancelled: Callable[[], bool]) -> Any:
    while True:
        try:
            return q.get(timeout=WAIT_S)
        except queue.Empty:
            if is_cancelled():
                raise Cancelled(CANCELLED) from None


def whole_table(conn: psycopg.Connection, tm: TableMap, side: SourceSide) -> TableChanges:
    """A table without fingerprints: equal as a whole, or replaced as a whole.

    A replacement would delete every row, so rows PostgreSQL handed out itself (ids above
    what came from SQLite, :mod:`app.core.high_water`) that SQLite lacks are listed in
    ``target_only``: they stop the sync as they do for fingerprinted tables.
    """
    mine = side.checksum
    theirs = target_checksum(conn, tm)
    changes = TableChanges(tm.name)
    if theirs.hexdigest != mine.hexdigest or theirs.rows != mine.rows:
        changes.replace = True
        changes.replace_counts = (theirs.rows, mine.rows)
        if side.ids is not None:
            changes.target_only = _written_in_postgres(conn, tm, side.ids)
    return changes


def _written_in_postgres(conn: psycopg.Connection, tm: TableMap, ids: array) -> list[int]:
    sqlite_max = max(ids) if ids else 0
    limit = high_water.recorded(conn, tm)
    if limit is None:
        limit = max(tm.source.autoincrement_seq or 0, sqlite_max)
    key = tm.column(tm.source.integer_pk or "").ident
    above = conn.execute(
        sql.SQL("SELECT {} FROM {} WHERE {} > %s ORDER BY 1").format(key, tm.ident, key), [limit]
    ).fetchall()
    mine = set(ids)
    return [int(r[0]) for r in above if int(r[0]) not in mine]
