"""Sync against a real PostgreSQL: every kind of change AI Log Trail makes, alone and together."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg
import pytest

from app.core import sync_digest, sync_reader
from app.core.dsn import Target, parse_dsn
from app.core.errors import Cancelled, ConnectFailed, Refused, VerificationFailed
from app.core.migrate import Options, execute
from app.core.scan import ACCEPT_LOSSY
from app.core.sync import execute_sync, plan_sync
from tests import ailt_ingest as ingest
from tests.helpers import assert_tables_identical, empty_ailt_db, postgres_rows, sample_db
from tests.postgres import TargetDb
from tests.test_migrate import _ailt_own_schema

Change = Callable[[sqlite3.Connection], object]


def _target(db: TargetDb) -> Target:
    return parse_dsn(db.conninfo).with_password(db.password)


def _tables(conn: psycopg.Connection) -> list[str]:
    rows = conn.execute(
        "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1"
    ).fetchall()
    return [r[0] for r in rows]


def _state(db: TargetDb) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, and every sequence's position."""
    with db.connect() as conn:
        state = {t: postgres_rows(conn, t) for t in _tables(conn)}
        state["sequences"] = conn.execute(
            "SELECT sequencename, last_value FROM pg_sequences ORDER BY 1"
        ).fetchall()
    return state


def _assert_identical(path: Path, db: TargetDb) -> None:
    with db.connect() as conn:
        for table in _tables(conn):
            assert_tables_identical(path, conn, table)


def _migrated(tmp_path: Path, db: TargetDb, sessions: int = 6) -> Path:
    path = sample_db(tmp_path, sessions=sessions)
    assert execute(path, _target(db)).committed
    return path


def _fails_unchanged(
    path: Path,
    db: TargetDb,
    error: type[Exception],
    match: str,
    *,
    target: Target | None = None,
) -> None:
    """``execute_sync`` raises ``error`` (matching ``match``) and the target is as it was."""
    before = _state(db)
    with pytest.raises(error, match=match):
        execute_sync(path, target or _target(db))
    assert _state(db) == before


def _add_trigger(db: TargetDb, table: str, body: str, when: str = "AFTER INSERT") -> None:
    """A statement-level plpgsql trigger ``body`` on ``table``, as a user might have one."""
    with db.connect() as conn:
        conn.execute(
            f"CREATE FUNCTION on_{table}() RETURNS trigger AS $$ BEGIN {body}; RETURN NULL; "
            f"END $$ LANGUAGE plpgsql; CREATE TRIGGER on_{table} {when} ON {table} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION on_{table}()"
        )


def _change(path: Path, *changes: Change) -> None:
    conn = ingest.open_writer(path)
    for change in changes:
        change(conn)
    conn.execute("COMMIT")
    conn.close()


def _new_file(c: sqlite3.Connection) -> None:
    ingest.add_file_like(c, 2, "/sessions/new-rollout.jsonl")


def _reingest(c: sqlite3.Connection) -> None:
    ingest.reingest(c, 3)


def _ingested_at(c: sqlite3.Connection) -> None:
    c.execute("UPDATE files SET ingested_at = '2026-05-06 07:08:09.5' WHERE id = 1")


def _edit_redactions(c: sqlite3.Connection) -> None:
    ids = [r[0] for r in c.execute("SELECT id FROM redactions ORDER BY id LIMIT 2")]
    ingest.edit_redactions(c, ids)


def _delete_redaction(c: sqlite3.Connection) -> None:
    ingest.delete_rows(c, "redactions", [r[0] for r in c.execute("SELECT max(id) FROM redactions")])


def _delete_file(c: sqlite3.Connection) -> None:
    ingest.delete_rows(c, "files", [4])  # its whole tree goes by cascade


def _delete_events(c: sqlite3.Connection) -> None:
    c.execute("DELETE FROM events WHERE id % 7 = 0")


CHANGES: dict[str, Change] = {
    "new file": _new_file,
    "re-ingest": _reingest,
    "ingested_at": _ingested_at,
    "edit redactions": _edit_redactions,
    "delete redaction": _delete_redaction,
    "delete file": _delete_file,
    "delete events": _delete_events,
}


@pytest.mark.parametrize("kind", list(CHANGES))
def test_each_kind_of_change(tmp_path: Path, target_db: TargetDb, kind: str) -> None:
    path = _migrated(tmp_path, target_db)
    _change(path, CHANGES[kind])
    plan = plan_sync(path, _target(target_db))
    assert not plan.up_to_date and not plan.refusals
    assert sum(plan.totals.values()) > 0
    result = execute_sync(path, _target(target_db))
    assert result.committed and result.counts_match and result.checksums_match
    assert len(result.checks) == len(plan.plan.tables)
    _assert_identical(path, target_db)
    assert plan_sync(path, _target(target_db)).up_to_date


def test_all_changes_together_with_exact_counts(tmp_path: Path, target_db: TargetDb) -> None:
    path = _migrated(tmp_path, target_db)
    before = (
        sqlite3.connect(path)
        .execute("SELECT count(*) FROM prompts WHERE file_id IN (3, 4)")
        .fetchone()[0]
    )
    _change(path, *CHANGES.values())
    plan = plan_sync(path, _target(target_db))
    files = plan.changes["files"].counts
    assert files == {"insert": 1, "update": 2, "delete": 1}  # new, ingested_at x2, deleted
    prompts = plan.changes["prompts"].counts
    # the re-ingested file's prompts come back under new ids; the new file adds its own
    assert prompts["delete"] == before and prompts["update"] == 0
    result = execute_sync(path, _target(target_db))
    assert result.committed
    assert result.sync.totals == plan.totals  # cascaded children counted as the dry run does
    _assert_identical(path, target_db)
    with target_db.connect() as conn:  # the cascades' helper indexes lived only in the sync
        assert conn.execute(
            "SELECT count(*) FROM pg_indexes WHERE indexname LIKE 'ailt_sync%%'"
        ).fetchone() == (0,)


