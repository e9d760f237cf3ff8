"""Verification reads a freshly filled table in physical order, and falls back to id order."""

from __future__ import annotations

from pathlib import Path

from app.core.dsn import parse_dsn
from app.core.migrate import dry_run, execute
from app.core.verify import check_table, target_checksum
from tests.helpers import sample_db
from tests.postgres import TargetDb


def test_physical_order_shortcut_falls_back_to_id_order(
    tmp_path: Path, target_db: TargetDb
) -> None:
    path = sample_db(tmp_path)
    target = parse_dsn(target_db.conninfo).with_password(target_db.password)
    execute(path, target)
    files = next(tm for tm in dry_run(path, target).maps if tm.name == "files")
    with target_db.connect() as conn:
        expected = target_checksum(conn, files)
        conn.execute("UPDATE files SET path = path WHERE id = 1")  # row 1 now lies last
        shuffled = target_checksum(conn, files, ordered=False)
        assert shuffled.hexdigest != expected.hexdigest
        with conn.transaction():
            check = check_table(conn, files, expected, created=True)
    assert check.ok and check.target_rows == 3


def test_a_changed_value_is_caught(tmp_path: Path, target_db: TargetDb) -> None:
    path = sample_db(tmp_path)
    target = parse_dsn(target_db.conninfo).with_password(target_db.password)
    execute(path, target)
    prompts = next(tm for tm in dry_run(path, target).maps if tm.name == "prompts")
    with target_db.connect() as conn:
        expected = target_checksum(conn, prompts)
        conn.execute("UPDATE prompts SET message = message || ' ' WHERE id = 2")
        with conn.transaction():
            check = check_table(conn, prompts, expected, created=True)
    assert check.counts_match and not check.checksums_match
