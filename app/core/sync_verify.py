"""Verify one table after sync changed it: all of its buckets against SQLite's.

The target's buckets were measured by the server before the changes, in the same transaction
and under sync's lock; the buckets sync's statements touched are measured again. That is the
whole table as it is now, provided sync's statements are all that changed it, which
:func:`app.core.xact_counts.only_ours` checks; otherwise the whole table is measured again.
"""

from __future__ import annotations

from itertools import chain

import psycopg

from app.core.sync_diff import TableChanges
from app.core.sync_digest import (
    Buckets,
    SourceDigests,
    bucket_of,
    digest_of,
    target_buckets,
    target_buckets_in,
)
from app.core.target_schema import TableMap
from app.core.verify import FINGERPRINTS, TableCheck
from app.core.xact_counts import RowCounts, only_ours


def verify_buckets(
    conn: psycopg.Connection,
    tm: TableMap,
    source: SourceDigests,
    measured: Buckets,
    changes: TableChanges,
    counts_before: RowCounts | None,
    ours: RowCounts,
) -> TableCheck:
    """Compare ``tm``'s buckets now with SQLite's.

    ``measured``: the server's buckets before the changes; ``counts_before``: the
    transaction's row counters for ``tm`` when they were measured; ``ours``: what sync's own
    statements reported doing to ``tm`` since.
    """
    if only_ours(conn, tm, counts_before, ours):
        touched = {bucket_of(k) for k in chain(changes.inserts, changes.updates, changes.deletes)}
        now = {b: v for b, v in measured.items() if b not in touched}
        now.update(target_buckets_in(conn, tm, touched, source.algo))
    else:  # a cascade, a trigger or an uncounted change: measure everything again
        now = target_buckets(conn, tm, source.algo)
    mine = source.buckets()
    source_rows = sum(n for n, _ in mine.values())
    return TableCheck(
        tm.name,
        source_rows,
        sum(n for n, _ in now.values()),
        digest_of(mine),
        digest_of(now),
        FINGERPRINTS,
        source_rows * len(tm.columns),
    )