def test_nothing_to_do_writes_nothing(tmp_path: Path, target_db: TargetDb) -> None:
    path = _migrated(tmp_path, target_db)
    before = _state(target_db)
    plan = plan_sync(path, _target(target_db))
    assert plan.up_to_date
    assert {t.status for t in plan.plan.tables} == {"up to date"}
    result = execute_sync(path, _target(target_db))
    assert not result.committed and result.checks == []
    assert _state(target_db) == before


def test_new_rows_get_ids_past_sqlite_high_water_mark(tmp_path: Path, target_db: TargetDb) -> None:
    path = _migrated(tmp_path, target_db)
    _change(
        path,
        _new_file,
        lambda c: c.execute("DELETE FROM files WHERE id = (SELECT max(id) FROM files)"),
    )
    execute_sync(path, _target(target_db))
    seq = (
        sqlite3.connect(path)
        .execute("SELECT seq FROM sqlite_sequence WHERE name = 'files'")
        .fetchone()[0]
    )
    with target_db.connect() as conn:
        new = conn.execute("INSERT INTO files (path) VALUES ('/pg') RETURNING id").fetchone()
    assert new == (seq + 1,)


def test_rows_written_in_postgres_after_the_switch_are_never_deleted(
    tmp_path: Path, target_db: TargetDb
) -> None:
    path = _migrated(tmp_path, target_db)
    with target_db.connect() as conn:
        row = conn.execute(
            "INSERT INTO files (path) VALUES ('/written/in/pg') RETURNING id"
        ).fetchone()
    assert row is not None
    new_id = row[0]
    _change(path, _edit_redactions)
    before = _state(target_db)
    plan = plan_sync(path, _target(target_db))
    assert plan.changes["files"].target_only == [new_id]
    assert any(
        "files holds 1 row(s) written in PostgreSQL after the switch" in r and f"id {new_id}" in r
        for r in plan.refusals
    )
    assert {t.name: t.status for t in plan.plan.tables}["files"] == "problem"
    with pytest.raises(Refused, match=rf"files .*id {new_id}.*never deletes or overwrites"):
        execute_sync(path, _target(target_db))
    assert _state(target_db) == before


def test_rows_deleted_in_sqlite_are_deleted_below_the_high_water_mark(
    tmp_path: Path, target_db: TargetDb
) -> None:
    path = _migrated(tmp_path, target_db)
    _change(path, lambda c: c.execute("DELETE FROM events WHERE id = (SELECT max(id) FROM events)"))
    plan = plan_sync(path, _target(target_db))
    assert plan.changes["events"].counts == {"insert": 0, "update": 0, "delete": 1}
    assert execute_sync(path, _target(target_db)).committed
    _assert_identical(path, target_db)


def test_child_moved_to_another_parent_survives_the_cascade(
    tmp_path: Path, target_db: TargetDb
) -> None:
    """Deleting a prompt in PostgreSQL cascades to a token message SQLite moved elsewhere."""
    path = _migrated(tmp_path, target_db)
    conn = sqlite3.connect(path)
    rid, pid = conn.execute(
        "SELECT id, prompt_id FROM token_messages ORDER BY id LIMIT 1"
    ).fetchone()
    other = conn.execute("SELECT min(id) FROM prompts WHERE id <> ?", [pid]).fetchone()[0]
    conn.close()
    _change(
        path,
        lambda c: c.execute("UPDATE token_messages SET prompt_id = ? WHERE id = ?", [other, rid]),
        lambda c: c.execute("DELETE FROM prompts WHERE id = ?", [pid]),
    )
    # The dry run rehearses it: the prompt's delete takes the moved message with it, so it is
    # sent again (counted as a cascaded delete and an insert), exactly as execute does it.
    planned = plan_sync(path, _target(target_db)).changes["token_messages"]
    assert rid in planned.inserts and planned.cascaded == 1
    result = execute_sync(path, _target(target_db))
    assert result.committed
    assert result.sync.changes["token_messages"].counts == planned.counts
    _assert_identical(path, target_db)


def test_target_created_by_ai_log_trail_itself(tmp_path: Path, target_db: TargetDb) -> None:
    """INTEGER ids and 4-byte REAL columns, as AI Log Trail's own schema has them."""
    path = sample_db(tmp_path, sessions=5, older=True)
    with target_db.connect() as conn:
        _ailt_own_schema(conn)
    lossy = Options(repairs=frozenset({ACCEPT_LOSSY}))  # keep the 4-byte reals as they are
    assert execute(path, _target(target_db), lossy).committed
    _change(path, _new_file, _reingest, _ingested_at, _delete_file)
    lite = sqlite3.connect(path)
    lite.execute(
        "UPDATE token_messages SET primary_used_percent = 12.3456789012 "
        "WHERE id = (SELECT min(id) FROM token_messages)"
    )
    lite.commit()
    lite.close()
    plan = plan_sync(path, _target(target_db))
    assert plan.changes["token_messages"].counts["update"] == 1
    result = execute_sync(path, _target(target_db))
    assert result.committed and result.checksums_match
    with target_db.connect() as pg:
        assert_tables_identical(path, pg, "prompts")
        assert_tables_identical(path, pg, "events")
        real = pg.execute(
            "SELECT data_type FROM information_schema.columns WHERE table_name = "
            "'token_messages' AND column_name = 'primary_used_percent'"
        ).fetchone()
        assert real == ("real",)
    assert plan_sync(path, _target(target_db)).up_to_date


def test_target_that_does_not_fit_is_refused(tmp_path: Path, target_db: TargetDb) -> None:
    path = sample_db(tmp_path)
    with target_db.connect() as conn:
        conn.execute("CREATE TABLE files (id BIGINT PRIMARY KEY, location TEXT NOT NULL)")
    plan = plan_sync(path, _target(target_db))
    assert any("do not fit" in r and "has no column path" in r for r in plan.refusals)
    with pytest.raises(Refused, match="has no table sessions"):
        execute_sync(path, _target(target_db))


