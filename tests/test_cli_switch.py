"""``ailt-migrate switch`` and ``ailt-migrate credentials``, run in-process."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from app.cli import main
from app.core.credentials import KeyringStore
from app.core.dsn import parse_dsn
from tests.keyring_helpers import MemoryKeyring, fail_keyring, memory_keyring
from tests.postgres import CANARY_PASSWORD, TargetDb
from tests.test_config_switch import EXAMPLE, make_sqlite

__all__ = ["fail_keyring", "memory_keyring"]


def cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """Run one command; return (status, stdout, stderr) and check the password never shows."""
    status = main(list(argv))
    out, err = capsys.readouterr()
    assert CANARY_PASSWORD not in out + err
    return status, out, err


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A working folder with user/config.toml (the example) and no libpq password sources."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("PGPASSWORD", raising=False)
    monkeypatch.setenv("PGPASSFILE", str(tmp_path / "no-pgpass"))
    (tmp_path / "user").mkdir()
    shutil.copyfile(EXAMPLE, tmp_path / "user" / "config.toml")
    make_sqlite(tmp_path / "s.sqlite", files=2, sessions=1)
    return tmp_path / "user" / "config.toml"


def no_secret_in_files(folder: Path) -> None:
    for path in folder.rglob("*"):
        if path.is_file() and path.suffix in (".toml", ".bak"):
            assert CANARY_PASSWORD not in path.read_text(), path


def test_switch_refused_while_target_is_empty(
    env: Path, target_db: TargetDb, capsys: pytest.CaptureFixture[str]
) -> None:
    before = env.read_bytes()
    dsn = target_db.url_with_password
    status, out, err = cli(
        capsys, "switch", "--to", "postgres", "--postgres-dsn", dsn, "--sqlite", "s.sqlite", "--yes"
    )
    assert status == 3
    assert '+backend = "postgres"' in out  # the diff is shown first
    assert "Table files is missing in the target (2 rows in the SQLite file)." in err
    assert "does not hold the migrated data yet" in err and "--force" in err
    assert env.read_bytes() == before
    assert sorted(p.name for p in env.parent.iterdir()) == ["config.toml"]


def migrate_target(env: Path, target_db: TargetDb) -> None:
    """Migrate the test's s.sqlite into the target for real (content, not only counts)."""
    from app.core.migrate import execute

    sqlite = env.parent.parent / "s.sqlite"
    assert execute(sqlite, parse_dsn(target_db.conninfo).with_password(CANARY_PASSWORD)).committed


def test_switch_dry_run_then_apply_when_the_target_matches(
    env: Path, target_db: TargetDb, capsys: pytest.CaptureFixture[str]
) -> None:
    migrate_target(env, target_db)
    before = env.read_bytes()
    argv = [
        "switch",
        "--to",
        "postgres",
        "--postgres-dsn",
        target_db.url_with_password,
        "--sqlite",
        "s.sqlite",
    ]
    status, out, _ = cli(capsys, *argv)
    assert status == 0
    assert "holds exactly the rows of s.sqlite (every row compared)" in out
    assert "Nothing was written: run the same command with --yes" in out
    assert env.read_bytes() == before

    status, out, _ = cli(capsys, *argv, "--yes")
    assert status == 0
    assert "Switched user/config.toml to postgres; the previous version is in" in out
    assert "The password was not written to the config" in out
    assert "AI Log Trail will now write to PostgreSQL at" in out
    assert "catch up with: ailt-migrate sync --sqlite s.sqlite --postgres-dsn '" in out
    url = parse_dsn(target_db.url)
    assert f'postgres_dsn = "{url_of(target_db)}"' in env.read_text()
    assert parse_dsn(str(load_dsn(env))).params == url.params
    no_secret_in_files(env.parent)

    status, out, _ = cli(capsys, "switch", "--to", "sqlite", "--yes")
    assert status == 0 and '+backend = "sqlite"' in out
    status, out, _ = cli(capsys, "switch", "--to", "sqlite")
    assert status == 0 and "already uses sqlite: nothing to change" in out


def test_switch_compares_content_and_offers_sync(
    env: Path, target_db: TargetDb, capsys: pytest.CaptureFixture[str]
) -> None:
    """Same row counts, different rows: refused with the number of rows and the sync command."""
    import sqlite3

    from app.core.sync import execute_sync

    migrate_target(env, target_db)
    with sqlite3.connect(env.parent.parent / "s.sqlite") as conn:
        conn.execute("UPDATE files SET path = 'renamed' WHERE id = 1")
    conn.close()
    argv = [
        "switch",
        "--to",
        "postgres",
        "--postgres-dsn",
        target_db.url_with_password,
        "--sqlite",
        "s.sqlite",
        "--yes",
    ]
    before = env.read_bytes()
    status, _, err = cli(capsys, *argv)
    assert status == 3
    assert "Table files: 0 row(s) to insert, 1 to update, 0 to delete." in err
    assert "1 row(s) differ" in err and "ailt-migrate sync --sqlite s.sqlite" in err
    assert "'ailt-migrate" not in err  # the command is quoted inside, not wrapped (a review)
    assert env.read_bytes() == before
    execute_sync(Path("s.sqlite"), parse_dsn(target_db.conninfo).with_password(CANARY_PASSWORD))
    status, out, _ = cli(capsys, *argv)
    assert status == 0 and "Switched" in out


