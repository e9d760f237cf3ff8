"""Execute a sync table by table, so reading SQLite overlaps the server's work.

One thread owns the SQLite connection and reads table after table (its fingerprints in one
pass, then, on request, the rows that changed), while this thread has the server fingerprint
the same table, narrows the differences, applies them, and verifies that table before moving
on (:mod:`app.core.sync_verify`: the ranges it changed are measured again).

Tables are taken parents first. A table's own deletes cascade to its children before the
children are compared, so each child is compared with what its parent's changes left; and a
table is final once it is applied (what comes later only touches its children; should a
trigger change it anyway, its row counters show it and it is verified again before the
commit). That needs every foreign key between the tables to cascade (or set null);
:func:`pipelinable` says when, and ``sync`` otherwise compares everything first, applies
children first, and verifies afterwards.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import psycopg

from app.core.checksum import Checksum
from app.core.copy import source_checksum, text_factory
from app.core.errors import Cancelled
from app.core.source import SqliteSource
from app.core.sync_apply import changed_rows, delete_rows, drop_indexes, index_cascades, upsert_rows
from app.core.sync_diff import TableChanges, diff_table
from app.core.sync_digest import SourceDigests, fingerprint_hash, supported, target_buckets
from app.core.sync_verify import verify_buckets
from app.core.target_schema import TableMap
from app.core.verify import TableCheck, check_table, target_checksum
from app.core.xact_counts import RowCounts, xact_counts

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


class SqliteReader(threading.Thread):
    """Owns the SQLite connection: each table's source side, then its changed rows on request.

    Every SQLite read happens in this thread (the connection's text factory is per connection,
    so two threads reading would trip over each other). Errors reach the consumer through
    whichever queue it waits on.
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
        serve: bool,
    ) -> None:
        super().__init__(name="ailt-sync-sqlite", daemon=True)
        self.algo = fingerprint_hash(conn)  # asked before the thread starts: it never uses conn
        self.conn, self.src, self.maps, self.serve = conn, src, maps, serve
        self.batch_size, self.on_progress, self.is_cancelled = batch_size, on_progress, is_cancelled
        self.sides: queue.Queue[SourceSide | BaseException] = queue.Queue()
        self.requests: queue.Queue[TableChanges | None] = queue.Queue()
        self.rows: queue.Queue[list[tuple[Any, ...]] | BaseException | None] = queue.Queue(
            ROWS_AHEAD
        )
        self.stop = threading.Event()

    def stopped(self) -> bool:
        """Asked to stop (the consumer gave up, or the user cancelled)."""
        return self.stop.is_set() or self.is_cancelled()

    def run(self) -> None:
        """Read every table; between tables, serve the changed rows the consumer asks for."""
        try:
            for tm in self.maps:
                self.sides.put(self._side(tm))
                if self.serve:
                    request = self._wait_request()
                    if request is not None:
                        self._serve(tm, request)
        except BaseException as exc:
            self.sides.put(exc)
            self._put_row(exc)

    def _side(self, tm: TableMap) -> SourceSide:
        digests = SourceDigests(self.algo) if supported(tm) else None
        names = [c.name for c in tm.columns]
        key = names.index(tm.source.integer_pk) if tm.source.integer_pk in names else 0
        # The file's rows are counted by this very pass; the target's count is a close guess.
        total, done = tm.source.rows or tm.target_rows, [0]
        self.on_progress(tm.name, 0, total)

        def on_batch(batch: list[tuple[Any, ...]], canonical: list[bytearray] | None) -> None:
            if digests is not None and canonical is not None:
                digests.add(key, batch, canonical)  # the very bytes the checksum hashed
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
        return SourceSide(tm.name, checksum, digests)

    def _wait_request(self) -> TableChanges | None:
        while not self.stopped():
            try:
                return self.requests.get(timeout=WAIT_S)
            except queue.Empty:
                continue
        raise Cancelled(CANCELLED)

    def _serve(self, tm: TableMap, changes: TableChanges) -> None:
        conn = self.src.conn
        previous, conn.text_factory = conn.text_factory, text_factory(tm)
        try:
            for batch in changed_rows(self.src, tm, changes, self.batch_size):
                self._put_row(batch)
            self._put_row(None)
        finally:
            conn.text_factory = previous

    def _put_row(self, item: list[tuple[Any, ...]] | BaseException | None) -> None:
        while not self.stop.is_set():
            try:
                self.rows.put(item, timeout=WAIT_S)
                return
            except queue.Full:
                continue

    # --- the consumer's side ----------------------------------------------------------------

    def next_side(self) -> SourceSide:
        """The next table's source side, in order (re-raises the reader's error)."""
        item = _get(self.sides, self.is_cancelled)
        if isinstance(item, BaseException):
            raise item
        return item

    def request(self, changes: TableChanges | None) -> None:
        """Ask for the rows ``changes`` sends (None: nothing, go on to the next table)."""
        self.requests.put(changes)

    def changed(self) -> Iterator[list[tuple[Any, ...]]]:
        """The requested rows, batch by batch, until the reader says they are all there."""
        while True:
            item = _get(self.rows, self.is_cancelled)
            if isinstance(item, BaseException):
                raise item
            if item is None:
                return
            yield item

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


def pipelinable(conn: psycopg.Connection, maps: list[TableMap]) -> bool:
    """Whether every foreign key among these tables cascades or sets null on delete."""
    names = [tm.ident.as_string(conn) for tm in maps]
    row = conn.execute(
        """
        SELECT count(*) FROM pg_constraint c
        WHERE c.contype = 'f' AND c.confdeltype NOT IN ('c', 'n', 'd')
          AND c.confrelid IN (SELECT to_regclass(n) FROM unnest(%s::text[]) n)""",
        [names],
    ).fetchone()
    return row is not None and row[0] == 0


