"""The SQLite side: clear refusals, read-only access, one consistent snapshot."""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

import pytest

from app.core.errors import BadInput
from app.core.source import SqliteSource, inspect_source
from tests.helpers import sample_db


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(BadInput, match="does not exist"):
        inspect_source(tmp_path / "nope.sqlite")


def test_directory(tmp_path: Path) -> None:
    with pytest.raises(BadInput, match="is a folder"):
        inspect_source(tmp_path)


def test_not_sqlite(tmp_path: Path) -> None:
    path = tmp_path / "notes.sqlite"
    path.write_text("hello, not a database\n" * 10)
    with pytest.raises(BadInput, match="not a SQLite database"):
        inspect_source(path)


def test_empty_sqlite_has_no_ailt_tables(tmp_path: Path) -> None:
    path = tmp_path / "empty.sqlite"
    sqlite3.connect(path).execute("CREATE TABLE other (x TEXT)").connection.commit()
    info = inspect_source(path)
    assert info.version == "not AI Log Trail"
    assert [t.name for t in info.tables] == ["other"]


def test_versions_and_counts(tmp_path: Path) -> None:
    current = inspect_source(sample_db(tmp_path, name="a.sqlite"))
    older = inspect_source(sample_db(tmp_path, older=True, name="b.sqlite"))
    extra = inspect_source(sample_db(tmp_path, extra_tables=True, name="c.sqlite"))
    assert current.version == "AI Log Trail, current (10 tables)"
    assert older.version == "AI Log Trail, older (9 tables)"
    assert extra.version.endswith("+ 2 more")
    assert current.counts["files"] == 3 and current.counts["events"] > 0
    names = [t.name for t in extra.tables]
    assert names.index("sessions") < names.index("session_context")  # parents first


def test_source_is_opened_read_only_and_never_changed(tmp_path: Path) -> None:
    path = sample_db(tmp_path)
    before, mtime = _digest(path), path.stat().st_mtime_ns
    with SqliteSource(path) as src:
        with pytest.raises(sqlite3.OperationalError):
            src.conn.execute("DELETE FROM files")
        list(src.rows(src.tables[0], src.tables[0].column_names, 100))
    assert _digest(path) == before and path.stat().st_mtime_ns == mtime
    assert sorted(p.name for p in tmp_path.iterdir()) == [path.name]  # no journal left


def test_snapshot_ignores_a_concurrent_writer(tmp_path: Path) -> None:
    """AI Log Trail writing right now (WAL mode): we read one consistent snapshot."""
    path = sample_db(tmp_path)
    writer = sqlite3.connect(path)
    writer.execute("PRAGMA journal_mode=WAL")
    with SqliteSource(path) as src:
        files = src.info().counts["files"]
        writer.execute("INSERT INTO files (path) VALUES ('/new/rollout.jsonl')")
        writer.commit()
        count = src.conn.execute("SELECT count(*) FROM files").fetchone()[0]
        assert count == files  # the snapshot does not move
    assert inspect_source(path).counts["files"] == files + 1
    writer.close()


def test_uncommitted_writer_transaction_does_not_block_reading(tmp_path: Path) -> None:
    """A writer holding a RESERVED lock (rollback journal) does not stop a read."""
    path = sample_db(tmp_path)
    writer = sqlite3.connect(path, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")
    writer.execute("INSERT INTO files (path) VALUES ('/pending')")
    info = inspect_source(path)
    assert "/pending" not in str(info)
    writer.execute("ROLLBACK")
    writer.close()


def test_exclusively_locked_file_gives_a_clear_message(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = sample_db(tmp_path)
    monkeypatch.setattr("app.core.source.BUSY_TIMEOUT_MS", 200)
    writer = sqlite3.connect(path, isolation_level=None)
    writer.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(BadInput, match="locked by another program"):
            inspect_source(path)
    finally:
        writer.execute("ROLLBACK")
        writer.close()
