"""Apply one table's changes inside the sync transaction: deletes, then updates and inserts.

The changed rows are read from SQLite by id and sent with the copy's own COPY formatting into a
temporary table, from which one UPDATE and one INSERT take them. Tables are processed parents
first, so a row's new parent always exists before the row does. Deleting a parent cascades to
its children in PostgreSQL exactly as it did in SQLite; a child SQLite kept (moved to another
parent) is inserted again by its own table's INSERT, which takes every sent row that is not
there (whether it was never there or went with its old parent).
"""

from __future__ import annotations

import secrets
import sqlite3
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import psycopg
from psycopg import sql

from app.core.copy import copy_rows
from app.core.errors import Cancelled
from app.core.source import SqliteSource, UndecodableText, _quote
from app.core.sync_diff import TableChanges
from app.core.sync_digest import key_ident
from app.core.target_schema import TableMap
from app.core.xact_counts import RowCounts

IDS_PER_READ = 500  # ids per SQLite IN (...) list, well under its variable limit
# Always named with its schema: unqualified, a user's own table of that name would be found
# (and dropped) before the temporary one exists.
SCRATCH = sql.Identifier("pg_temp", "ailt_sync_rows")


def delete_rows(conn: psycopg.Connection, tm: TableMap, changes: TableChanges) -> int:
    """Delete the rows SQLite no longer holds (their children go by cascade); rows deleted
    from ``tm`` itself (as PostgreSQL reports them)."""
    if changes.replace:
        return conn.execute(sql.SQL("DELETE FROM {}").format(tm.ident)).rowcount
    if not changes.deletes:
        return 0
    query = sql.SQL("DELETE FROM {} WHERE {} = ANY(%s)").format(tm.ident, key_ident(tm))
    return conn.execute(query, [changes.deletes]).rowcount


def upsert_rows(
    conn: psycopg.Connection,
    src: SqliteSource,
    tm: TableMap,
    changes: TableChanges,
    *,
    batch_size: int,
    on_rows: Callable[[int], None] = lambda n: None,
    is_cancelled: Callable[[], bool] = lambda: False,
    batches: Callable[[], Iterable[list[tuple[Any, ...]]]] | None = None,
) -> RowCounts:
    """Send the inserted and updated rows, then update and insert them; returns the rows
    inserted and updated in ``tm`` as PostgreSQL reports them.

    ``batches``: the changed rows (all rows when replacing), read by someone else in the form
    the table's plan expects (:func:`changed_rows`); by default they are read here.
    """
    read = tuple(c.name for c in tm.columns)
    mine = batches is None
    if changes.replace:
        copied = copy_rows(
            conn,
            src,
            tm,
            tm.ident,
            batches or (lambda: src.rows(tm.source, read, batch_size)),
            on_rows=on_rows,
            is_cancelled=is_cancelled,
            set_text_factory=mine,
        )
        return RowCounts(inserted=copied)
    ids = sorted(changes.inserts + changes.updates)
    if not ids:
        return RowCounts()
    cols = sql.SQL(", ").join(c.ident for c in tm.copied)
    conn.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(SCRATCH))
    conn.execute(
        sql.SQL(
            "CREATE TEMPORARY TABLE {} ON COMMIT DROP AS SELECT {} FROM {} WITH NO DATA"
        ).format(SCRATCH, cols, tm.ident)
    )
    copy_rows(
        conn,
        src,
        tm,
        SCRATCH,
        batches or (lambda: rows_by_id(src, tm, ids, batch_size)),
        on_rows=on_rows,
        is_cancelled=is_cancelled,
        set_text_factory=mine,
    )
    if is_cancelled():
        raise Cancelled("Cancelled: nothing was committed, the target is unchanged.")
    key = key_ident(tm)
    others = [c.ident for c in tm.copied if c.name != tm.source.integer_pk]

    def update() -> int:
        if not (changes.updates and others):
            return 0
        sets = sql.SQL(", ").join(sql.SQL("{0} = s.{0}").format(c) for c in others)
        return conn.execute(
            sql.SQL(
                "UPDATE {tbl} AS t SET {sets} FROM {scratch} AS s WHERE t.{key} = s.{key}"
            ).format(tbl=tm.ident, sets=sets, scratch=SCRATCH, key=key)
        ).rowcount

    def insert() -> int:
        return conn.execute(
            sql.SQL(
                "INSERT INTO {tbl} ({cols}) OVERRIDING SYSTEM VALUE SELECT {cols} "
                "FROM {scratch} AS s "
                "WHERE NOT EXISTS (SELECT 1 FROM {tbl} AS t WHERE t.{key} = s.{key}) "
                # in key order, so the new rows land on disk in the order verification reads
                "ORDER BY s.{key}"
            ).format(tbl=tm.ident, cols=cols, scratch=SCRATCH, key=key)
        ).rowcount

    def upsert() -> RowCounts:
        action = (
            sql.SQL("DO UPDATE SET {}").format(
                sql.SQL(", ").join(sql.SQL("{0} = excluded.{0}").format(c) for c in others)
            )
            if others
            else sql.SQL("DO NOTHING")
        )
        flags = conn.execute(
            sql.SQL(
                "INSERT INTO {tbl} ({cols}) OVERRIDING SYSTEM VALUE SELECT {cols} "
                "FROM {scratch} AS s ORDER BY s.{key} ON CONFLICT ({key}) {action} "
                "RETURNING (xmax = 0)"  # a fresh row version: inserted, not updated
            ).format(tbl=tm.ident, cols=cols, scratch=SCRATCH, key=key, action=action)
        ).fetchall()
        fresh = sum(1 for (f,) in flags if f)
        return RowCounts(inserted=fresh, updated=len(flags) - fresh)

    # A foreign key is checked at the end of each statement, a UNIQUE constraint row by row.
    # In a table whose foreign key points to itself an updated row may point to a row the same
    # sync inserts (a tree's new parent), and an inserted one may take a UNIQUE value an update
    # frees: one statement, in id order, lets both through. Elsewhere the UPDATE goes first.
    if _refers_to_itself(tm):
        counts = upsert()
    else:
        counts = RowCounts(updated=update())
        counts += RowCounts(inserted=insert())
    conn.execute(sql.SQL("DROP TABLE {}").format(SCRATCH))
    return counts


