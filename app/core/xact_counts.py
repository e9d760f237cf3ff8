"""How many rows of a table the current transaction has inserted, updated and deleted.

``sync`` measures each table's buckets once, before changing it, and after its changes measures
again only the buckets its own statements touched. That is only sound if nothing else changed a
row in between: a cascade (``ON DELETE CASCADE`` / ``SET NULL``) from another table's delete, a
self-referencing foreign key, or a trigger. PostgreSQL keeps per-table counters of what the
current transaction did (``pg_stat_get_xact_tuples_inserted`` and friends, the functions behind
``pg_stat_xact_user_tables``, https://www.postgresql.org/docs/current/monitoring-stats.html),
cascades and triggers included. When a table's counters moved by exactly what sync's own
statements reported, sync's statements are all that changed it; otherwise the whole table is
measured again. With ``track_counts`` off the counters stand still, so they prove nothing and
every table is measured again. TRUNCATE moves no counter, but gives the table a new file
(``pg_relation_filenode``), which the snapshot holds too.
"""

from __future__ import annotations

from dataclasses import dataclass

import psycopg

from app.core.target_schema import TableMap


@dataclass(frozen=True)
class RowCounts:
    """Rows inserted, updated and deleted; ``filenode``: the table's file when counted (a
    snapshot's, kept by ``+``; 0 for what statements reported)."""

    inserted: int = 0
    updated: int = 0
    deleted: int = 0
    filenode: int = 0

    def __add__(self, other: RowCounts) -> RowCounts:
        return RowCounts(
            self.inserted + other.inserted,
            self.updated + other.updated,
            self.deleted + other.deleted,
            self.filenode or other.filenode,
        )


def xact_counts(conn: psycopg.Connection, tm: TableMap) -> RowCounts | None:
    """What this transaction has done to ``tm`` so far; None when the server does not count
    (``track_counts`` is off), so that nothing can be concluded from the counters."""
    row = conn.execute(
        "SELECT current_setting('track_counts')::bool, pg_stat_get_xact_tuples_inserted(r), "
        "pg_stat_get_xact_tuples_updated(r), pg_stat_get_xact_tuples_deleted(r), "
        "pg_relation_filenode(r) FROM (SELECT %s::regclass AS r) AS t",
        [tm.ident.as_string(conn)],
    ).fetchone()
    if row is None or not row[0]:
        return None
    return RowCounts(int(row[1]), int(row[2]), int(row[3]), int(row[4] or 0))


def only_ours(
    conn: psycopg.Connection, tm: TableMap, before: RowCounts | None, ours: RowCounts
) -> bool:
    """Whether the rows changed in ``tm`` since ``before`` are exactly the ones sync's own
    statements reported (``ours``): False when anything else changed rows, or when unknown."""
    now = xact_counts(conn, tm)
    return before is not None and now is not None and now == before + ours