def test_empty_target_is_sent_to_run(tmp_path: Path, target_db: TargetDb) -> None:
    path = sample_db(tmp_path)
    with pytest.raises(Refused, match="migrate it first with 'ailt-migrate run --execute'"):
        execute_sync(path, _target(target_db))


def test_table_without_integer_key_is_replaced_as_a_whole(
    tmp_path: Path, target_db: TargetDb
) -> None:
    conn = empty_ailt_db(tmp_path)
    conn.execute("INSERT INTO files (path) VALUES ('a')")
    conn.execute("CREATE TABLE tags (name TEXT PRIMARY KEY, weight REAL)")
    conn.executemany("INSERT INTO tags VALUES (?, ?)", [("a", 0.1), ("b", None)])
    conn.commit()
    path = tmp_path / "tiny.sqlite"
    execute(path, _target(target_db))
    conn.execute("UPDATE tags SET weight = 2.5 WHERE name = 'b'")
    conn.execute("INSERT INTO tags VALUES ('c\tx', 1e300)")
    conn.commit()
    conn.close()
    plan = plan_sync(path, _target(target_db))
    assert plan.changes["tags"].counts == {"insert": 3, "update": 0, "delete": 2}
    assert plan.changes["files"].counts == {"insert": 0, "update": 0, "delete": 0}
    assert execute_sync(path, _target(target_db)).committed
    with target_db.connect() as pg:
        rows = pg.execute("SELECT name, weight FROM tags ORDER BY name").fetchall()
    assert rows == [("a", 0.1), ("b", 2.5), ("c\tx", 1e300)]


def test_cancel_mid_sync_leaves_the_target_as_it_was(tmp_path: Path, target_db: TargetDb) -> None:
    path = _migrated(tmp_path, target_db)
    _change(path, *CHANGES.values())
    before = _state(target_db)
    phases: list[str] = []
    with pytest.raises(Cancelled):
        execute_sync(
            path,
            _target(target_db),
            on_phase=phases.append,
            is_cancelled=lambda: any(p.startswith("Verifying") for p in phases),
        )
    assert _state(target_db) == before


def test_dropped_connection_mid_sync(tmp_path: Path, target_db: TargetDb) -> None:
    path = _migrated(tmp_path, target_db)
    _change(path, *CHANGES.values())
    before = _state(target_db)
    killed: list[bool] = []

    def phase(text: str) -> None:
        if text.startswith("Writing prompts") and not killed:
            with target_db.server.admin() as admin:
                admin.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE application_name = 'ailt-migrate'"
                )
            killed.append(True)

    with pytest.raises(ConnectFailed, match="lost during the sync") as err:
        execute_sync(path, _target(target_db), Options(batch_size=20), on_phase=phase)
    assert killed and target_db.password not in str(err.value)
    assert _state(target_db) == before


def test_verification_mismatch_rolls_back(tmp_path: Path, target_db: TargetDb) -> None:
    path = _migrated(tmp_path, target_db)
    with target_db.connect() as conn:
        conn.execute("""
            CREATE FUNCTION shout() RETURNS trigger AS $$
            BEGIN NEW.message := upper(NEW.message); RETURN NEW; END $$ LANGUAGE plpgsql;
            CREATE TRIGGER shout BEFORE INSERT ON prompts FOR EACH ROW EXECUTE FUNCTION shout();
        """)
    _change(path, _new_file)
    _fails_unchanged(path, target_db, VerificationFailed, "prompts")


@pytest.mark.parametrize("algo", [sync_digest.CRC32C, sync_digest.MD5, sync_digest.SHA256])
def test_each_hash_finds_the_changes_and_then_nothing(
    tmp_path: Path, target_db: TargetDb, monkeypatch: pytest.MonkeyPatch, algo: str
) -> None:
    """The client's and the server's fingerprints agree with each hash (PostgreSQL 18+ gets
    CRC-32C; an older server built with OpenSSL gets SHA-256, one without gets MD5): an
    up-to-date target shows no difference."""
    with target_db.connect() as conn:
        if algo == sync_digest.CRC32C and conn.info.server_version < 180000:
            pytest.skip("crc32c() arrived in PostgreSQL 18")
    monkeypatch.setattr(sync_reader, "fingerprint_hash", lambda conn: algo)
    path = _migrated(tmp_path, target_db)
    assert plan_sync(path, _target(target_db)).up_to_date
    _change(path, _new_file, _reingest, _ingested_at)
    result = execute_sync(path, _target(target_db))
    assert result.committed and result.sync.totals["update"] >= 1
    _assert_identical(path, target_db)
    assert plan_sync(path, _target(target_db)).up_to_date


def test_the_hash_follows_the_servers_version_and_ssl_library(target_db: TargetDb) -> None:
    with target_db.connect() as conn:
        row = conn.execute("SELECT current_setting('ssl_library', true)").fetchone()
        expected = sync_digest.SHA256 if row and row[0] == "OpenSSL" else sync_digest.MD5
        if conn.info.server_version >= 180000:
            expected = sync_digest.CRC32C
        assert sync_digest.fingerprint_hash(conn) == expected


@pytest.fixture
def small_buckets(monkeypatch: pytest.MonkeyPatch) -> None:
    """Buckets of 2 ids, so that a sample file spreads over many (256 ids would hold it all)."""
    monkeypatch.setattr(sync_digest, "BUCKET_SHIFT", 1)


@pytest.mark.usefixtures("small_buckets")
def test_a_change_to_a_row_sync_did_not_touch_is_caught(
    tmp_path: Path, target_db: TargetDb
) -> None:
    """Verification re-measures only the id ranges sync changed, unless something else moved
    rows: here a trigger rewrites an old row the sync never touched, and the whole table is
    measured again and found different."""
    path = _migrated(tmp_path, target_db)
    _add_trigger(target_db, "prompts", "UPDATE prompts SET message = 'tampered' WHERE id = 1")
    _change(path, _new_file)
    _fails_unchanged(path, target_db, VerificationFailed, "prompts")


