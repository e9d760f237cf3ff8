"""The wizard's third way out of a non-empty target: bring an earlier migration up to date."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

from textual.pilot import Pilot
from textual.widgets import Button, ProgressBar

from app.core.dsn import Target, parse_dsn
from app.core.migrate import execute
from app.core.sync import SyncResult, plan_sync
from app.ui.app import WizardApp
from app.ui.screens.execute import ExecuteScreen
from tests.ailt_ingest import add_file_like, edit_redactions, open_writer, reingest
from tests.postgres import CANARY_PASSWORD, TargetDb
from tests.ui.helpers import SIZE, screen_text, status, through_source, wait_for, wait_step


def _migrate_first(sample_db: Path, target_db: TargetDb) -> Target:
    """The file migrated once (the target the wizard then finds holding rows)."""
    target = parse_dsn(target_db.conninfo).with_password(CANARY_PASSWORD)
    assert execute(sample_db, target).committed
    return target


def _ingest_file(sample_db: Path, like: int, name: str) -> None:
    """AI Log Trail ingests one more session file into its SQLite file."""
    conn = open_writer(sample_db)
    add_file_like(conn, like, name)
    conn.execute("COMMIT")
    conn.close()


async def _third_way_out(pilot: Pilot[int], app: WizardApp, what: str) -> Button:
    """Steps 1-3 with the file and the target given; step 3's third button, once shown."""
    await through_source(pilot, app)
    await pilot.press("ctrl+n")
    await wait_step(pilot, app, "3/8")
    button = app.screen.query_one("#sync", Button)
    await wait_for(pilot, lambda: button.display, what=what)
    return button


async def test_bring_an_earlier_migration_up_to_date(
    wizard: Callable[..., WizardApp], sample_db: Path, target_db: TargetDb
) -> None:
    """Dry run offers "Bring it up to date" with the counts; confirm, execute, verify follow."""
    target = _migrate_first(sample_db, target_db)
    conn = open_writer(sample_db)  # AI Log Trail keeps ingesting into its SQLite file
    add_file_like(conn, 1, "/sessions/after-the-migration.jsonl")
    reingest(conn, 2)
    edit_redactions(conn, [r[0] for r in conn.execute("SELECT id FROM redactions LIMIT 1")])
    conn.execute("COMMIT")
    conn.close()
    expected = plan_sync(sample_db, target).totals
    app = wizard(dsn=target_db.url, password=CANARY_PASSWORD)
    async with app.run_test(size=SIZE) as pilot:
        await _third_way_out(pilot, app, "the offer to bring it up to date")
        text = screen_text(app)
        assert "Clear the target" in text and "Choose another database" in text
        assert "Bring it up to date" in text
        assert (
            f"{expected['insert']:,} to insert, {expected['update']:,} to update, "
            f"{expected['delete']:,} to delete"
        ) in status(app, "#sync-status")
        await pilot.click("#sync")
        await wait_step(pilot, app, "4/8")
        assert "Bring up to date" in screen_text(app)
        assert str(app.screen.query_one("#next", Button).label) == "Start sync"
        await pilot.press("space", "ctrl+n")
        await wait_step(pilot, app, "5/8")
        screen = app.screen
        assert isinstance(screen, ExecuteScreen)
        await wait_for(pilot, lambda: screen.outcome is not None, what="the sync")
        assert status(app, "#outcome").startswith(f"Committed: {expected['insert']:,} inserted"), (
            status(app, "#outcome")
        )
        # A review saw the bar stop at 5 % and "5 of 79 copied": the table counts the rows
        # compared (all of them), and the bar is full once committed.
        bar = screen.query_one("#overall", ProgressBar)
        assert bar.percentage == 1.0
        for entry in screen.model.tables.values():
            assert (entry.state, entry.done) == ("compared", entry.total)
        await pilot.press("ctrl+n")
        await wait_step(pilot, app, "6/8")
        assert status(app, "#verdict").startswith("All 10 tables match")
        assert isinstance(app.state.result, SyncResult)
        assert app.state.report_path is not None
        assert CANARY_PASSWORD not in app.state.report_path.read_text()
    assert plan_sync(sample_db, target).up_to_date
    with sqlite3.connect(sample_db) as check:
        files = check.execute("SELECT count(*) FROM files").fetchone()[0]
    with target_db.connect() as pg:
        assert pg.execute("SELECT count(*) FROM files").fetchone() == (files,)