def url_of(target_db: TargetDb) -> str:
    from app.core.dsn import to_url

    return to_url(parse_dsn(target_db.url))


def load_dsn(config: Path) -> str | None:
    from app.core.config import load_config

    return load_config(config).postgres_dsn


def test_switch_force_skips_the_guard(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # An unreachable server: --force must not even connect.
    dsn = f"postgresql://ailt_canary:{CANARY_PASSWORD}@127.0.0.1:1/nowhere"
    status, _, _ = cli(
        capsys, "switch", "--to", "postgres", "--postgres-dsn", dsn, "--force", "--yes"
    )
    assert status == 0
    assert 'postgres_dsn = "postgresql://ailt_canary@127.0.0.1:1/nowhere"' in env.read_text()
    no_secret_in_files(env.parent)


def test_switch_wrong_password_exits_4(
    env: Path, target_db: TargetDb, capsys: pytest.CaptureFixture[str]
) -> None:
    before = env.read_bytes()
    dsn = target_db.server.url(target_db.name, target_db.user, "not-the-password")
    status, _, err = cli(
        capsys, "switch", "--to", "postgres", "--postgres-dsn", dsn, "--sqlite", "s.sqlite", "--yes"
    )
    assert status == 4
    assert "was rejected" in err and "not-the-password" not in err
    assert "Traceback" not in err
    assert env.read_bytes() == before


def test_switch_uses_config_dsn_and_keyring(
    env: Path,
    target_db: TargetDb,
    memory_keyring: MemoryKeyring,
    capsys: pytest.CaptureFixture[str],
) -> None:
    migrate_target(env, target_db)
    KeyringStore().set(parse_dsn(target_db.url), CANARY_PASSWORD)  # saved by the wizard earlier
    env.write_text(
        env.read_text().replace(
            '# postgres_dsn = "postgresql://user@host:5432/ai_log_trail"',
            f'postgres_dsn = "{target_db.url}"',
        )
    )
    status, out, err = cli(capsys, "switch", "--to", "postgres", "--sqlite", "s.sqlite", "--yes")
    assert status == 0, err
    assert "holds exactly the rows" in out and "Switched" in out
    assert load_dsn(env) == url_of(target_db)


def test_switch_invalid_toml_exits_2(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    env.write_text("[database\nbackend = 'sqlite'\n")
    status, out, err = cli(capsys, "switch", "--to", "sqlite", "--yes")
    assert status == 2 and out == ""
    assert "is not valid TOML at line 1, column 10" in err
    assert env.read_text() == "[database\nbackend = 'sqlite'\n"


def test_switch_missing_config(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    env.unlink()
    status, _, err = cli(capsys, "switch", "--to", "sqlite")
    assert status == 2 and "does not exist: create it from the example config" in err
    assert not env.exists()
    status, out, _ = cli(
        capsys,
        "switch",
        "--to",
        "postgres",
        "--postgres-dsn",
        "postgresql://u@h/d",
        "--force",
        "--yes",
    )
    assert status == 0 and "Created user/config.toml from the example config." in out
    assert 'postgres_dsn = "postgresql://u@h/d"' in env.read_text()


def test_switch_malformed_dsn_exits_2(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, _, err = cli(
        capsys,
        "switch",
        "--to",
        "postgres",
        "--postgres-dsn",
        f"host=h password={CANARY_PASSWORD} bogus",
    )
    assert status == 2 and "malformed" in err


# --- credentials ------------------------------------------------------------------------------


def test_credentials_status_and_forget(
    env: Path, memory_keyring: MemoryKeyring, capsys: pytest.CaptureFixture[str]
) -> None:
    dsn = f"postgresql://alice:{CANARY_PASSWORD}@db.example:5433/ailt"
    status, out, _ = cli(capsys, "credentials", "status", "--postgres-dsn", dsn)
    assert (status, out) == (
        0,
        "No password for alice@db.example:5433/ailt is saved in the system keyring.\n",
    )
    KeyringStore().set(parse_dsn(dsn), CANARY_PASSWORD)
    status, out, _ = cli(capsys, "credentials", "status", "--postgres-dsn", dsn)
    assert status == 0 and "A password for alice@db.example:5433/ailt is saved" in out
    status, out, _ = cli(capsys, "credentials", "forget", "--postgres-dsn", dsn)
    assert status == 0 and out.startswith("Removed the saved password")
    assert memory_keyring.passwords == {}
    status, out, _ = cli(capsys, "credentials", "forget", "--postgres-dsn", dsn)
    assert status == 0 and "nothing to remove" in out


def test_credentials_default_to_config_dsn(
    env: Path, memory_keyring: MemoryKeyring, capsys: pytest.CaptureFixture[str]
) -> None:
    status, _, err = cli(capsys, "credentials", "status")
    assert status == 2 and "--postgres-dsn" in err
    env.write_text(env.read_text().replace("# postgres_dsn = ", "postgres_dsn = ", 1))
    status, out, _ = cli(capsys, "credentials", "status")
    assert status == 0 and "user@host:5432/ai_log_trail" in out


def test_credentials_without_keyring_exit_2(
    env: Path, fail_keyring: object, capsys: pytest.CaptureFixture[str]
) -> None:
    for action in ("status", "forget"):
        status, out, err = cli(
            capsys, "credentials", action, "--postgres-dsn", "postgresql://a@b/c"
        )
        assert status == 2 and out == ""
        assert err.startswith("No keyring backend is available") and err.count("\n") == 1
