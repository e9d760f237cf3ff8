"""``ailt-migrate run`` and ``rollback`` as a user runs them: real processes, a real server.

Every test runs with the canary password and checks it never shows up in any output.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

from app.core.advice import rollback_command
from app.core.dsn import parse_dsn
from tests.helpers import empty_ailt_db, sample_db
from tests.postgres import CANARY_PASSWORD, TargetDb, wait_for_disconnect, wait_for_query

REQUIRED_JSON_KEYS = {"source", "target", "executed", "verified", "problems", "elapsed_s"}


def cli(
    tmp_path: Path, *args: str, password: str | None = CANARY_PASSWORD, check_canary: bool = True
) -> subprocess.CompletedProcess[str]:
    """Run ``python -m app`` in a clean environment (no keychain, no ~/.pgpass)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    env.update(HOME=str(tmp_path), PYTHON_KEYRING_BACKEND="keyring.backends.null.Keyring")
    if password is not None:
        env["PGPASSWORD"] = password
    proc = subprocess.run(
        [sys.executable, "-m", "app", *args],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )
    if check_canary:
        assert CANARY_PASSWORD not in proc.stdout + proc.stderr
    return proc


def test_dry_run_prints_the_side_by_side_table(tmp_path: Path, target_db: TargetDb) -> None:
    db = sample_db(tmp_path)
    proc = cli(tmp_path, "run", "--sqlite", str(db), "--postgres-dsn", target_db.url)
    assert proc.returncode == 0, proc.stderr
    assert "SQLite rows" in proc.stdout and "Postgres rows" in proc.stdout
    assert "files                                3              —  will be created" in proc.stdout
    assert "PostgreSQL " in proc.stdout and "Dry run only" in proc.stdout
    with target_db.connect() as conn:
        assert conn.execute(
            "SELECT count(*) FROM pg_tables WHERE schemaname='public'"
        ).fetchone() == (0,)


def test_execute_json_and_report(tmp_path: Path, target_db: TargetDb) -> None:
    db = sample_db(tmp_path)
    report = tmp_path / "out" / "report.json"
    proc = cli(
        tmp_path,
        "run",
        "--sqlite",
        str(db),
        "--postgres-dsn",
        target_db.url,
        "--execute",
        "--json",
        "--report",
        str(report),
    )
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert set(data) >= REQUIRED_JSON_KEYS
    assert data["executed"] is True
    assert data["verified"]["counts_match"] is True
    assert data["verified"]["checksums_match"] is True
    assert data["source"]["counts"] == data["target"]["counts"]
    assert data["target"]["server_version"]
    assert json.loads(report.read_text()) == data
    assert CANARY_PASSWORD not in report.read_text()


def test_password_in_the_dsn_works_with_a_warning(tmp_path: Path, target_db: TargetDb) -> None:
    db = sample_db(tmp_path)
    proc = cli(
        tmp_path,
        "run",
        "--sqlite",
        str(db),
        "--postgres-dsn",
        target_db.url_with_password,
        password=None,
    )
    assert proc.returncode == 0, proc.stderr
    assert "visible to other users" in proc.stderr
    assert "****" in proc.stdout


def test_second_execute_is_refused_naming_the_tables(tmp_path: Path, target_db: TargetDb) -> None:
    db = sample_db(tmp_path)
    args = ("run", "--sqlite", str(db), "--postgres-dsn", target_db.url, "--execute")
    assert cli(tmp_path, *args).returncode == 0
    proc = cli(tmp_path, *args)
    assert proc.returncode == 3
    assert "already holds rows in files (3 rows)" in proc.stderr
    assert "Traceback" not in proc.stderr
    dry = cli(tmp_path, *args[:-1])
    assert dry.returncode == 3 and "target not empty" in dry.stdout