async def test_step_7_goes_back_to_the_dry_run_when_rows_arrived_meanwhile(
    wizard: Callable[..., WizardApp], sample_db: Path, target_db: TargetDb
) -> None:
    """A review found step 7 sending the user "back to the dry run", which Back cannot reach
    after a commit. Its "Bring it up to date…" button does: step 3 compares again, and the
    sync's steps follow, until step 7 finds the target matching."""
    app = wizard(dsn=target_db.url, password=CANARY_PASSWORD)
    async with app.run_test(size=SIZE) as pilot:
        await through_source(pilot, app)
        await pilot.press("ctrl+n")
        await wait_step(pilot, app, "3/8")
        await wait_for(pilot, lambda: app.state.plan is not None, what="the dry run")
        await pilot.press("ctrl+n")
        await wait_step(pilot, app, "4/8")
        await pilot.press("space", "ctrl+n")
        await wait_step(pilot, app, "5/8")
        screen = app.screen
        assert isinstance(screen, ExecuteScreen)
        await wait_for(pilot, lambda: screen.outcome is not None, what="the migration")
        _ingest_file(
            sample_db, 1, "/sessions/during-the-wizard.jsonl"
        )  # AI Log Trail ingests while the user reads step 6
        await pilot.press("ctrl+n")
        await wait_step(pilot, app, "6/8")
        await pilot.press("ctrl+n")
        await wait_step(pilot, app, "7/8")
        await wait_for(pilot, lambda: "differ" in status(app, "#guard"), what="the guard")
        assert "“Bring it up to date…” below" in status(app, "#guard")
        resync = app.screen.query_one("#resync", Button)
        assert resync.display
        await pilot.click("#resync")
        await wait_step(pilot, app, "3/8")
        button = app.screen.query_one("#sync", Button)
        await wait_for(pilot, lambda: button.display, what="the offer to bring it up to date")
        assert str(button.label) == "Bring it up to date…"
        await pilot.click("#sync")
        await wait_step(pilot, app, "4/8")
        await pilot.press("space", "ctrl+n")
        await wait_step(pilot, app, "5/8")
        syncing = app.screen
        assert isinstance(syncing, ExecuteScreen)
        await wait_for(pilot, lambda: syncing.outcome is not None, what="the sync")
        assert status(app, "#outcome").startswith("Committed:"), status(app, "#outcome")
        await pilot.press("ctrl+n")
        await wait_step(pilot, app, "6/8")
        await pilot.press("ctrl+n")
        await wait_step(pilot, app, "7/8")
        await wait_for(pilot, lambda: "same rows" in status(app, "#guard"), what="the preview")
        assert not app.screen.query_one("#resync", Button).display


async def test_a_target_that_already_matches_leads_on_to_the_switch(
    wizard: Callable[..., WizardApp], sample_db: Path, target_db: TargetDb
) -> None:
    """A review found step 3 a dead end when the target already held the file's rows: Next
    was off and nothing pointed on. The third button now leads to step 7."""
    _migrate_first(sample_db, target_db)
    app = wizard(dsn=target_db.url, password=CANARY_PASSWORD)
    async with app.run_test(size=SIZE) as pilot:
        button = await _third_way_out(pilot, app, "the way on")
        assert str(button.label) == "Go to the switch step…"
        assert "matches the file" in status(app, "#blocker")
        await pilot.click("#sync")
        await wait_step(pilot, app, "7/8")
        await wait_for(pilot, lambda: "same rows" in status(app, "#guard"), what="the preview")


async def test_rows_that_arrive_after_the_dry_run_are_said_to_have(
    wizard: Callable[..., WizardApp], sample_db: Path, target_db: TargetDb
) -> None:
    """A review confirmed 707 changes and saw 920 applied without a word: sync applies the
    file as it is when it runs (and verifies it), and step 5 now says the file changed."""
    target = _migrate_first(sample_db, target_db)
    _ingest_file(sample_db, 1, "/sessions/before-the-dry-run.jsonl")
    app = wizard(dsn=target_db.url, password=CANARY_PASSWORD)
    async with app.run_test(size=SIZE) as pilot:
        await _third_way_out(pilot, app, "the offer to bring it up to date")
        await pilot.click("#sync")
        await wait_step(pilot, app, "4/8")
        _ingest_file(
            sample_db, 2, "/sessions/after-the-dry-run.jsonl"
        )  # AI Log Trail ingests while the user reads step 4
        await pilot.press("space", "ctrl+n")
        await wait_step(pilot, app, "5/8")
        screen = app.screen
        assert isinstance(screen, ExecuteScreen)
        await wait_for(pilot, lambda: screen.outcome is not None, what="the sync")
        assert "The file changed after the dry run" in status(app, "#outcome")
    assert plan_sync(sample_db, target).up_to_date


async def test_step_7_compares_again_before_it_switches(
    wizard: Callable[..., WizardApp], sample_db: Path, target_db: TargetDb, config_file: Path
) -> None:
    """A review: step 7 showed "same rows", AI Log Trail then ingested a file, and Apply
    switched anyway (the command line refuses). Apply now compares again first."""
    from app.core.config import load_config

    _migrate_first(sample_db, target_db)
    app = wizard(dsn=target_db.url, password=CANARY_PASSWORD)
    async with app.run_test(size=SIZE) as pilot:
        await _third_way_out(pilot, app, "the way on")
        await pilot.click("#sync")
        await wait_step(pilot, app, "7/8")
        await wait_for(pilot, lambda: "same rows" in status(app, "#guard"), what="the preview")
        _ingest_file(sample_db, 1, "/sessions/while-reading-step-7.jsonl")
        await pilot.press("ctrl+a")
        await wait_for(
            pilot, lambda: "Not switched" in status(app, "#switch-status"), what="the refusal"
        )
        await wait_for(pilot, lambda: "differ" in status(app, "#guard"), what="the new guard")
    assert load_config(config_file).backend == "sqlite"