@pytest.mark.usefixtures("small_buckets")
def test_a_table_changed_after_its_verification_is_verified_again(
    tmp_path: Path, target_db: TargetDb
) -> None:
    """A trigger on a child table that changes a parent sync did not touch: the parent's row
    counters moved, so it is measured again in full and found different."""
    path = _migrated(tmp_path, target_db)
    _add_trigger(target_db, "prompts", "UPDATE files SET path = 'moved' WHERE id = 1")
    _change(path, _new_file)
    _fails_unchanged(path, target_db, VerificationFailed, "files")


@pytest.mark.usefixtures("small_buckets")
def test_without_row_counters_every_table_is_measured_again(
    tmp_path: Path, target_db: TargetDb
) -> None:
    """With track_counts off PostgreSQL cannot say what else changed rows: sync measures
    every changed table in full, so it still verifies a good sync and catches a bad one."""
    path = _migrated(tmp_path, target_db)
    with target_db.server.admin() as admin:
        admin.execute(f"ALTER DATABASE {target_db.name} SET track_counts = off")
    _change(path, _new_file, _reingest)
    assert execute_sync(path, _target(target_db)).committed
    _assert_identical(path, target_db)
    with target_db.connect() as conn:
        assert conn.execute("SHOW track_counts").fetchone() == ("off",)
    _add_trigger(target_db, "prompts", "UPDATE prompts SET message = 'tampered' WHERE id = 1")
    _change(path, lambda c: ingest.add_file_like(c, 1, "/sessions/another.jsonl"))
    _fails_unchanged(path, target_db, VerificationFailed, "prompts")


def test_value_postgres_refuses_is_named(tmp_path: Path, target_db: TargetDb) -> None:
    path = _migrated(tmp_path, target_db, sessions=3)
    _change(
        path, lambda c: c.execute("UPDATE prompts SET message = ? WHERE id = 1", ["nul\x00inside"])
    )
    _fails_unchanged(path, target_db, Refused, "prompts id 1 column message")


@pytest.mark.parametrize(
    ("statement", "named"),
    [
        (
            "UPDATE prompts SET prompt_index = 'abc' WHERE id = 2",
            "prompts id 2 column prompt_index",
        ),
        ("UPDATE prompts SET prompt_index = 1.5 WHERE id = 3", "prompts id 3 column prompt_index"),
        (
            "UPDATE token_messages SET primary_window_minutes = x'00ff' WHERE id = 1",
            "token_messages id 1",
        ),
    ],
)
def test_a_value_of_the_wrong_type_is_named_not_a_crash(
    tmp_path: Path, target_db: TargetDb, statement: str, named: str
) -> None:
    """SQLite lets an INTEGER column hold text, a real or a blob; the fingerprint cannot be
    formed, and sync refuses as run's dry run does, naming table, row and column."""
    path = _migrated(tmp_path, target_db, sessions=3)
    _change(path, lambda c: c.execute(statement))
    before = _state(target_db)
    try:
        plan = plan_sync(path, _target(target_db))
    except Refused as exc:
        assert named in exc.message
    else:
        assert plan.refusals and named in plan.refusals[0]
    assert _state(target_db) == before
    _fails_unchanged(path, target_db, Refused, named)


def test_another_file_or_an_older_copy_is_refused_before_it_deletes_anything(
    tmp_path: Path, target_db: TargetDb
) -> None:
    """A review synced a smaller, unrelated AI Log Trail file into a migrated target: it
    deleted most rows, ids above that file's AUTOINCREMENT counter included. The counter never
    goes back, so a counter below the ids the target noted proves another file (or an older
    copy): dry run and execute refuse (exit 3) and write nothing."""
    path = _migrated(tmp_path, target_db, sessions=6)
    older = tmp_path / "older.sqlite"
    older.write_bytes(path.read_bytes())
    _change(path, _new_file)
    assert execute_sync(path, _target(target_db)).committed  # the note moves past the copy
    (tmp_path / "other").mkdir()
    other = sample_db(tmp_path / "other", sessions=2)
    for wrong in (other, older):
        before = _state(target_db)
        plan = plan_sync(wrong, _target(target_db))
        assert (
            plan.refusals
            and "does not look like the file the target came from" in (plan.refusals[0])
        )
        assert "AUTOINCREMENT counter for files" in plan.refusals[0]
        assert _state(target_db) == before
        _fails_unchanged(wrong, target_db, Refused, "another file or an older copy")
    assert plan_sync(path, _target(target_db)).up_to_date  # the right file still is


def test_a_rebuilt_table_is_refused_until_forced(tmp_path: Path, target_db: TargetDb) -> None:
    """A review rebuilt a table the usual SQLite way after deleting its newest rows, which
    moves the AUTOINCREMENT counter back. Sync cannot tell that from an older copy: it refuses
    and names --force, which then syncs."""
    path = _migrated(tmp_path, target_db, sessions=6)

    def rebuild(c: sqlite3.Connection) -> None:
        top = c.execute("SELECT max(id) FROM events").fetchone()[0]
        c.execute("DELETE FROM events WHERE id > ?", [top - 3])
        ddl = c.execute("SELECT sql FROM sqlite_master WHERE name = 'events'").fetchone()[0]
        c.execute("CREATE TABLE events_copy AS SELECT * FROM events")
        c.execute("DROP TABLE events")
        c.execute(ddl)
        c.execute("INSERT INTO events SELECT * FROM events_copy")
        c.execute("DROP TABLE events_copy")

    _change(path, rebuild)
    plan = plan_sync(path, _target(target_db))
    assert plan.refusals and "--force" in plan.refusals[0]
    assert "AUTOINCREMENT counter for events" in plan.refusals[0]
    forced = Options(other_file_ok=True)
    assert execute_sync(path, _target(target_db), forced).committed
    _assert_identical(path, target_db)