@pytest.mark.parametrize(
    ("case", "status", "message"),
    [
        ("missing file", 2, "does not exist"),
        ("directory", 2, "is a folder"),
        ("not sqlite", 2, "not a SQLite database"),
        ("no ailt tables", 3, "holds no AI Log Trail tables"),
        ("malformed dsn", 2, "DSN is malformed"),
        ("unreachable", 4, "Cannot reach PostgreSQL"),
        ("wrong password", 4, "was rejected"),
        ("no password", 4, "needs a password"),
        ("missing database", 4, "does not exist on"),
        ("bad flag", 2, "invalid choice"),
        ("bad values", 3, "cannot be migrated"),
    ],
)
def test_bad_input_gets_one_clear_sentence(
    tmp_path: Path, target_db: TargetDb, case: str, status: int, message: str
) -> None:
    db = sample_db(tmp_path)
    dsn, password, sqlite = target_db.url, CANARY_PASSWORD, str(db)
    extra: list[str] = ["--execute"]
    if case == "missing file":
        sqlite = str(tmp_path / "nope.sqlite")
    elif case == "directory":
        sqlite = str(tmp_path)
    elif case == "not sqlite":
        (tmp_path / "x.sqlite").write_text("nope")
        sqlite = str(tmp_path / "x.sqlite")
    elif case == "no ailt tables":
        import sqlite3

        sqlite3.connect(tmp_path / "o.sqlite").execute("CREATE TABLE t (x)").connection.commit()
        sqlite = str(tmp_path / "o.sqlite")
    elif case == "malformed dsn":
        dsn = f"host=localhost password={CANARY_PASSWORD} nonsense"
    elif case == "unreachable":
        dsn = "postgresql://ailt_canary@127.0.0.1:1/db"
    elif case == "wrong password":
        password = "not-the-password"
    elif case == "no password":
        password = None  # type: ignore[assignment]
    elif case == "missing database":
        dsn = target_db.url.replace(target_db.name, "no_such_db")
    elif case == "bad flag":
        extra = ["--repair", "everything"]
    elif case == "bad values":
        conn = empty_ailt_db(tmp_path)
        conn.execute("INSERT INTO files (path) VALUES (?)", ["nul\x00here"])
        conn.commit()
        sqlite = str(tmp_path / "tiny.sqlite")
    proc = cli(
        tmp_path, "run", "--sqlite", sqlite, "--postgres-dsn", dsn, *extra, password=password
    )
    assert proc.returncode == status, proc.stderr
    assert message in proc.stderr
    assert "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) <= 3


def test_user_without_create_rights_is_refused(tmp_path: Path, target_db: TargetDb) -> None:
    server = target_db.server
    server.create_role("ailt_reader", CANARY_PASSWORD)
    with psycopg.connect(server.conninfo(target_db.name), autocommit=True) as db:
        db.execute("REVOKE CREATE ON SCHEMA public FROM PUBLIC")
    dsn = server.url(target_db.name, "ailt_reader")
    proc = cli(
        tmp_path, "run", "--sqlite", str(sample_db(tmp_path)), "--postgres-dsn", dsn, "--execute"
    )
    assert proc.returncode == 3
    assert "may not create tables" in proc.stderr


def test_defaults_come_from_the_config(tmp_path: Path, target_db: TargetDb) -> None:
    (tmp_path / "reports").mkdir()
    sample_db(tmp_path / "reports")
    (tmp_path / "user").mkdir()
    (tmp_path / "user" / "config.toml").write_text(
        '[ingest]\ndb_path = "reports/session_data.sqlite"\n\n'
        f'[database]\nbackend = "sqlite"\npostgres_dsn = "{target_db.url}"\n'
    )
    proc = cli(tmp_path, "run", "--json")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["source"]["path"].endswith("reports/session_data.sqlite")


