"""Reading and switching user/config.toml: exact diffs, safe writes, and the row-count guard."""

from __future__ import annotations

import difflib
import os
import shutil
import sqlite3
import stat
from pathlib import Path

import pytest

from app.core import atomic_file
from app.core.config import create_from_example, example_config_path, load_config
from app.core.credentials import MemoryStore, lookup_for_connect
from app.core.dsn import parse_dsn
from app.core.errors import BadInput, Refused
from app.core.switch import SwitchPlan, apply_switch, plan_switch, preview_switch
from tests.postgres import CANARY_PASSWORD, TargetDb

EXAMPLE = Path(__file__).resolve().parent.parent / "user" / "config.example.toml"
TARGET = parse_dsn(f"postgresql://alice:{CANARY_PASSWORD}@db.example:5433/ailt?sslmode=require")
URL = "postgresql://alice@db.example:5433/ailt?sslmode=require"
BACKEND_SQLITE = 'backend = "sqlite"  # "sqlite" or "postgres"\n'
BACKEND_POSTGRES = 'backend = "postgres"  # "sqlite" or "postgres"\n'
COMMENTED_DSN = (
    '# postgres_dsn = "postgresql://user@host:5432/ai_log_trail"'
    '  # required when backend = "postgres"\n'
)
ACTIVE_DSN = f'postgres_dsn = "{URL}"  # required when backend = "postgres"\n'


@pytest.fixture
def config(tmp_path: Path) -> Path:
    """A copy of the example config (sections, comments and all)."""
    path = tmp_path / "user" / "config.toml"
    path.parent.mkdir()
    shutil.copyfile(EXAMPLE, path)
    return path


def changed_lines(old: str, new: str) -> tuple[list[str], list[str]]:
    """(removed, added) lines between two texts."""
    removed, added = [], []
    for line in difflib.ndiff(old.splitlines(keepends=True), new.splitlines(keepends=True)):
        if line.startswith("- "):
            removed.append(line[2:])
        elif line.startswith("+ "):
            added.append(line[2:])
    return removed, added


def files_in(folder: Path) -> list[str]:
    return sorted(os.listdir(folder))


# --- load_config ------------------------------------------------------------------------------


