"""The typed verdict on a source file agrees with what inspect_source reports."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from app.core.ailt_schema import create_sqlite_schema_sql
from app.core.source import inspect_source
from app.core.source_check import Fitness, check_source
from tests.helpers import sample_db


def test_ai_log_trail_file_is_usable(tmp_path: Path) -> None:
    check = check_source(inspect_source(sample_db(tmp_path)))
    assert check.fitness is Fitness.COMPLETE and check.usable and check.refusal is None


def test_file_without_ai_log_trail_tables_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "other.sqlite"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)")
    info = inspect_source(path)
    check = check_source(info)
    assert info.version.startswith("not AI Log Trail")
    assert check.fitness is Fitness.NOT_AI_LOG_TRAIL and not check.usable
    assert check.refusal is not None and check.refusal.startswith("other.sqlite holds no AI")


def test_partial_file_is_usable_but_incomplete(tmp_path: Path) -> None:
    path = tmp_path / "partial.sqlite"
    with sqlite3.connect(path) as conn:
        conn.executescript(create_sqlite_schema_sql())
        conn.execute("DROP TABLE redactions")
        conn.execute("DROP TABLE files")
    info = inspect_source(path)
    check = check_source(info)
    assert info.version.startswith("incomplete")
    assert check.fitness is Fitness.INCOMPLETE and check.usable