@dataclass
class Outcome:
    """What the pipeline did: changes and checks per table, and where the time went."""

    changes: dict[str, TableChanges] = field(default_factory=dict)
    checksums: dict[str, Checksum] = field(default_factory=dict)
    checks: list[TableCheck] = field(default_factory=list)
    # SQLite's fingerprints and the transaction's row counters when each table was verified
    digests: dict[str, SourceDigests] = field(default_factory=dict)
    counts_at_check: dict[str, RowCounts | None] = field(default_factory=dict)
    diff_s: float = 0.0
    apply_s: float = 0.0
    verify_s: float = 0.0


def run_pipeline(
    conn: psycopg.Connection,
    src: SqliteSource,
    maps: list[TableMap],
    *,
    batch_size: int,
    on_progress: ProgressFn,
    on_phase: Callable[[str], None],
    is_cancelled: Callable[[], bool],
    refuse: Callable[[TableMap, TableChanges], None],
) -> Outcome:
    """Compare, apply and verify each table in turn; ``refuse`` raises for a table sync must
    not touch (before anything of it is written). Nothing is committed here."""
    reader = SqliteReader(
        conn,
        src,
        maps,
        batch_size=batch_size,
        on_progress=on_progress,
        is_cancelled=is_cancelled,
        serve=True,
    )
    reader.start()
    out = Outcome()
    try:
        for tm in maps:
            _one_table(
                conn, tm, reader, out, batch_size, on_progress, on_phase, is_cancelled, refuse
            )
    finally:
        reader.close()
    _recheck_moved(conn, maps, out)
    return out


def _recheck_moved(conn: psycopg.Connection, maps: list[TableMap], out: Outcome) -> None:
    """A table is verified right after its own changes; should anything later have changed it
    after all (a trigger on another table), verify it again in full before the commit."""
    by_name = {tm.name: tm for tm in maps}
    for n, check in enumerate(out.checks):
        tm = by_name[check.table]
        digests = out.digests.get(tm.name)
        if digests is None or xact_counts(conn, tm) == out.counts_at_check.get(tm.name):
            continue
        out.checks[n] = verify_buckets(
            conn, tm, digests, {}, TableChanges(tm.name), None, RowCounts()
        )


def _one_table(
    conn: psycopg.Connection,
    tm: TableMap,
    reader: SqliteReader,
    out: Outcome,
    batch_size: int,
    on_progress: ProgressFn,
    on_phase: Callable[[str], None],
    is_cancelled: Callable[[], bool],
    refuse: Callable[[TableMap, TableChanges], None],
) -> None:
    started = time.monotonic()
    on_phase(f"Comparing {tm.name}")
    fingerprinted = supported(tm)
    counts_before = xact_counts(conn, tm)
    theirs = target_buckets(conn, tm, reader.algo) if fingerprinted else None  # while read
    side = reader.next_side()
    if side.digests is not None and theirs is not None:
        ch = diff_table(conn, tm, side.digests, theirs)
        # its parents' deletes already took some rows (counted as deleted, as the dry run does)
        ch.cascaded = max(0, tm.target_rows - sum(n for n, _ in theirs.values()))
    else:
        ch = whole_table(conn, tm, side.checksum)
    out.changes[tm.name], out.checksums[tm.name] = ch, side.checksum
    refuse(tm, ch)
    sends = ch.replace or bool(ch.inserts or ch.updates)
    reader.request(ch if sends else None)  # the thread reads them while deletes run
    applied = time.monotonic()
    out.diff_s += applied - started
    ours = RowCounts()
    if ch.changed:
        on_phase(f"Writing {tm.name}")
        helpers = (
            index_cascades(conn, [tm.pg_name])
            if ch.replace or len(ch.deletes) > CASCADE_INDEX_FROM
            else []
        )
        ours += RowCounts(deleted=delete_rows(conn, tm, ch))
        drop_indexes(conn, helpers)
    if sends:
        total = ch.counts["insert"] + ch.counts["update"]
        ours += upsert_rows(
            conn,
            reader.src,
            tm,
            ch,
            batch_size=batch_size,
            on_rows=lambda n: on_progress(tm.name, n, total),
            is_cancelled=is_cancelled,
            batches=reader.changed,
        )
    verified = time.monotonic()
    out.apply_s += verified - applied
    on_phase(f"Verifying {tm.name}")
    if side.digests is not None and theirs is not None:
        # The buckets measured above, measured again where this table changed (a table is
        # final once applied: later tables are its children, whose changes cannot reach it
        # without moving its counters, which verify_buckets checks).
        check = verify_buckets(conn, tm, side.digests, theirs, ch, counts_before, ours)
        out.digests[tm.name] = side.digests
        out.counts_at_check[tm.name] = xact_counts(conn, tm)
    else:
        check = check_table(conn, tm, side.checksum, created=False, is_cancelled=is_cancelled)
    out.checks.append(check)
    out.verify_s += time.monotonic() - verified


def whole_table(conn: psycopg.Connection, tm: TableMap, mine: Checksum) -> TableChanges:
    """A table without fingerprints: equal as a whole, or replaced as a whole."""
    theirs = target_checksum(conn, tm)
    changes = TableChanges(tm.name)
    if theirs.hexdigest != mine.hexdigest or theirs.rows != mine.rows:
        changes.replace = True
        changes.replace_counts = (theirs.rows, mine.rows)
    return changes