def test_another_file_with_higher_counters_is_refused_by_its_contents(
    tmp_path: Path, target_db: TargetDb
) -> None:
    """A review synced a larger, unrelated file: its counters were ahead, so only the rows
    tell. Most rows both sides hold differ: refused, unless forced."""
    from app.sample.generator import generate

    path = _migrated(tmp_path, target_db, sessions=3)
    other = tmp_path / "other.sqlite"
    generate(other, sessions=8, seed=99, with_redactions=True)
    before = _state(target_db)
    plan = plan_sync(other, _target(target_db))
    assert plan.refusals and "rows both hold under the same id differ" in plan.refusals[0]
    assert _state(target_db) == before
    _fails_unchanged(other, target_db, Refused, "--force")
    assert execute_sync(other, _target(target_db), Options(other_file_ok=True)).committed
    _assert_identical(other, target_db)
    assert path.exists()


def test_same_new_id_on_both_sides_after_a_sync_is_refused(
    tmp_path: Path, target_db: TargetDb
) -> None:
    """After a sync, AI Log Trail writes id N+1 in PostgreSQL while its ingest writes another
    id N+1 in SQLite: sync must not overwrite PostgreSQL's row."""
    path = _migrated(tmp_path, target_db)
    _change(path, _new_file)
    assert execute_sync(path, _target(target_db)).committed
    with target_db.connect() as conn:
        row = conn.execute("INSERT INTO files (path) VALUES ('/pg') RETURNING id").fetchone()
    assert row is not None
    pg_id = row[0]
    _change(path, lambda c: ingest.add_file_like(c, 1, "/sqlite-side.jsonl"))
    assert sqlite3.connect(path).execute("SELECT max(id) FROM files").fetchone() == (pg_id,)
    before = _state(target_db)
    plan = plan_sync(path, _target(target_db))
    assert plan.changes["files"].target_only == [pg_id] and plan.changes["files"].clashes == 1
    with pytest.raises(Refused, match="SQLite holds other rows under some of the same ids"):
        execute_sync(path, _target(target_db))
    assert _state(target_db) == before


def test_foreign_keys_without_cascade_apply_children_first(
    tmp_path: Path, target_db: TargetDb
) -> None:
    """A key that does not cascade: everything is applied children first, then verified."""
    path = sample_db(tmp_path)
    lite = sqlite3.connect(path)
    lite.execute(
        "CREATE TABLE notes (id INTEGER PRIMARY KEY, file_id INTEGER REFERENCES "
        "files(id), body TEXT)"
    )
    lite.executemany("INSERT INTO notes (file_id, body) VALUES (?, ?)", [(1, "a"), (2, "b")])
    lite.commit()
    lite.close()
    assert execute(path, _target(target_db)).committed
    _change(
        path,
        lambda c: c.execute("DELETE FROM notes WHERE file_id = 2"),
        lambda c: c.execute("DELETE FROM files WHERE id = 2"),
        lambda c: c.execute("UPDATE notes SET body = 'changed' WHERE id = 1"),
    )
    with target_db.connect() as conn:
        rule = conn.execute(
            "SELECT confdeltype FROM pg_constraint WHERE conrelid = "
            "'notes'::regclass AND contype = 'f'"
        ).fetchone()
    assert rule == ("a",)  # NO ACTION: deleting the file first would fail
    phases: list[str] = []
    assert execute_sync(path, _target(target_db), on_phase=phases.append).committed
    assert "Applying the changes" in phases
    _assert_identical(path, target_db)


# --- found by review: what the dry run promises, execute does ---------------------------------


def test_a_postgres_only_child_of_a_reingested_prompt_stops_execute_as_it_stops_the_dry_run(
    tmp_path: Path, target_db: TargetDb
) -> None:
    """A redaction added in PostgreSQL after the switch belongs to a prompt that SQLite's ingest
    then re-ingests: deleting the prompt would take the redaction with it by cascade."""
    path = _migrated(tmp_path, target_db)
    with target_db.connect() as conn:
        row = conn.execute(
            "INSERT INTO redactions (prompt_id, scope, replacement_text) "
            "SELECT min(id), 'prompt', '[REDACTED]' FROM prompts WHERE file_id = 3 RETURNING id"
        ).fetchone()
    assert row is not None
    _change(path, _reingest)
    plan = plan_sync(path, _target(target_db))
    assert plan.refusals and f"id {row[0]}" in plan.refusals[0]
    _fails_unchanged(path, target_db, Refused, f"id {row[0]}")


def test_rows_of_a_postgres_only_table_are_not_lost_by_cascade(
    tmp_path: Path, target_db: TargetDb
) -> None:
    path = _migrated(tmp_path, target_db)
    with target_db.connect() as conn:
        conn.execute(
            "CREATE TABLE prompt_notes (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, "
            "prompt_id bigint REFERENCES prompts(id) ON DELETE CASCADE, note text)"
        )
        conn.execute(
            "INSERT INTO prompt_notes (prompt_id, note) "
            "SELECT id, 'mine' FROM prompts WHERE file_id = 3"
        )
    _change(path, _reingest)
    plan = plan_sync(path, _target(target_db))
    assert plan.refusals and "prompt_notes" in plan.refusals[0]
    _fails_unchanged(path, target_db, Refused, "prompt_notes")


def test_a_user_table_named_like_syncs_scratch_table_is_left_alone(
    tmp_path: Path, target_db: TargetDb
) -> None:
    path = _migrated(tmp_path, target_db)
    with target_db.connect() as conn:
        conn.execute("CREATE TABLE ailt_sync_rows (id int PRIMARY KEY, important text)")
        conn.execute("INSERT INTO ailt_sync_rows VALUES (1, 'my data')")
    _change(path, _ingested_at)
    assert execute_sync(path, _target(target_db)).committed
    with target_db.connect() as conn:
        assert conn.execute("SELECT important FROM ailt_sync_rows").fetchall() == [("my data",)]


