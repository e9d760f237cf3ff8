"""``ailt-migrate sync`` as a user runs it: real processes, a real server, the canary password."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests import ailt_ingest as ingest
from tests.helpers import sample_db
from tests.postgres import CANARY_PASSWORD, TargetDb, wait_for_disconnect, wait_for_query
from tests.test_cli import REQUIRED_JSON_KEYS, cli
from tests.test_sync import _state


def _migrated(tmp_path: Path, db: TargetDb, sqlite: Path | None = None) -> Path:
    path = sqlite or sample_db(tmp_path, sessions=5)
    proc = cli(tmp_path, "run", "--sqlite", str(path), "--postgres-dsn", db.url, "--execute")
    assert proc.returncode == 0, proc.stderr
    return path


def _ingest_more(path: Path, reingest: tuple[int, ...] = (2,), new_like: int = 1) -> None:
    conn = ingest.open_writer(path)
    ingest.add_file_like(conn, new_like, f"/sessions/new-{new_like}.jsonl")
    for file_id in reingest:
        ingest.reingest(conn, file_id)
    conn.execute("DELETE FROM events WHERE id % 5 = 0")
    conn.execute("COMMIT")
    conn.close()


def test_dry_run_then_execute_then_nothing_to_do(tmp_path: Path, target_db: TargetDb) -> None:
    path = _migrated(tmp_path, target_db)
    _ingest_more(path)
    before = _state(target_db)
    args = ("sync", "--sqlite", str(path), "--postgres-dsn", target_db.url)
    dry = cli(tmp_path, *args)
    assert dry.returncode == 0, dry.stderr
    assert "insert" in dry.stdout and "update" in dry.stdout and "delete" in dry.stdout
    assert "will change" in dry.stdout and "Dry run only: nothing was written" in dry.stdout
    assert _state(target_db) == before
    done = cli(tmp_path, *args, "--execute", "--json")
    assert done.returncode == 0, done.stderr
    saved = done.stderr.split("Report saved: ", 1)[1].split()[0]  # kept, as run keeps it
    assert saved.startswith("reports/ailt-migrate-")
    report = json.loads((tmp_path / saved).read_text())
    assert report["executed"] is True and report["changes"]["insert"] > 0
    data = json.loads(done.stdout)
    assert set(data) >= REQUIRED_JSON_KEYS
    assert data["executed"] is True
    assert data["verified"] == data["verified"] | {"counts_match": True, "checksums_match": True}
    checked = {t["table"]: t for t in data["verified"]["tables"]}
    assert checked["prompts"]["method"].startswith("canonical fingerprint of every row")
    assert checked["prompts"]["values_compared"] == checked["prompts"]["sqlite_rows"] * 9
    assert data["changes"]["insert"] > 0 and data["changes"]["delete"] > 0
    assert data["source"]["counts"] == data["target"]["counts"]
    files = next(t for t in data["tables"] if t["table"] == "files")
    assert (files["insert"], files["update"], files["delete"]) == (1, 1, 0)
    again = cli(tmp_path, *args, "--execute")
    assert again.returncode == 0, again.stderr
    assert "Nothing to do" in again.stdout and "Nothing was written" in again.stdout
    dry_again = cli(tmp_path, *args, "--json")
    assert dry_again.returncode == 0 and json.loads(dry_again.stdout)["up_to_date"] is True


def test_rows_only_in_postgres_are_refused(tmp_path: Path, target_db: TargetDb) -> None:
    path = _migrated(tmp_path, target_db)
    with target_db.connect() as conn:
        row = conn.execute("INSERT INTO files (path) VALUES ('/pg') RETURNING id").fetchone()
    assert row is not None
    new_id = row[0]
    _ingest_more(path)
    before = _state(target_db)
    args = ("sync", "--sqlite", str(path), "--postgres-dsn", target_db.url)
    dry = cli(tmp_path, *args)
    assert dry.returncode == 3
    assert "files holds 1 row(s) written in PostgreSQL after the switch" in dry.stdout
    assert "SQLite holds other rows under some of the same ids" in dry.stdout
    proc = cli(tmp_path, *args, "--execute")
    assert proc.returncode == 3, proc.stderr
    assert f"id {new_id}" in proc.stderr and "Traceback" not in proc.stderr
    assert _state(target_db) == before


@pytest.mark.parametrize(
    ("case", "status", "message"),
    [
        ("missing file", 2, "does not exist"),
        ("malformed dsn", 2, "DSN is malformed"),
        ("unreachable", 4, "Cannot reach PostgreSQL"),
        ("wrong password", 4, "was rejected"),
        ("bad flag", 2, "unrecognized arguments"),
        ("never migrated", 3, "migrate it first"),
    ],
)
def test_bad_input_gets_one_clear_sentence(
    tmp_path: Path, target_db: TargetDb, case: str, status: int, message: str
) -> None:
    db = sample_db(tmp_path)
    dsn, password, sqlite = target_db.url, CANARY_PASSWORD, str(db)
    extra = ["--execute"]
    if case == "missing file":
        sqlite = str(tmp_path / "nope.sqlite")
    elif case == "malformed dsn":
        dsn = f"host=localhost password={CANARY_PASSWORD} nonsense"
    elif case == "unreachable":
        dsn = "postgresql://ailt_canary@127.0.0.1:1/db"
    elif case == "wrong password":
        password = "not-the-password"
    elif case == "bad flag":
        extra = ["--repair", "strip-nul"]
    proc = cli(
        tmp_path, "sync", "--sqlite", sqlite, "--postgres-dsn", dsn, *extra, password=password
    )
    assert proc.returncode == status, proc.stderr
    assert message in proc.stderr
    assert "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) <= 3


def test_defaults_come_from_the_config(tmp_path: Path, target_db: TargetDb) -> None:
    (tmp_path / "reports").mkdir()
    path = _migrated(tmp_path, target_db, sample_db(tmp_path / "reports"))
    _ingest_more(path)
    (tmp_path / "user").mkdir()
    (tmp_path / "user" / "config.toml").write_text(
        '[ingest]\ndb_path = "reports/session_data.sqlite"\n\n'
        f'[database]\nbackend = "postgres"\npostgres_dsn = "{target_db.url}"\n'
    )
    proc = cli(tmp_path, "sync", "--execute", "--json")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["executed"] is True


def _start_sync(
    tmp_path: Path, target_db: TargetDb
) -> tuple[subprocess.Popen[str], dict[str, list[Any]]]:
    """A sync big enough to interrupt while it writes: a 40 MB file, many changed rows."""
    from app.sample.generator import generate

    db = tmp_path / "big.sqlite"
    generate(db, target_bytes=40_000_000, seed=3)
    _migrated(tmp_path, target_db, db)
    conn = ingest.open_writer(db)
    for file_id in range(1, 40):
        ingest.reingest(conn, file_id)
    conn.execute("COMMIT")
    conn.close()
    before = _state(target_db)
    return _spawn_sync(tmp_path, target_db, db, "--batch-size", "20"), before


def _spawn_sync(
    tmp_path: Path, target_db: TargetDb, path: Path, *extra: str
) -> subprocess.Popen[str]:
    """``sync --execute`` in a child, as cli() runs it but without waiting for it."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    env.update(
        HOME=str(tmp_path),
        PGPASSWORD=CANARY_PASSWORD,
        PYTHON_KEYRING_BACKEND="keyring.backends.null.Keyring",
    )
    argv = ["sync", "--sqlite", str(path), "--postgres-dsn", target_db.url, "--execute", *extra]
    return subprocess.Popen(
        [sys.executable, "-m", "app", *argv],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _wait_for_writes(target_db: TargetDb, proc: subprocess.Popen[str]) -> None:
    wait_for_query(target_db, proc, 'COPY "pg_temp"."ailt_sync_rows"%', "the sync's writing")


def test_kill_mid_sync_leaves_the_target_as_it_was(tmp_path: Path, target_db: TargetDb) -> None:
    proc, before = _start_sync(tmp_path, target_db)
    _wait_for_writes(target_db, proc)
    proc.kill()
    proc.communicate(timeout=60)
    wait_for_disconnect(target_db)
    assert _state(target_db) == before


def test_ctrl_c_mid_sync_commits_nothing(tmp_path: Path, target_db: TargetDb) -> None:
    proc, before = _start_sync(tmp_path, target_db)
    _wait_for_writes(target_db, proc)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "nothing was committed" in err
    assert CANARY_PASSWORD not in out + err
    wait_for_disconnect(target_db)
    assert _state(target_db) == before


def test_sqlite_rows_checked_by_content_not_count(tmp_path: Path, target_db: TargetDb) -> None:
    """Same row counts, different content: sync still finds and fixes it."""
    path = _migrated(tmp_path, target_db)
    conn = sqlite3.connect(path)
    conn.execute("UPDATE prompts SET message = 'changed' WHERE id = 2")
    conn.commit()
    conn.close()
    proc = cli(
        tmp_path,
        "sync",
        "--sqlite",
        str(path),
        "--postgres-dsn",
        target_db.url,
        "--execute",
        "--json",
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["changes"] == {"insert": 0, "update": 1, "delete": 0}


def test_after_execute_the_table_shows_the_target_as_it_now_is(
    tmp_path: Path, target_db: TargetDb
) -> None:
    path = _migrated(tmp_path, target_db)
    _ingest_more(path)
    done = cli(
        tmp_path, "sync", "--sqlite", str(path), "--postgres-dsn", target_db.url, "--execute"
    )
    assert done.returncode == 0, done.stderr
    assert "Postgres now" in done.stdout
    rows = [line.split() for line in done.stdout.splitlines() if "match" in line]
    assert rows and all(r[1] == r[2] for r in rows)  # SQLite rows == Postgres now, per table


def test_dry_run_and_execute_end_alike_when_a_trigger_changes_rows(
    tmp_path: Path, target_db: TargetDb
) -> None:
    """Both exit 5, and the sentence names the target's trigger instead of blaming the tool."""
    path = _migrated(tmp_path, target_db)
    with target_db.connect() as conn:
        conn.execute("""
            CREATE FUNCTION shout() RETURNS trigger AS $$
            BEGIN NEW.message := upper(NEW.message); RETURN NEW; END $$ LANGUAGE plpgsql;
            CREATE TRIGGER shout BEFORE INSERT OR UPDATE ON prompts
                FOR EACH ROW EXECUTE FUNCTION shout();
        """)
    _ingest_more(path)
    args = ("sync", "--sqlite", str(path), "--postgres-dsn", target_db.url)
    dry = cli(tmp_path, *args)
    done = cli(tmp_path, *args, "--execute")
    assert dry.returncode == done.returncode == 5, (dry.stderr, done.stderr)
    for proc in (dry, done):
        assert "shout on prompts" in proc.stderr and "Please report" not in proc.stderr


@pytest.mark.parametrize("command", ["sync", "run"])
def test_an_unwritable_report_path_stops_before_anything_is_written(
    tmp_path: Path, target_db: TargetDb, command: str
) -> None:
    """A review's --report into a folder it could not write: sync committed, then said
    "nothing was changed". The path is now checked first (here its folder is a file, which
    even root cannot write into)."""
    path = _migrated(tmp_path, target_db) if command == "sync" else sample_db(tmp_path)
    if command == "sync":
        _ingest_more(path)
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    before = _state(target_db) if command == "sync" else None
    proc = cli(
        tmp_path,
        command,
        "--sqlite",
        str(path),
        "--postgres-dsn",
        target_db.url,
        "--execute",
        "--report",
        str(blocker / "r.json"),
    )
    assert proc.returncode == 2, proc.stderr
    assert "The report cannot be written to" in proc.stderr and "nothing was done" in proc.stderr
    assert "Traceback" not in proc.stderr and proc.stdout == ""
    if command == "sync":
        assert _state(target_db) == before
    else:
        with target_db.connect() as conn:
            assert conn.execute(
                "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"
            ).fetchone() == (0,)


def test_a_deadlock_with_another_session_is_one_sentence(
    tmp_path: Path, target_db: TargetDb
) -> None:
    """A review ran two syncs at once: one ended with "the connection was lost (deadlock
    detected)". Here another session holds a read lock sync's index clean-up must wait for,
    then asks for a table sync holds: PostgreSQL stops sync, which says so and keeps nothing."""
    import threading

    import psycopg

    path = _migrated(tmp_path, target_db)
    _ingest_more(path, reingest=(2, 3))  # enough deleted parents for helper indexes
    before = _state(target_db)
    other = psycopg.connect(target_db.server.conninfo(target_db.name))
    tables = [
        r[0] for r in other.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
    ]
    for table in tables:  # a reader's locks, held until its transaction ends
        other.execute(f'SELECT 1 FROM "{table}" LIMIT 1')
    other.execute("SET deadlock_timeout = '60s'")  # sync is the one that notices
    proc = _spawn_sync(tmp_path, target_db, path)
    try:
        wait_for_query(target_db, proc, "DROP INDEX%", "sync's index clean-up")
        locker = threading.Thread(
            target=lambda: other.execute("LOCK TABLE files IN EXCLUSIVE MODE"), daemon=True
        )
        locker.start()
        _, err = proc.communicate(timeout=60)
        locker.join(timeout=30)
    finally:
        other.rollback()
        other.close()
    assert proc.returncode == 3, err
    assert "at the same time" in err and "nothing was committed" in err and "Traceback" not in err
    wait_for_disconnect(target_db)
    assert _state(target_db) == before


def test_a_report_path_that_is_not_a_regular_file_is_refused_or_followed(
    tmp_path: Path, target_db: TargetDb
) -> None:
    """A review's --report onto a device file, /proc and a symbolic link: run replaced the
    device (as root, /dev/full became a plain file) and the link. A device or a place no file
    can be created in is refused before anything runs; a link is written through."""
    db = sample_db(tmp_path)
    real = tmp_path / "real.json"
    link = tmp_path / "link.json"
    link.symlink_to(real)
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    base = ("run", "--sqlite", str(db), "--postgres-dsn", target_db.url)
    for bad in (fifo, Path("/proc/ailt-report.json")):
        proc = cli(tmp_path, *base, "--report", str(bad))
        assert proc.returncode == 2, proc.stderr
        assert "nothing was done" in proc.stderr and "Traceback" not in proc.stderr
    assert fifo.exists() and not fifo.is_file()
    proc = cli(tmp_path, *base, "--report", str(link))
    assert proc.returncode == 0, proc.stderr
    assert link.is_symlink() and json.loads(real.read_text())["executed"] is False


def test_force_syncs_a_file_that_does_not_look_like_the_source(
    tmp_path: Path, target_db: TargetDb
) -> None:
    path = _migrated(tmp_path, target_db)
    conn = sqlite3.connect(path)  # the newest file goes (its rows with it), then a rebuild
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("DELETE FROM files WHERE id = (SELECT max(id) FROM files)")
    conn.commit()
    ddl = conn.execute("SELECT sql FROM sqlite_master WHERE name = 'files'").fetchone()[0]
    conn.executescript(
        "PRAGMA foreign_keys = OFF; CREATE TABLE files_copy AS SELECT * FROM files; "
        f"DROP TABLE files; {ddl}; INSERT INTO files SELECT * FROM files_copy; "
        "DROP TABLE files_copy;"
    )
    conn.close()
    argv = ("sync", "--sqlite", str(path), "--postgres-dsn", target_db.url, "--execute")
    refused = cli(tmp_path, *argv)
    assert refused.returncode == 3 and "run sync with --force" in refused.stderr
    forced = cli(tmp_path, *argv, "--force")
    assert forced.returncode == 0, forced.stderr