def test_load_example(config: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    cfg = load_config(config)
    assert cfg.backend == "sqlite"
    assert cfg.sqlite_path == tmp_path / "reports" / "session_data.sqlite"
    assert cfg.postgres_dsn is None
    assert cfg.reports_dir == tmp_path / "reports"


def test_load_overrides_and_defaults(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "c.toml"
    path.write_text(
        '[ingest]\ndb_path = "a.sqlite"\n[database]\nbackend = "postgres"\n'
        'sqlite_path = "/data/b.sqlite"\npostgres_dsn = "postgresql://u@h/d"\n'
    )
    cfg = load_config(path)
    assert (cfg.backend, cfg.sqlite_path, cfg.postgres_dsn) == (
        "postgres",
        Path("/data/b.sqlite"),
        "postgresql://u@h/d",
    )
    path.write_text("")
    empty = load_config(path)
    assert empty.backend == "sqlite"
    assert empty.sqlite_path == tmp_path / "reports" / "session_data.sqlite"


def test_load_bad_backend(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text('[database]\nbackend = "mysql"\n')
    with pytest.raises(BadInput, match='backend is "mysql"'):
        load_config(path)


def test_missing_config_says_how_to_create_it(tmp_path: Path) -> None:
    with pytest.raises(BadInput, match="does not exist: create it from the example config"):
        load_config(tmp_path / "config.toml")


def test_invalid_toml_refused_with_line_and_column(config: Path) -> None:
    broken = config.read_text().replace("max_workers = 4", "max_workers = ")
    config.write_text(broken)
    for call in (lambda: load_config(config), lambda: plan_switch(config, "postgres", TARGET)):
        with pytest.raises(BadInput) as err:
            call()
        assert str(err.value).startswith(f"{config} is not valid TOML at line 15, column 15 (")
        assert err.value.exit_code == 2
    assert config.read_text() == broken


# --- plan_switch ------------------------------------------------------------------------------


def test_switch_to_postgres_touches_only_two_lines(config: Path) -> None:
    old = config.read_text()
    plan = plan_switch(config, "postgres", TARGET)
    assert plan.changed and plan.old_text == old
    assert changed_lines(old, plan.new_text) == (
        [BACKEND_SQLITE, COMMENTED_DSN],
        [BACKEND_POSTGRES, ACTIVE_DSN],
    )
    dsn_lines = [ln for ln in plan.new_text.splitlines() if "postgres_dsn =" in ln]
    assert dsn_lines == [ACTIVE_DSN.rstrip("\n")]  # the example line replaced, not duplicated
    new_lines = plan.new_text.splitlines(keepends=True)
    assert new_lines.index(ACTIVE_DSN) == old.splitlines(keepends=True).index(COMMENTED_DSN)
    assert f"--- {config} (current)" in plan.diff
    assert f"+++ {config} (after switch)" in plan.diff
    assert CANARY_PASSWORD not in plan.new_text + plan.diff
    assert config.read_text() == old  # planning writes nothing


def test_round_trip_postgres_then_sqlite(config: Path) -> None:
    original = config.read_text()
    apply_switch(plan_switch(config, "postgres", TARGET))
    back = plan_switch(config, "sqlite", None)
    assert changed_lines(config.read_text(), back.new_text) == (
        [BACKEND_POSTGRES],
        [BACKEND_SQLITE],
    )
    apply_switch(back)
    assert changed_lines(original, config.read_text()) == ([COMMENTED_DSN], [ACTIVE_DSN])
    assert load_config(config).postgres_dsn == URL
    again = plan_switch(config, "postgres", None)  # the DSN kept in the file is reused
    assert changed_lines(config.read_text(), again.new_text) == (
        [BACKEND_SQLITE],
        [BACKEND_POSTGRES],
    )
    assert not plan_switch(config, "sqlite", None).changed


def test_existing_key_is_updated_in_place(config: Path) -> None:
    text = config.read_text().replace(COMMENTED_DSN, 'postgres_dsn = "postgresql://old@x/y"\n')
    config.write_text(text)
    plan = plan_switch(config, "postgres", TARGET)
    assert changed_lines(text, plan.new_text) == (
        [BACKEND_SQLITE, 'postgres_dsn = "postgresql://old@x/y"\n'],
        [BACKEND_POSTGRES, f'postgres_dsn = "{URL}"\n'],
    )


def test_missing_database_table_is_added_at_the_end(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    text = '[ingest]\ndb_path = "x.sqlite"  # mine\n\n[outputs]\nreports_dir = "r"'
    path.write_text(text)
    plan = plan_switch(path, "postgres", TARGET)
    assert plan.new_text == (
        text + f'\n\n[database]\nbackend = "postgres"\npostgres_dsn = "{URL}"\n'
    )
    assert not plan_switch(path, "sqlite", None).changed  # SQLite is already the default


def test_postgres_without_any_dsn_is_bad_input(config: Path) -> None:
    with pytest.raises(BadInput, match="--postgres-dsn"):
        plan_switch(config, "postgres", None)


def test_password_already_in_file_is_masked_in_the_diff(config: Path) -> None:
    text = config.read_text().replace(
        COMMENTED_DSN, f'postgres_dsn = "postgresql://alice:{CANARY_PASSWORD}@db/ailt"\n'
    )
    config.write_text(text)
    plan = plan_switch(config, "postgres", parse_dsn("postgresql://alice@db/ailt"))
    assert CANARY_PASSWORD not in plan.diff and CANARY_PASSWORD not in plan.new_text
    assert "postgresql://alice:****@db/ailt" in plan.diff


# --- apply_switch -----------------------------------------------------------------------------


def test_apply_writes_backup_and_keeps_mode(config: Path) -> None:
    original = config.read_bytes()
    config.chmod(0o640)
    plan = plan_switch(config, "postgres", TARGET)
    backup = apply_switch(plan)
    assert backup is not None and backup.parent == config.parent
    assert backup.name.startswith("config.toml.") and backup.name.endswith(".bak")
    assert backup.read_bytes() == original
    assert config.read_text() == plan.new_text
    for path in (config, backup):
        assert stat.S_IMODE(path.stat().st_mode) == 0o640
        assert CANARY_PASSWORD not in path.read_text()
    assert files_in(config.parent) == sorted(["config.toml", backup.name])
    assert apply_switch(plan_switch(config, "postgres", TARGET)) is None  # nothing to do


def test_apply_refuses_when_file_changed_since_plan(config: Path) -> None:
    plan = plan_switch(config, "postgres", TARGET)
    config.write_text(config.read_text() + "\n# edited meanwhile\n")
    edited = config.read_bytes()
    with pytest.raises(Refused, match="changed since the diff was shown"):
        apply_switch(plan)
    assert config.read_bytes() == edited
    assert files_in(config.parent) == ["config.toml"]


def test_read_only_file_refused_unchanged(config: Path) -> None:
    original = config.read_bytes()
    plan = plan_switch(config, "postgres", TARGET)
    config.chmod(0o444)
    with pytest.raises(BadInput, match="is read-only: make it writable") as err:
        apply_switch(plan)
    assert err.value.exit_code == 2
    assert config.read_bytes() == original
    assert files_in(config.parent) == ["config.toml"]


def test_read_only_folder_refused_unchanged(config: Path) -> None:
    original = config.read_bytes()
    plan = plan_switch(config, "postgres", TARGET)
    config.parent.chmod(0o555)
    try:
        with pytest.raises(BadInput, match=r"The folder .* is read-only"):
            apply_switch(plan)
    finally:
        config.parent.chmod(0o755)
    assert config.read_bytes() == original
    assert files_in(config.parent) == ["config.toml"]


def test_crash_before_rename_leaves_old_file(config: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    original = config.read_bytes()
    plan = plan_switch(config, "postgres", TARGET)
    renames: list[tuple[object, object]] = []
    real_replace = atomic_file._replace

    def crash_on_config(src: object, dst: object) -> None:
        renames.append((src, dst))
        if Path(str(dst)) == config:
            raise OSError(28, "No space left on device")
        real_replace(src, dst)  # type: ignore[arg-type]

    monkeypatch.setattr(atomic_file, "_replace", crash_on_config)
    with pytest.raises(OSError, match="No space left"):
        apply_switch(plan)
    assert config.read_bytes() == original  # the old file, whole
    leftovers = [n for n in files_in(config.parent) if n.endswith(".tmp")]
    assert leftovers == []
    backups = [n for n in files_in(config.parent) if n.endswith(".bak")]
    assert len(backups) == 1 and (config.parent / backups[0]).read_bytes() == original
    monkeypatch.setattr(atomic_file, "_replace", real_replace)
    apply_switch(plan)  # a retry then succeeds: the new file, whole
    assert config.read_text() == plan.new_text


def test_symlinked_config_stays_a_link(config: Path, tmp_path: Path) -> None:
    link = tmp_path / "linked.toml"
    link.symlink_to(config)
    apply_switch(plan_switch(link, "postgres", TARGET))
    assert link.is_symlink()
    assert load_config(config).backend == "postgres"


# --- the example config -----------------------------------------------------------------------


def test_create_from_example(tmp_path: Path) -> None:
    assert example_config_path() == EXAMPLE
    path = tmp_path / "new" / "config.toml"
    create_from_example(path)
    assert path.read_bytes() == EXAMPLE.read_bytes()
    with pytest.raises(Refused):
        create_from_example(path)


def make_sqlite(path: Path, files: int, sessions: int) -> Path:
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE files (id INTEGER PRIMARY KEY AUTOINCREMENT, path TEXT)")
        conn.execute("CREATE TABLE sessions (id INTEGER PRIMARY KEY AUTOINCREMENT, file_id INT)")
        conn.executemany("INSERT INTO files (path) VALUES (?)", [(f"f{i}",) for i in range(files)])
        conn.executemany("INSERT INTO sessions (file_id) VALUES (?)", [(1,)] * sessions)
    conn.close()
    return path


def test_preview_switch_plans_then_guards(
    config: Path, target_db: TargetDb, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The one preview the wizard and the command line share: plan first, then the guard."""
    monkeypatch.delenv("PGPASSWORD", raising=False)
    monkeypatch.setenv("PGPASSFILE", str(tmp_path / "no-pgpass"))
    source = make_sqlite(tmp_path / "s.sqlite", files=1, sessions=1)
    target = parse_dsn(target_db.conninfo)
    store = MemoryStore()
    store.set(target, CANARY_PASSWORD)
    lookup = lookup_for_connect(store)
    to_sqlite = preview_switch(config, "sqlite", target, source, lookup)
    assert not to_sqlite.checked and to_sqlite.mismatches == []
    seen: list[bool] = []

    def show(plan: SwitchPlan) -> bool:
        seen.append(plan.changed)
        return False  # e.g. --force: no guard

    skipped = preview_switch(config, "postgres", target, source, lookup, show_plan=show)
    assert seen == [True] and not skipped.checked
    guarded = preview_switch(config, "postgres", target, source, lookup)
    assert guarded.checked and guarded.plan.changed
    assert guarded.mismatches == [
        "Table files is missing in the target (1 rows in the SQLite file).",
        "Table sessions is missing in the target (1 rows in the SQLite file).",
    ]