@pytest.mark.parametrize(
    "command",
    [
        ("run", "--json"),
        ("credentials", "status"),
        ("rollback",),
        ("switch", "--to", "sqlite"),
        ("sync", "--json"),
    ],
)
def test_config_before_the_command_is_the_one_used(
    tmp_path: Path, target_db: TargetDb, command: tuple[str, ...]
) -> None:
    """``ailt-migrate --config other.toml COMMAND``: every command reads other.toml (the
    sub-command's own default used to win and read user/config.toml)."""
    (tmp_path / "elsewhere").mkdir()
    sample_db(tmp_path / "elsewhere")
    other = tmp_path / "elsewhere" / "other.toml"
    other.write_text(
        '[ingest]\ndb_path = "elsewhere/session_data.sqlite"\n\n'
        f'[database]\nbackend = "sqlite"\npostgres_dsn = "{target_db.url}"\n'
    )
    proc = cli(tmp_path, "--config", str(other), *command)
    assert "user/config.toml" not in proc.stdout + proc.stderr
    assert "No connection given" not in proc.stderr and "No PostgreSQL DSN" not in proc.stderr
    # the tests' keyring is the null one: credentials then answers that no keyring is there;
    # sync has nothing to catch up with in an empty target: both prove the config was read
    assert (
        proc.returncode == 0
        or "No keyring backend" in proc.stderr
        or ("holds none of the file's tables" in proc.stderr)
    ), proc.stderr


def _wait_for_copy(target_db: TargetDb, proc: subprocess.Popen[str]) -> None:
    wait_for_query(target_db, proc, "COPY%FROM STDIN%", "the copy", pause_s=0.02)


def _start_execute(tmp_path: Path, target_db: TargetDb) -> subprocess.Popen[str]:
    db = tmp_path / "big.sqlite"
    from app.sample.generator import generate

    generate(db, target_bytes=40_000_000, seed=3)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    env.update(
        HOME=str(tmp_path),
        PGPASSWORD=CANARY_PASSWORD,
        PYTHON_KEYRING_BACKEND="keyring.backends.null.Keyring",
    )
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "app",
            "run",
            "--sqlite",
            str(db),
            "--postgres-dsn",
            target_db.url,
            "--execute",
            "--batch-size",
            "200",
        ],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _public_tables(target_db: TargetDb) -> int:
    with target_db.connect() as conn:
        row = conn.execute("SELECT count(*) FROM pg_tables WHERE schemaname='public'").fetchone()
        return int(row[0]) if row else 0


def test_ctrl_c_mid_copy_commits_nothing(tmp_path: Path, target_db: TargetDb) -> None:
    proc = _start_execute(tmp_path, target_db)
    _wait_for_copy(target_db, proc)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "nothing was committed" in err
    assert CANARY_PASSWORD not in out + err
    assert _public_tables(target_db) == 0


def test_kill_mid_copy_commits_nothing(tmp_path: Path, target_db: TargetDb) -> None:
    proc = _start_execute(tmp_path, target_db)
    _wait_for_copy(target_db, proc)
    proc.kill()
    proc.communicate(timeout=60)
    wait_for_disconnect(target_db)  # the server notices the dead client
    assert _public_tables(target_db) == 0


def test_rollback_shows_then_clears(tmp_path: Path, target_db: TargetDb) -> None:
    db = sample_db(tmp_path)
    assert (
        cli(
            tmp_path, "run", "--sqlite", str(db), "--postgres-dsn", target_db.url, "--execute"
        ).returncode
        == 0
    )
    shown = cli(tmp_path, "rollback", "--postgres-dsn", target_db.url)
    assert shown.returncode == 0
    lines = [line.split()[1] for line in shown.stdout.splitlines() if line.startswith("TRUNCATE")]
    assert lines[:3] == ["events", "function_calls", "function_plan_messages"]
    assert lines[-1] == "files"
    with target_db.connect() as conn:
        assert conn.execute("SELECT count(*) FROM files").fetchone() == (3,)
    assert cli(tmp_path, "rollback", "--postgres-dsn", target_db.url, "--yes").returncode == 0
    with target_db.connect() as conn:
        assert conn.execute("SELECT count(*) FROM files").fetchone() == (0,)
    again = cli(tmp_path, "run", "--sqlite", str(db), "--postgres-dsn", target_db.url, "--execute")
    assert again.returncode == 0, again.stderr
    assert (
        cli(tmp_path, "rollback", "--postgres-dsn", target_db.url, "--drop", "--yes").returncode
        == 0
    )
    assert _public_tables(target_db) == 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("generate", "x.sqlite", "--size", "abc"), "expected a size such as 100MB"),
        (("generate", "x.sqlite", "--size", "1GBB"), "expected a size such as 100MB"),
        (("generate", "x.sqlite", "--size", "0"), "at least 1 byte"),
        (("generate", "no/such/folder/x.sqlite"), "does not exist: create it first"),
        (("run", "--batch-size", "abc"), "expected a whole number of at least 1, not 'abc'"),
        (("run", "--batch-size", "0"), "expected a whole number of at least 1"),
    ],
    ids=["size abc", "size 1GBB", "size 0", "missing folder", "batch abc", "batch 0"],
)
def test_bad_arguments_get_one_sentence_and_exit_2(
    tmp_path: Path, args: tuple[str, ...], message: str
) -> None:
    """Issue 11: no traceback, no internal function name, one sentence, exit 2."""
    proc = cli(tmp_path, *args)
    assert proc.returncode == 2, proc.stderr
    assert message in proc.stderr
    assert "Traceback" not in proc.stderr and "positive_int" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "x.sqlite").exists()