def test_ids_at_the_top_of_bigint(tmp_path: Path, target_db: TargetDb) -> None:
    """The last range of ids ends at 2**63 - 1; its end must not overflow a bigint."""
    path = sample_db(tmp_path)
    lite = sqlite3.connect(path)
    lite.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)")
    lite.execute("INSERT INTO notes VALUES (1, 'low'), (9223372036854775806, 'high')")
    lite.commit()
    lite.close()
    assert execute(path, _target(target_db)).committed
    _change(path, lambda c: c.execute("INSERT INTO notes VALUES (9223372036854775807, 'max')"))
    assert plan_sync(path, _target(target_db)).totals["insert"] == 1
    assert execute_sync(path, _target(target_db)).committed
    _assert_identical(path, target_db)


def test_the_dry_run_rehearses_and_names_a_value_execute_would_refuse(
    tmp_path: Path, target_db: TargetDb
) -> None:
    path = _migrated(tmp_path, target_db, sessions=3)
    _change(
        path, lambda c: c.execute("UPDATE prompts SET message = ? WHERE id = 2", ["nul\x00inside"])
    )
    before = _state(target_db)
    plan = plan_sync(path, _target(target_db))
    assert plan.refusals and "prompts id 2 column message" in plan.refusals[0]
    assert _state(target_db) == before  # the rehearsal left nothing behind


def test_a_moved_prompt_keeps_its_children_when_a_foreign_key_does_not_cascade(
    tmp_path: Path, target_db: TargetDb
) -> None:
    """One non-cascading key anywhere; a prompt moves to another file and its old file goes:
    the cascade takes the prompt's children, which SQLite kept, so they are sent again."""
    path = sample_db(tmp_path)
    lite = sqlite3.connect(path)
    lite.execute("CREATE TABLE owners (id INTEGER PRIMARY KEY, name TEXT)")
    lite.execute(
        "CREATE TABLE pets (id INTEGER PRIMARY KEY, owner_id INTEGER REFERENCES owners(id))"
    )
    lite.execute("INSERT INTO owners VALUES (1, 'a'), (2, 'b')")
    lite.execute("INSERT INTO pets VALUES (1, 1)")
    lite.commit()
    lite.close()
    assert execute(path, _target(target_db)).committed
    _change(
        path,
        lambda c: c.execute("UPDATE prompts SET file_id = 2 WHERE file_id = 3"),
        lambda c: c.execute("DELETE FROM files WHERE id = 3"),
    )
    plan = plan_sync(path, _target(target_db))
    assert not plan.refusals
    result = execute_sync(path, _target(target_db))
    assert result.committed and result.sync.totals == plan.totals
    _assert_identical(path, target_db)


def test_a_tree_where_an_update_frees_a_unique_value_a_new_row_takes(
    tmp_path: Path, target_db: TargetDb
) -> None:
    """A review: in a self-referencing table with a UNIQUE column, inserting before updating
    refused a valid change (the new row took the name the update gives up)."""
    path = sample_db(tmp_path)
    lite = sqlite3.connect(path)
    lite.execute(
        "CREATE TABLE nodes (id INTEGER PRIMARY KEY AUTOINCREMENT, "
        "parent_id INTEGER REFERENCES nodes(id), name TEXT UNIQUE)"
    )
    lite.execute("INSERT INTO nodes (parent_id, name) VALUES (NULL, 'n1'), (1, 'n2'), (1, 'n3')")
    lite.commit()
    lite.close()
    assert execute(path, _target(target_db)).committed
    _change(
        path,
        lambda c: c.execute("UPDATE nodes SET name = 'zz' WHERE id = 2"),
        lambda c: c.execute("INSERT INTO nodes (parent_id, name) VALUES (NULL, 'n2')"),
        lambda c: c.execute("INSERT INTO nodes (parent_id, name) VALUES (NULL, 'top')"),
        lambda c: c.execute("UPDATE nodes SET parent_id = 5 WHERE id = 3"),  # under a new row
    )
    plan = plan_sync(path, _target(target_db))
    assert not plan.refusals and plan.changes["nodes"].counts == {
        "insert": 2,
        "update": 2,
        "delete": 0,
    }
    result = execute_sync(path, _target(target_db))
    assert result.committed and result.checksums_match
    _assert_identical(path, target_db)


def test_rows_trading_unique_values_are_refused_with_a_way_forward(
    tmp_path: Path, target_db: TargetDb
) -> None:
    """Two files trade paths in SQLite (a valid state); PostgreSQL checks UNIQUE row by row,
    so the UPDATE cannot pass. The sentence names the constraint and what to do."""
    path = _migrated(tmp_path, target_db, sessions=3)

    def swap(c: sqlite3.Connection) -> None:
        one, two = (
            r[0] for r in c.execute("SELECT path FROM files WHERE id IN (1, 2) ORDER BY id")
        )
        c.execute("UPDATE files SET path = 'tmp' WHERE id = 1")
        c.execute("UPDATE files SET path = ? WHERE id = 2", [one])
        c.execute("UPDATE files SET path = ? WHERE id = 1", [two])

    _change(path, swap)
    plan = plan_sync(path, _target(target_db))
    assert plan.refusals and "files_path_key" in plan.refusals[0]
    assert "through a temporary value" in plan.refusals[0]
    _fails_unchanged(path, target_db, Refused, "unique constraint files_path_key")