def _refers_to_itself(tm: TableMap) -> bool:
    return any(fk.parent.lower() == tm.name.lower() for fk in tm.source.foreign_keys)


def changed_rows(
    src: SqliteSource, tm: TableMap, changes: TableChanges, batch_size: int
) -> Iterator[list[tuple[Any, ...]]]:
    """What :func:`upsert_rows` sends for ``changes``, read with the connection's current
    text factory (the caller sets the plan's: :func:`app.core.copy.text_factory`)."""
    if changes.replace:
        yield from src.rows(tm.source, tuple(c.name for c in tm.columns), batch_size)
        return
    yield from rows_by_id(src, tm, sorted(changes.inserts + changes.updates), batch_size)


def rows_by_id(
    src: SqliteSource, tm: TableMap, ids: list[int], batch_size: int
) -> Iterator[list[tuple[Any, ...]]]:
    """The rows with these ids, in id order, in batches of at most ``batch_size``."""
    select = ", ".join(_quote(c.name) for c in tm.columns)
    key = _quote(tm.source.integer_pk or "")
    step = max(1, min(IDS_PER_READ, batch_size))
    for start in range(0, len(ids), step):
        chunk = ids[start : start + step]
        marks = ", ".join("?" * len(chunk))
        try:
            yield src.conn.execute(
                f"SELECT {select} FROM {_quote(tm.name)} WHERE {key} IN ({marks}) ORDER BY {key}",
                chunk,
            ).fetchall()
        except sqlite3.OperationalError as exc:
            if "decode" in str(exc):
                raise UndecodableText(f"{tm.name} holds text that is not UTF-8.") from None
            raise


def index_cascades(conn: psycopg.Connection, parents: list[str]) -> list[sql.Identifier]:
    """Temporary indexes on the foreign keys a delete in ``parents`` cascades through.

    Deleting a parent row makes PostgreSQL look for its children (ON DELETE CASCADE), and for
    theirs; without an index on a child's column that is a scan of the whole child table per
    deleted row, which AI Log Trail's schema (no index on ``prompt_id``) would make quadratic.
    ``parents`` are PostgreSQL table names; every descendant reached through a cascade is
    covered. The indexes live only inside the sync's transaction: :func:`drop_indexes` removes
    them before commit. A user who may not create them (not the owner) gets the slow path.
    """
    if not parents:
        return []
    rows = conn.execute(
        """
        WITH RECURSIVE tree(rel) AS (
            SELECT to_regclass(quote_ident(n)) FROM unnest(%s::text[]) n
          UNION
            SELECT c.conrelid FROM pg_constraint c JOIN tree ON c.confrelid = tree.rel
            WHERE c.contype = 'f' AND c.confdeltype = 'c'
        )
        SELECT DISTINCT c.conrelid::regclass::text, a.attname
        FROM pg_constraint c
        JOIN tree ON c.confrelid = tree.rel
        JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
        WHERE c.contype = 'f' AND cardinality(c.conkey) = 1 AND c.conrelid <> c.confrelid
          AND NOT EXISTS (SELECT 1 FROM pg_index i
                          WHERE i.indrelid = c.conrelid AND i.indkey[0] = c.conkey[1])
        ORDER BY 1, 2""",
        [parents],
    ).fetchall()
    made = []
    tag = secrets.token_hex(4)  # a user's own index may have any fixed name
    for n, (child, column) in enumerate(rows):
        name = sql.Identifier(f"ailt_sync_fk_{tag}_{n}")
        try:
            with conn.transaction():
                conn.execute(
                    sql.SQL("CREATE INDEX {} ON {} ({})").format(
                        name, sql.SQL(child), sql.Identifier(column)
                    )
                )
        except psycopg.errors.InsufficientPrivilege:
            continue
        made.append(name)
    return made


def drop_indexes(conn: psycopg.Connection, names: list[sql.Identifier]) -> None:
    """Remove the temporary indexes again (same transaction: no trace after commit)."""
    for name in names:
        conn.execute(sql.SQL("DROP INDEX {}").format(name))