def test_execute_refuses_with_the_dry_runs_count_and_first_value(
    tmp_path: Path, target_db: TargetDb
) -> None:
    """Issue 11 bug 5: a NUL, bad UTF-8 and text in an INTEGER column: both say 3, same first."""
    conn = empty_ailt_db(tmp_path)
    conn.execute("INSERT INTO files (id, path) VALUES (1, 'a')")
    rows = [(1, 0, "nul\x00here"), (2, 1, None), (3, "abc", "text in an integer")]
    conn.executemany(
        "INSERT INTO prompts (id, file_id, prompt_index, message) VALUES (?, 1, ?, ?)", rows
    )
    conn.execute("UPDATE prompts SET message = CAST(x'ff61' AS TEXT) WHERE id = 2")
    conn.commit()
    args = ("run", "--sqlite", str(tmp_path / "tiny.sqlite"), "--postgres-dsn", target_db.url)
    dry = cli(tmp_path, *args, "--json")
    problems = json.loads(dry.stdout)["problems"]
    assert len(problems) == 3
    first = problems[0]
    run = cli(tmp_path, *args, "--execute")
    assert run.returncode == 3
    assert "3 values cannot be migrated" in run.stderr
    assert f"the first: prompts id {first['id']} column {first['column']}" in run.stderr
    assert "3 values cannot be migrated" in dry.stderr


def test_refusal_advice_names_the_target(tmp_path: Path, target_db: TargetDb) -> None:
    """Issue 11 bug 6: the suggested rollback carries --postgres-dsn (without the password)."""
    db = sample_db(tmp_path)
    args = ("run", "--sqlite", str(db), "--postgres-dsn", target_db.url_with_password, "--execute")
    assert cli(tmp_path, *args).returncode == 0
    proc = cli(tmp_path, *args)
    assert proc.returncode == 3
    expected = rollback_command(parse_dsn(target_db.url))
    assert "--postgres-dsn" in expected
    assert f"clear it with {expected} or choose" in proc.stderr


def test_execute_always_saves_its_report(tmp_path: Path, target_db: TargetDb) -> None:
    """Issue 11: like the wizard, an executed run keeps its report and says where."""
    db = sample_db(tmp_path)
    proc = cli(tmp_path, "run", "--sqlite", str(db), "--postgres-dsn", target_db.url, "--execute")
    assert proc.returncode == 0, proc.stderr
    saved = list((tmp_path / "reports").glob("ailt-migrate-*.json"))
    assert len(saved) == 1
    assert f"Report saved: reports/{saved[0].name}" in proc.stderr
    assert json.loads(saved[0].read_text())["executed"] is True


def test_reports_of_the_same_second_do_not_overwrite_each_other(tmp_path: Path) -> None:
    from app.core.report import save_report

    first = save_report({"n": 1}, tmp_path)
    second = save_report({"n": 2}, tmp_path)
    assert first != second
    assert json.loads(first.read_text()) == {"n": 1}
    assert json.loads(second.read_text()) == {"n": 2}


def test_ctrl_c_while_loading_is_a_sentence_not_a_traceback(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import app.cli

    def interrupted() -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(app.cli, "build_parser", interrupted)
    assert app.cli.main(["sync"]) == 130
    err = capsys.readouterr().err
    assert err == "ailt-migrate: Cancelled before anything started.\n"
