"""Values that need a repair, and quitting in the middle of a migration."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from textual.widgets import Button, Checkbox

from app.ui.app import WizardApp
from tests.postgres import CANARY_PASSWORD, TargetDb
from tests.ui.helpers import (
    SIZE,
    public_tables,
    screen_text,
    start_migration,
    through_source,
    to_confirm,
    wait_for,
    wait_step,
)


async def test_repair_choice_unblocks_next(
    wizard: Callable[..., WizardApp], sample_db: Path, target_db: TargetDb
) -> None:
    """A NUL in the text: listed with its location; Next only once the repair is chosen."""
    conn = sqlite3.connect(sample_db)
    conn.execute("UPDATE prompts SET raw_json = 'a' || char(0) || 'b' WHERE id = 2")
    conn.commit()
    conn.close()
    app = wizard(dsn=target_db.url, password=CANARY_PASSWORD)
    async with app.run_test(size=SIZE) as pilot:
        await through_source(pilot, app)
        await pilot.press("ctrl+n")
        await wait_step(pilot, app, "3/8")
        await wait_for(pilot, lambda: app.state.plan is not None, what="the dry run")
        await pilot.pause(0.1)
        text = screen_text(app)
        assert "1 value cannot be migrated as it is" in text  # not "(1 values)"
        assert "value(s)" not in text
        assert "prompts" in text and "raw_json" in text and "NUL" in text
        assert app.screen.query_one("#next", Button).disabled
        box = app.screen.query_one("#repair-strip-nul", Checkbox)
        box.value = True
        await wait_for(pilot, lambda: not app.screen.query_one("#next", Button).disabled)
        assert app.state.repairs == frozenset({"strip-nul"})


async def test_quit_during_migration_asks_and_rolls_back(
    wizard: Callable[..., WizardApp], target_db: TargetDb
) -> None:
    """ctrl+q while copying asks first; yes cancels, rolls back and exits."""
    app = wizard(dsn=target_db.url, password=CANARY_PASSWORD, batch_size=5, throttle_s=0.1)
    async with app.run_test(size=SIZE) as pilot:
        await through_source(pilot, app)
        await to_confirm(pilot, app)
        await start_migration(pilot, app)
        await pilot.press("ctrl+q")
        await wait_for(pilot, lambda: "Quit during the migration?" in screen_text(app))
        await pilot.click("#yes")
    assert app.return_value == 130
    with target_db.connect() as conn:
        assert public_tables(conn) == 0


@pytest.mark.parametrize("in_text_field", [False, True], ids=["no focus", "path field"])
async def test_ctrl_c_quits_on_every_screen(
    wizard: Callable[..., WizardApp], sample_db: Path, in_text_field: bool
) -> None:
    """Ctrl+C is what terminal users press to leave: it quits like ctrl+q, also on step 1,
    which opens with its text field focused (issue 11)."""
    app = wizard()
    async with app.run_test(size=(100, 32)) as pilot:
        await pilot.pause()
        if not in_text_field:
            app.screen.set_focus(None)
        else:
            assert app.screen.focused is app.screen.query_one("#path")
        await pilot.press("ctrl+c")
        await pilot.pause()
    assert app.return_code == 0


async def test_dry_run_can_be_cancelled(
    wizard: Callable[..., WizardApp], target_db: TargetDb, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 11 bug 7: esc cancels a running dry run (Back is off meanwhile), the engine sees
    the cancel, and Back works again afterwards. The engine's own cancel is tested in
    tests/test_cancel.py; here a slow stand-in keeps the scan running until it is cancelled."""
    from app.core.errors import Cancelled
    from app.ui.screens import dry_run as dry_run_screen

    seen: list[bool] = []

    def slow_dry_run(*args: object, is_cancelled: Callable[[], bool], **kw: object) -> None:
        deadline = time.monotonic() + 20
        while not is_cancelled() and time.monotonic() < deadline:
            time.sleep(0.01)
        seen.append(is_cancelled())
        raise Cancelled("Cancelled: nothing was written.")

    monkeypatch.setattr(dry_run_screen, "dry_run", slow_dry_run)
    app = wizard(dsn=target_db.url, password=CANARY_PASSWORD)
    async with app.run_test(size=(80, 24)) as pilot:
        await through_source(pilot, app)
        await pilot.press("ctrl+n")
        await wait_step(pilot, app, "3/8")
        screen = app.screen
        assert screen.query_one("#back", Button).disabled
        await pilot.press("escape")
        await wait_for(pilot, lambda: seen == [True], what="the cancel to reach the engine")
        await wait_for(pilot, lambda: "cancelled" in screen_text(app), what="the message")
        assert app.screen is screen
        assert not screen.query_one("#back", Button).disabled
        await pilot.press("escape")
        await wait_step(pilot, app, "2/8")
