"""Remember, in the target, up to which id each table's rows came from SQLite.

After a switch AI Log Trail writes to PostgreSQL, and its ingest may keep writing to SQLite too,
so both sides can hand out the same new id. ``sync`` must never overwrite or delete a row that
PostgreSQL handed out, so ``run`` and ``sync`` leave a note on each identity sequence when they
commit: ``ailt-migrate: ids up to N came from SQLite``. Rows above N were written in PostgreSQL.

Without the note (a target migrated by an older version, or created by AI Log Trail) N is
unknown, and only rows above SQLite's own high-water mark are protected. Notes are comments:
they are part of the transaction, unlike setval.
"""

from __future__ import annotations

import contextlib
import re

import psycopg
from psycopg import sql

from app.core.sqlite_ddl import tokenize
from app.core.target_schema import TableMap

NOTE = "ailt-migrate: ids up to {} came from SQLite"
_NOTE_RE = re.compile(r"ailt-migrate: ids up to (-?\d+) came from SQLite")


def _sequence(conn: psycopg.Connection, tm: TableMap) -> str | None:
    """The identity/serial sequence of the table's key, quoted, or None."""
    if tm.source.integer_pk is None:
        return None
    key = tm.column(tm.source.integer_pk).pg_name
    row = conn.execute(
        "SELECT pg_get_serial_sequence(%s, %s)", [tm.ident.as_string(conn), key]
    ).fetchone()
    return str(row[0]) if row and row[0] else None


def record(conn: psycopg.Connection, tm: TableMap, high_water: int | None = None) -> None:
    """Note on the table's sequence that every id up to ``high_water`` came from SQLite.

    ``high_water`` defaults to the sequence's position (call right after advancing it past
    SQLite's ids, in the same transaction). Skipped quietly when there is no sequence or the
    user may not comment on it (not its owner): sync then falls back to the sequence's
    position.
    """
    seq = _sequence(conn, tm)
    if seq is None:
        return
    if high_water is None:
        following = next_value(conn, tm)
        if following is None:
            return
        high_water = following - 1
    with contextlib.suppress(psycopg.errors.InsufficientPrivilege), conn.transaction():
        conn.execute(
            sql.SQL("COMMENT ON SEQUENCE {} IS {}").format(
                sql.SQL(seq), sql.Literal(NOTE.format(high_water))
            )
        )


def cannot_advance(conn: psycopg.Connection, tm: TableMap) -> str | None:
    """Why this user cannot advance the table's sequence and keep its note current, or None.

    Advancing needs UPDATE on the sequence (setval); the note is a comment, which only the
    sequence's owner may change. Without the note's update a later sync would take rows this
    sync inserted for rows PostgreSQL wrote, so a note that exists must stay current.
    """
    seq = _sequence(conn, tm)
    if seq is None:
        return None
    row = conn.execute(
        "SELECT has_sequence_privilege(c.oid, 'UPDATE'), "
        "pg_has_role(current_user, c.relowner, 'USAGE'), c.relowner::regrole::text, "
        "obj_description(c.oid, 'pg_class') FROM pg_class c WHERE c.oid = %s::regclass",
        [seq],
    ).fetchone()
    if row is None:
        return None
    may_update, owns, owner, note = row
    if not may_update:
        return (
            f"Sync must advance {tm.name}'s identity sequence {seq}, which this role may not "
            f"(it needs UPDATE on the sequence): run sync as {owner}, or have {owner} grant "
            f"UPDATE on {seq}."
        )
    if not owns and _NOTE_RE.fullmatch(note or ""):
        return (
            f"Sync must update the note on {seq} saying which of {tm.name}'s ids came from "
            f"SQLite, and only its owner may: run sync as {owner}."
        )
    return None


def recorded(conn: psycopg.Connection, tm: TableMap) -> int | None:
    """Up to which id the target's rows came from SQLite, when that can be known."""
    seq = _sequence(conn, tm)
    if seq is None:
        return None
    row = conn.execute("SELECT obj_description(%s::regclass, 'pg_class')", [seq]).fetchone()
    match = _NOTE_RE.fullmatch(row[0] or "") if row else None
    return int(match.group(1)) if match else None


def next_value(conn: psycopg.Connection, tm: TableMap) -> int | None:
    """The id the table's sequence hands out next; None without one."""
    seq = _sequence(conn, tm)
    if seq is None:
        return None
    state = conn.execute(
        sql.SQL("SELECT last_value, is_called FROM {}").format(sql.SQL(seq))
    ).fetchone()
    if state is None:
        return None
    return int(state[0]) + 1 if state[1] else int(state[0])


def autoincrement_counter(tm: TableMap) -> int | None:
    """SQLite's AUTOINCREMENT counter for the table: its ``sqlite_sequence`` entry, 0 for an
    AUTOINCREMENT table that never held a row (no entry yet), None without AUTOINCREMENT."""
    if tm.source.autoincrement_seq is not None:
        return tm.source.autoincrement_seq
    declared = any(t.kind == "word" and t.upper == "AUTOINCREMENT" for t in tokenize(tm.source.sql))
    return 0 if declared else None


def not_the_source(conn: psycopg.Connection, tm: TableMap) -> str | None:
    """Why the file cannot be the one the target's rows came from, or None.

    The note says ids up to N came from SQLite; an AUTOINCREMENT counter never goes back
    ("the largest ROWID ever used", sqlite.org/autoinc.html), so a counter below N means
    another file, or an older copy of the right one. Syncing it would delete rows the file
    never held, PostgreSQL's own among them.
    """
    counter = autoincrement_counter(tm)
    noted = recorded(conn, tm)
    if counter is None or noted is None or counter >= noted:
        return None
    return (
        f"This does not look like the file the target came from: {tm.name}'s ids up to "
        f"{noted:,} came from SQLite (noted on its sequence by the last run or sync), but "
        f"this file's AUTOINCREMENT counter for {tm.name} stands at {counter:,}, and SQLite "
        "moves it back only when the table is rebuilt. Choose the file AI Log Trail writes "
        "now (another file or an older copy would lose the target rows it lacks); if this "
        "is the right file, run sync with --force."
    )
