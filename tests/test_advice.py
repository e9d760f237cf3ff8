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
