"""The spot check reads rows of every table afresh on both sides and compares each cell."""

from __future__ import annotations

from pathlib import Path

from app.core.dsn import parse_dsn
from app.core.migrate import execute
from app.core.spot_check import sample_rows
from tests.helpers import sample_db
from tests.postgres import TargetDb


def test_samples_cover_every_table_with_rows(tmp_path: Path, target_db: TargetDb) -> None:
    path = sample_db(tmp_path, sessions=4)
    target = parse_dsn(target_db.conninfo).with_password(target_db.password)
    execute(path, target)
    samples = sample_rows(path, target)
    tables = {s.table for s in samples}
    assert tables >= {"files", "sessions", "prompts", "token_messages", "function_calls"}
    assert all(s.same for s in samples)
    rows = {(s.table, s.id) for s in samples}
    assert len(rows) >= 2 * len(tables)  # several rows per table, not one
    cells = {(s.table, s.column) for s in samples}
    assert ("sessions", "raw_json") in cells and ("token_messages", "primary_used_percent") in cells


def test_a_changed_cell_shows_as_different(tmp_path: Path, target_db: TargetDb) -> None:
    path = sample_db(tmp_path)
    target = parse_dsn(target_db.conninfo).with_password(target_db.password)
    execute(path, target)
    with target_db.connect() as conn:
        conn.execute("UPDATE prompts SET message = message || '!'")
    different = [s for s in sample_rows(path, target) if not s.same]
    assert different and {(s.table, s.column) for s in different} == {("prompts", "message")}
