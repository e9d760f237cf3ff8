"""The whole wizard against a real PostgreSQL: every step, then the data and the config."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

from textual.widgets import DataTable, Input

from app.core.config import load_config
from app.ui.app import WizardApp
from app.ui.screens.execute import ExecuteScreen
from tests.postgres import CANARY_PASSWORD, TargetDb
from tests.ui.helpers import (
    SIZE,
    count_rows,
    paste_into,
    public_tables,
    screen_text,
    start_migration,
    status,
    through_source,
    to_confirm,
    type_into,
    wait_for,
    wait_step,
)


def sqlite_counts(path: Path) -> dict[str, int]:
    """Rows per table, read straight from the file."""
    conn = sqlite3.connect(path)
    try:
        names = [
            r[0]
            for r in conn.execute(
                "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'"
            )
        ]
        return {n: conn.execute(f'SELECT count(*) FROM "{n}"').fetchone()[0] for n in names}
    finally:
        conn.close()


async def test_whole_flow_migrates_and_switches(
    wizard: Callable[..., WizardApp],
    sample_db: Path,
    config_file: Path,
    target_db: TargetDb,
    tmp_path: Path,
) -> None:
    """Path, DSN, test, dry-run counts, execute, verify, switch; then check both sides."""
    app = wizard(config_path=config_file)
    counts = sqlite_counts(sample_db)
    async with app.run_test(size=SIZE) as pilot:
        # 1 Source: paste the path, see the tables.
        await wait_step(pilot, app, "1/8")
        await paste_into(pilot, app, "#path", str(sample_db))
        await wait_for(pilot, lambda: app.state.source is not None, what="the file")
        assert "AI Log Trail, current (10 tables)" in status(app, "#source-status")
        await pilot.press("ctrl+n")
        # 2 Target: paste a DSN without the password, type the password, test.
        await wait_step(pilot, app, "2/8")
        await paste_into(pilot, app, "#dsn", target_db.url)
        await type_into(pilot, app, "#password", CANARY_PASSWORD)
        await pilot.press("ctrl+t")
        await wait_for(pilot, lambda: app.state.target is not None, what="the connection")
        assert status(app, "#target-status").startswith("Connected: PostgreSQL")
        await pilot.press("ctrl+n")
        # 3 Dry run: the SQLite counts, all tables to be created.
        await wait_step(pilot, app, "3/8")
        await wait_for(pilot, lambda: app.state.plan is not None, what="the dry run")
        table = app.screen.query_one("#plan", DataTable)
        assert table.get_cell("sessions", "sqlite").plain == f"{counts['sessions']:,}"
        assert table.get_cell("events", "status").plain == "will be created"
        await pilot.press("ctrl+n")
        # 4 Confirm: Start needs the box ticked.
        await wait_step(pilot, app, "4/8")
        await pilot.press("ctrl+n")
        assert app.screen.sub_title == "4/8 Confirm"
        await pilot.press("space", "ctrl+n")
        # 5 Execute.
        await wait_step(pilot, app, "5/8")
        screen = app.screen
        assert isinstance(screen, ExecuteScreen)
        await wait_for(pilot, lambda: screen.outcome is not None, what="the migration")
        assert status(app, "#outcome").startswith("Committed:"), status(app, "#outcome")
        await pilot.press("ctrl+n")
        # 6 Verify: checks and the spot check.
        await wait_step(pilot, app, "6/8")
        await wait_for(
            pilot, lambda: "identical" in status(app, "#spot-status"), what="the spot check"
        )
        assert status(app, "#verdict").startswith("All 10 tables match")
        assert "every value" in status(app, "#verdict")  # proven by values_compared
        await pilot.press("ctrl+n")
        # 7 Switch: preview, apply.
        await wait_step(pilot, app, "7/8")
        await wait_for(pilot, lambda: "same rows" in status(app, "#guard"), what="the preview")
        await pilot.press("ctrl+a")
        await wait_for(pilot, lambda: app.state.backup_path is not None, what="the switch")
        await pilot.press("ctrl+n")
        # 8 Done.
        await wait_step(pilot, app, "8/8")
        assert app.state.report_path is not None and app.state.report_path.is_file()
        await pilot.press("ctrl+n")
    assert app.return_code == 0
    with target_db.connect() as conn:
        for name, rows in counts.items():
            assert count_rows(conn, name) == rows
    config = load_config(config_file)
    assert config.backend == "postgres"
    assert config.postgres_dsn is not None and target_db.name in config.postgres_dsn
    assert CANARY_PASSWORD not in config_file.read_text()


async def test_cancel_mid_copy_leaves_target_unchanged(
    wizard: Callable[..., WizardApp],
    target_db: TargetDb,
) -> None:
    """Cancel asks once, then rolls back: no table exists in the target afterwards."""
    app = wizard(dsn=target_db.url, password=CANARY_PASSWORD, batch_size=5, throttle_s=0.1)
    async with app.run_test(size=SIZE) as pilot:
        await through_source(pilot, app)
        await to_confirm(pilot, app)
        screen = await start_migration(pilot, app)
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is not screen, what="the question")
        await pilot.click("#yes")
        await wait_for(pilot, lambda: screen.outcome is not None, timeout=60, what="the cancel")
        assert screen.outcome is not None and screen.outcome.cancelled
        assert "the target is unchanged" in status(app, "#outcome")
        assert screen.model.done < screen.model.total
        # No table row still says "copying" (or "copied") after the roll back (issue 11).
        states = {t.state for t in screen.model.tables.values()}
        assert states <= {"rolled back", "waiting"} and "rolled back" in states
        assert "copying" not in screen_text(app)
        assert app.state.result is None
    with target_db.connect() as conn:
        assert public_tables(conn) == 0


async def test_back_after_a_commit_does_not_strand_the_user(
    wizard: Callable[..., WizardApp],
    target_db: TargetDb,
) -> None:
    """Issue 11 bug 2: esc after "Committed" stays on step 5 and says why; Next still works."""
    app = wizard(dsn=target_db.url, password=CANARY_PASSWORD)
    async with app.run_test(size=(80, 24)) as pilot:
        await through_source(pilot, app)
        await to_confirm(pilot, app)
        await pilot.press("space", "ctrl+n")
        await wait_step(pilot, app, "5/8")
        screen = app.screen
        assert isinstance(screen, ExecuteScreen)
        await wait_for(pilot, lambda: screen.outcome is not None, what="the migration")
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is screen
        assert "no way back to the dry run" in screen_text(app)
        await pilot.press("ctrl+n")
        await wait_step(pilot, app, "6/8")
        await pilot.press("escape")
        await wait_step(pilot, app, "5/8")
        await pilot.press("ctrl+n")
        await wait_step(pilot, app, "6/8")


async def test_target_form_survives_going_back_to_step_1(
    wizard: Callable[..., WizardApp], target_db: TargetDb
) -> None:
    """Issue 11: back to step 1 and forward again keeps the DSN and the password."""
    app = wizard()
    async with app.run_test(size=(80, 24)) as pilot:
        await through_source(pilot, app)
        await paste_into(pilot, app, "#dsn", target_db.url)
        await type_into(pilot, app, "#password", CANARY_PASSWORD)
        await pilot.pause()
        app.screen.set_focus(None)
        await pilot.press("escape")
        await wait_step(pilot, app, "1/8")
        await pilot.press("ctrl+n")
        await wait_step(pilot, app, "2/8")
        await pilot.pause()
        assert app.screen.query_one("#dsn", Input).value == target_db.url
        assert app.screen.query_one("#password", Input).value == CANARY_PASSWORD
        await pilot.press("ctrl+t")
        await wait_for(pilot, lambda: app.state.target is not None, what="the connection")


async def test_switch_backend_only_offers_postgres_from_step_1(
    wizard: Callable[..., WizardApp], target_db: TargetDb
) -> None:
    """Issue 11: step 1's "Switch backend only" offered only SQLite; it now uses the target the
    command line or the config names (the guard still checks it holds the rows)."""
    from textual.widgets import RadioButton

    app = wizard(dsn=target_db.url, password=CANARY_PASSWORD)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_step(pilot, app, "1/8")
        await pilot.press("ctrl+b")
        await wait_step(pilot, app, "7/8")
        button = app.screen.query_one("#to-postgres", RadioButton)
        assert not button.disabled and button.value
        await wait_for(pilot, lambda: "does not hold" in status(app, "#guard"), what="guard")