def test_a_row_moved_under_a_new_parent_of_its_own_table(
    tmp_path: Path, target_db: TargetDb
) -> None:
    """A review: a tree gets a new root and an old node moves under it. The update points to
    a row the same sync inserts; inserting first lets the foreign key find it."""
    path = sample_db(tmp_path)
    lite = sqlite3.connect(path)
    lite.execute(
        "CREATE TABLE tree (id INTEGER PRIMARY KEY, "
        "up INTEGER REFERENCES tree(id) ON DELETE CASCADE, name TEXT)"
    )
    lite.execute("INSERT INTO tree VALUES (1, NULL, 'root'), (2, 1, 'a'), (3, 1, 'b')")
    lite.commit()
    lite.close()
    assert execute(path, _target(target_db)).committed
    _change(
        path,
        lambda c: c.execute("INSERT INTO tree VALUES (500, NULL, 'new root'), (501, 500, 'c')"),
        lambda c: c.execute("UPDATE tree SET up = 500 WHERE id = 3"),
    )
    plan = plan_sync(path, _target(target_db))
    assert not plan.refusals and plan.changes["tree"].counts == {
        "insert": 2,
        "update": 1,
        "delete": 0,
    }
    assert execute_sync(path, _target(target_db)).committed
    _assert_identical(path, target_db)


@pytest.mark.parametrize(
    "ddl",
    [
        "CREATE TABLE typed (id INTEGER PRIMARY KEY, flag BOOLEAN); "
        "INSERT INTO typed VALUES (1, 1)",
        "CREATE TABLE typed (id INTEGER PRIMARY KEY, d DATE, t TIMESTAMP); "
        "INSERT INTO typed VALUES (1, '2024-01-01', '2024-01-01 00:00:00')",
        "CREATE TABLE typed (id INTEGER PRIMARY KEY, j JSON, u UUID); "
        "INSERT INTO typed VALUES (1, '{}', 'c')",
        "CREATE TABLE typed (id INTEGER PRIMARY KEY, a INTEGER, "
        "b INTEGER GENERATED ALWAYS AS (a * 2) STORED); INSERT INTO typed (id, a) VALUES (1, 1)",
        "CREATE TABLE typed (id INTEGER PRIMARY KEY, a TEXT, "
        "b TEXT GENERATED ALWAYS AS (upper(a)) VIRTUAL); INSERT INTO typed (id, a) VALUES (1, 'x')",
        f"CREATE TABLE typed (id INTEGER PRIMARY KEY, {'c' * 70} TEXT); "
        "INSERT INTO typed VALUES (1, 'a')",
    ],
)
def test_sync_accepts_the_types_run_translated(
    tmp_path: Path, target_db: TargetDb, ddl: str
) -> None:
    """run creates BOOLEAN, DATE, JSON ... columns as what their values need (bigint, text),
    generated columns as PostgreSQL's own, and too long names shortened; sync must take the
    target run made as it is."""
    path = sample_db(tmp_path)
    lite = sqlite3.connect(path)
    lite.executescript(ddl)
    lite.close()
    assert execute(path, _target(target_db)).committed
    assert plan_sync(path, _target(target_db)).up_to_date
    _change(path, lambda c: c.execute("INSERT INTO typed (id) VALUES (2)"))
    assert execute_sync(path, _target(target_db)).committed
    _assert_identical(path, target_db)


def test_sync_finds_a_table_run_renamed_for_its_long_name(
    tmp_path: Path, target_db: TargetDb
) -> None:
    name = "x" * 70
    path = sample_db(tmp_path)
    lite = sqlite3.connect(path)
    lite.executescript(
        f'CREATE TABLE "{name}" (id INTEGER PRIMARY KEY, v TEXT); '
        f"INSERT INTO \"{name}\" VALUES (1, 'a')"
    )
    lite.close()
    assert execute(path, _target(target_db)).committed
    assert plan_sync(path, _target(target_db)).up_to_date
    _change(path, lambda c: c.execute(f"INSERT INTO \"{name}\" VALUES (2, 'b')"))
    result = execute_sync(path, _target(target_db))
    assert result.committed and result.sync.totals["insert"] == 1


def test_a_role_that_cannot_keep_the_sequence_note_current_is_refused_before_writing(
    tmp_path: Path, target_db: TargetDb
) -> None:
    """A role with the tables' rights but not the sequences' ownership: its sync would leave
    the note on which ids came from SQLite behind, and the next sync would take its rows for
    PostgreSQL's own. The dry run says so and names the owner."""
    path = _migrated(tmp_path, target_db)
    target_db.server.create_role("ailt_app", "app-pw")
    with target_db.connect() as conn:
        conn.execute(
            "GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO ailt_app"
        )
        conn.execute("GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO ailt_app")
    app = parse_dsn(target_db.server.conninfo(target_db.name, "ailt_app")).with_password("app-pw")
    _change(path, _new_file)
    plan = plan_sync(path, app)
    assert plan.refusals and "run sync as ailt_canary" in plan.refusals[0]
    _fails_unchanged(path, target_db, Refused, "ailt_canary", target=app)
    assert execute_sync(path, _target(target_db)).committed  # the owner can


@pytest.mark.parametrize("moment", ["9999-12-31 23:59:59-01:00", "0001-01-01 00:00:00+01:00"])
def test_a_timestamp_beyond_pythons_years_is_named_not_a_traceback(
    tmp_path: Path, target_db: TargetDb, moment: str
) -> None:
    from app.core.plan import dry_run

    path = _migrated(tmp_path, target_db)
    _change(path, lambda c: c.execute("UPDATE files SET ingested_at = ? WHERE id = 2", [moment]))
    with pytest.raises(Refused, match="files id 2 column ingested_at"):  # one sentence, exit 3
        plan_sync(path, _target(target_db))
    (tmp_path / "fresh").mkdir()
    fresh = sample_db(tmp_path / "fresh")
    lite = sqlite3.connect(fresh)
    lite.execute("UPDATE files SET ingested_at = ? WHERE id = 2", [moment])
    lite.commit()
    lite.close()
    problems = dry_run(fresh, _target(target_db)).problems
    assert any(p.table == "files" and p.column == "ingested_at" for p in problems)


