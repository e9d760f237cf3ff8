"""Which rows differ between a SQLite table and its copy: inserts, updates and deletes by key.

Buckets of fingerprints (see :mod:`app.core.sync_digest`) are compared first; only buckets
whose row count or digest differ are read row by row from the target, by id range.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import psycopg

from app.core import high_water
from app.core.sync_digest import Buckets, SourceDigests, target_buckets, target_rows_in
from app.core.target_schema import TableMap


@dataclass
class TableChanges:
    """What sync does to one table; ids ascending.

    ``replace``: the table has no integer key, so it is compared as a whole and, when it
    differs, emptied and filled again (``deletes``/``inserts`` then hold row counts' worth of
    ``None`` placeholders, see :attr:`counts`).
    """

    table: str
    inserts: list[int] = field(default_factory=list)
    updates: list[int] = field(default_factory=list)
    deletes: list[int] = field(default_factory=list)
    # Rows PostgreSQL handed out itself (after a switch): never deleted or overwritten.
    target_only: list[int] = field(default_factory=list)
    clashes: int = 0  # how many of them SQLite holds a different row for, under the same id
    replace: bool = False
    replace_counts: tuple[int, int] = (0, 0)  # (rows deleted, rows inserted) when replacing
    # The identity sequence would hand out an id SQLite already handed out (and deleted).
    sequence_behind: bool = False
    # Rows a parent's delete took with it (ON DELETE CASCADE) before this table was compared.
    cascaded: int = 0

    @property
    def counts(self) -> dict[str, int]:
        """Rows to insert, update and delete."""
        if self.replace:
            return {"insert": self.replace_counts[1], "update": 0, "delete": self.replace_counts[0]}
        return {
            "insert": len(self.inserts),
            "update": len(self.updates),
            "delete": len(self.deletes) + self.cascaded,
        }

    @property
    def changed(self) -> bool:
        """Anything to do for this table."""
        return (
            self.replace
            or self.sequence_behind
            or bool(self.inserts or self.updates or self.deletes or self.cascaded)
        )


def high_water_mark(tm: TableMap, digests: SourceDigests) -> int:
    """The highest id SQLite has handed out: AUTOINCREMENT's counter, else the highest id.

    Without AUTOINCREMENT SQLite may hand out the highest id again after deleting it, so the
    highest id present is the best that can be known.
    """
    return max(tm.source.autoincrement_seq or 0, digests.max_id or 0)


def diff_table(
    conn: psycopg.Connection, tm: TableMap, source: SourceDigests, target: Buckets | None = None
) -> TableChanges:
    """Compare one table with an integer key; ``target`` buckets may be computed beforehand."""
    if target is None:
        target = target_buckets(conn, tm, source.algo)
    mine = source.buckets()
    differing = {b for b in mine.keys() | target.keys() if mine.get(b) != target.get(b)}
    hwm = high_water_mark(tm, source)
    changes = TableChanges(tm.name)
    following = high_water.next_value(conn, tm)
    changes.sequence_behind = following is not None and following <= hwm
    if not differing:
        return changes
    ours = source.rows_in(differing)
    theirs = target_rows_in(conn, tm, differing, source.algo)
    # Ids above this were handed out by PostgreSQL: what run or the last sync noted on the
    # sequence, else (an older target) SQLite's own high-water mark.
    recorded = high_water.recorded(conn, tm)
    limit = recorded if recorded is not None else hwm
    for key in sorted(ours.keys() | theirs.keys()):
        pg_own = key > limit
        if key not in theirs:
            changes.inserts.append(key)
        elif key not in ours:
            (changes.target_only if pg_own else changes.deletes).append(key)
        elif ours[key] != theirs[key]:
            if pg_own:
                changes.target_only.append(key)
                changes.clashes += 1
            else:
                changes.updates.append(key)
    return changes
