"""The refusal's sentences: every table that holds rows, the exact target in the advice."""

from __future__ import annotations

import pytest

from app.core.advice import rollback_command
from app.core.errors import Refused
from app.core.plan import PROBLEM, check_executable
from tests.ui import fixed_data


def test_not_empty_sentence_names_problem_tables_that_hold_rows() -> None:
    """Issue 11 bug 5: a table whose status is "problem" but holds rows is named too."""
    plan = fixed_data.plan(not_empty=True)
    events = next(t for t in plan.tables if t.name == "events")
    assert events.status == PROBLEM
    events.target_rows = 2241
    with pytest.raises(Refused) as err:
        check_executable(plan, frozenset())
    text = str(err.value)
    assert "events (2,241 rows)" in text and "files (10 rows)" in text
    assert rollback_command(plan.target) in text
    assert "--postgres-dsn postgresql://alice@db.example.com:5432/ai_log_trail" in text
    assert "s3cret" not in text


def test_rollback_command_quotes_and_leaves_out_the_password() -> None:
    """A socket path and a password: quoted for the shell, password nowhere."""
    from app.core.dsn import parse_dsn

    target = parse_dsn("host='/tmp/my sock' dbname=x user=u password=pw")
    assert "pw" not in rollback_command(target).replace("rollback", "")
    assert "'postgresql://u@/x?host=/tmp/my%20sock'" in rollback_command(target)


def test_numbers_in_dialogs_and_guards_are_grouped() -> None:
    """Issue 11: 2,241 everywhere (it was 2241 in the clear dialog and the switch guard)."""
    from app.core.rollback import ClearPlan

    lines = ClearPlan(fixed_data.TARGET, [("events", 2241)], drop=False).describe()
    assert lines == ["TRUNCATE events  (2,241 rows)"]


def test_sync_command_survives_a_posix_shell() -> None:
    """A review found '?host=...' unquoted in the suggested sync command: zsh expands '?'.
    The path and the DSN come back from shlex.split exactly, and no password is in it."""
    import shlex

    from app.core.advice import drop_command, sync_command
    from app.core.dsn import parse_dsn, to_url

    target = parse_dsn("host=/tmp/sock dbname=x user=u password=pw")
    command = sync_command("/home/me/AI Log Trail/session data.sqlite", target)
    words = shlex.split(command)
    assert words[:4] == [
        "ailt-migrate",
        "sync",
        "--sqlite",
        "/home/me/AI Log Trail/session data.sqlite",
    ]
    assert words[4:] == ["--postgres-dsn", to_url(target), "--execute"]
    assert "?host=" in to_url(target) and "pw" not in command
    assert shlex.split(drop_command(target))[-3:] == [to_url(target), "--drop", "--yes"]