def test_a_float_overflowing_a_4_byte_real_is_named_not_the_accepted_rounding(
    tmp_path: Path, target_db: TargetDb
) -> None:
    path = sample_db(tmp_path, sessions=5, older=True)
    with target_db.connect() as conn:
        _ailt_own_schema(conn)
    lossy = Options(repairs=frozenset({ACCEPT_LOSSY}))
    assert execute(path, _target(target_db), lossy).committed
    lite = sqlite3.connect(path)
    top = lite.execute("SELECT max(id) FROM token_messages").fetchone()[0]
    lite.execute("UPDATE token_messages SET primary_used_percent = 1e39 WHERE id = ?", [top])
    lite.commit()
    lite.close()
    # not Infinity, and not the roundings the migration accepted
    named = f"token_messages id {top} column primary_used_percent"
    _fails_unchanged(path, target_db, Refused, named)


def test_an_id_beyond_an_integer_column_is_named_never_wrapped(
    tmp_path: Path, target_db: TargetDb
) -> None:
    """AI Log Trail's own schema keeps ids as 4-byte integers: 3,000,000,000 must not arrive
    as -1,294,967,296 (psycopg's C dumper wraps it), but be refused by name."""
    path = sample_db(tmp_path, sessions=5, older=True)
    with target_db.connect() as conn:
        _ailt_own_schema(conn)
    assert execute(path, _target(target_db), Options(repairs=frozenset({ACCEPT_LOSSY}))).committed
    _change(
        path,
        lambda c: c.execute(
            "INSERT INTO prompts (id, file_id, prompt_index, message) "
            "VALUES (3000000000, 2, 1, 'big id')"
        ),
    )
    _fails_unchanged(path, target_db, Refused, "prompts id 3000000000 column id")
    with pytest.raises(Refused, match="prompts id 3000000000 column id"):  # the dry run too
        plan_sync(path, _target(target_db))


def test_a_table_truncated_by_a_trigger_is_caught(tmp_path: Path, target_db: TargetDb) -> None:
    """TRUNCATE moves no row counter; the table's new file gives it away."""
    path = _migrated(tmp_path, target_db)
    _add_trigger(target_db, "files", "TRUNCATE events", "AFTER UPDATE")
    _change(path, _ingested_at)
    _fails_unchanged(path, target_db, VerificationFailed, "events")


def test_a_user_index_named_like_syncs_helper_index_is_no_obstacle(
    tmp_path: Path, target_db: TargetDb
) -> None:
    path = _migrated(tmp_path, target_db)
    with target_db.connect() as conn:
        conn.execute("CREATE TABLE mine (x int)")
        conn.execute("CREATE INDEX ailt_sync_fk_0 ON mine (x)")
    _change(path, _reingest)  # deletes enough prompts for sync to index their children
    assert execute_sync(path, _target(target_db)).committed
    with target_db.connect() as pg:
        for table in ("prompts", "token_messages", "events"):
            assert_tables_identical(path, pg, table)


def test_a_table_replaced_as_a_whole_keeps_rows_postgres_wrote(
    tmp_path: Path, target_db: TargetDb
) -> None:
    """A generated column makes a table compared (and replaced) as a whole; a row PostgreSQL
    wrote after the switch must stop that, as it does for every other table."""
    path = sample_db(tmp_path)
    lite = sqlite3.connect(path)
    lite.executescript(
        "CREATE TABLE extra (id INTEGER PRIMARY KEY AUTOINCREMENT, a INTEGER, "
        "b INTEGER GENERATED ALWAYS AS (a * 2) STORED); INSERT INTO extra (a) VALUES (1), (2);"
    )
    lite.close()
    assert execute(path, _target(target_db)).committed
    with target_db.connect() as conn:
        row = conn.execute("INSERT INTO extra (a) VALUES (7) RETURNING id").fetchone()
    assert row is not None
    _change(path, lambda c: c.execute("UPDATE extra SET a = 5 WHERE id = 1"))
    plan = plan_sync(path, _target(target_db))
    assert plan.changes["extra"].replace
    assert plan.refusals and "extra holds 1 row(s) written in PostgreSQL" in plan.refusals[0]
    _fails_unchanged(path, target_db, Refused, f"id {row[0]}")


def test_a_role_that_may_not_note_on_the_sequences_is_told_what_that_costs(
    tmp_path: Path, target_db: TargetDb
) -> None:
    """Tables created by their owner, migrated and synced by a role with grants only: no note
    can be left, so only ids above SQLite's highest are protected; the dry runs say so."""
    from app.core.plan import dry_run

    path = sample_db(tmp_path)
    with target_db.connect() as conn:
        _ailt_own_schema(conn)
    target_db.server.create_role("ailt_app", "app-pw")
    with target_db.connect() as conn:
        conn.execute(
            "GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO ailt_app"
        )
        conn.execute("GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO ailt_app")
    app = parse_dsn(target_db.server.conninfo(target_db.name, "ailt_app")).with_password("app-pw")
    warnings = dry_run(path, app).warnings
    assert any("files's identity sequence belongs to ailt_canary" in w for w in warnings)


def test_orphans_left_by_a_delete_without_foreign_keys_are_named(
    tmp_path: Path, target_db: TargetDb
) -> None:
    """The sqlite3 shell has foreign keys off: deleting a file there leaves its prompts
    pointing at nothing, which PostgreSQL's keys refuse; the dry run names the first one."""
    path = _migrated(tmp_path, target_db)
    lite = sqlite3.connect(path)  # foreign keys off, as in the sqlite3 shell
    lite.execute("DELETE FROM files WHERE id = 3")
    lite.commit()
    first = lite.execute("SELECT min(id) FROM sessions WHERE file_id = 3").fetchone()[0]
    lite.close()
    plan = plan_sync(path, _target(target_db))
    assert plan.refusals and "point to no parent row" in plan.refusals[0]
    assert f"sessions id {first} column file_id" in plan.refusals[0]
    _fails_unchanged(path, target_db, Refused, "point to no parent row")
