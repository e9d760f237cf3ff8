"""A cancel stops a long SQLite statement inside the dry run, not only between tables."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import pytest

from app.core.cancel import cancellable
from app.core.dsn import parse_dsn
from app.core.errors import Cancelled
from app.core.plan import dry_run
from tests.helpers import sample_db
from tests.postgres import TargetDb

ENDLESS = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) SELECT count(*) FROM n"


def test_a_running_statement_is_interrupted() -> None:
    """A statement that would never end stops once ``is_cancelled`` turns true."""
    conn = sqlite3.connect(":memory:")
    deadline = time.monotonic() + 0.2
    with pytest.raises(Cancelled), cancellable(conn, lambda: time.monotonic() > deadline):
        conn.execute(ENDLESS).fetchone()
    assert conn.execute("SELECT 1").fetchone() == (1,)  # the handler is gone afterwards


def test_other_errors_pass_through() -> None:
    conn = sqlite3.connect(":memory:")
    with pytest.raises(sqlite3.OperationalError), cancellable(conn, lambda: False):
        conn.execute("SELECT * FROM nowhere")


def test_dry_run_stops_mid_scan(tmp_path: Path, target_db: TargetDb) -> None:
    """The dry run's cancel check reaches into SQLite: it stops on the first checks."""
    db = sample_db(tmp_path)
    calls = 0

    def is_cancelled() -> bool:
        nonlocal calls
        calls += 1
        return calls > 3

    target = parse_dsn(target_db.url).with_password(target_db.password)
    with pytest.raises(Cancelled):
        dry_run(db, target, is_cancelled=is_cancelled)
