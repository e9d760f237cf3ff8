"""The canary password never shows: not on any screen, snapshot, saved report or config."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote

from textual.widgets import Input

from app.ui.app import WizardApp
from app.ui.screens.execute import ExecuteScreen
from tests.postgres import CANARY_PASSWORD, TargetDb
from tests.ui.helpers import (
    SIZE,
    paste_into,
    screen_text,
    status,
    through_source,
    wait_for,
    wait_step,
)

FORMS = (CANARY_PASSWORD, quote(CANARY_PASSWORD, safe=""), quote(CANARY_PASSWORD))
SNAPSHOTS = Path(__file__).parent / "__snapshots__"


def assert_clean(text: str, where: str) -> None:
    """No form of the canary in ``text``."""
    for form in FORMS:
        assert form not in text, f"the password shows in {where}"


async def test_password_never_rendered(
    wizard: Callable[..., WizardApp],
    target_db: TargetDb,
    tmp_path: Path,
) -> None:
    """Paste a DSN that carries the password, walk every step, look at every screen."""
    app = wizard()
    seen: list[tuple[str, str]] = []

    def look() -> None:
        seen.append((str(app.screen.sub_title), screen_text(app)))
        seen.append((str(app.screen.sub_title) + " (SVG)", app.export_screenshot()))

    async with app.run_test(size=SIZE) as pilot:
        await through_source(pilot, app)
        await paste_into(pilot, app, "#dsn", target_db.url_with_password)
        dsn = app.screen.query_one("#dsn", Input).value
        assert_clean(dsn, "the DSN field")
        assert app.screen.query_one("#password", Input).value == CANARY_PASSWORD
        look()
        await pilot.press("ctrl+t")
        await wait_for(pilot, lambda: app.state.target is not None, what="the connection")
        look()
        await pilot.press("ctrl+n")
        await wait_step(pilot, app, "3/8")
        await wait_for(pilot, lambda: app.state.plan is not None, what="the dry run")
        look()
        await pilot.press("ctrl+n")
        await wait_step(pilot, app, "4/8")
        look()
        await pilot.press("space", "ctrl+n")
        await wait_step(pilot, app, "5/8")
        screen = app.screen
        assert isinstance(screen, ExecuteScreen)
        await wait_for(pilot, lambda: screen.outcome is not None, what="the migration")
        look()
        await pilot.press("ctrl+n")
        await wait_step(pilot, app, "6/8")
        await wait_for(pilot, lambda: "identical" in status(app, "#spot-status"))
        look()
        await pilot.press("ctrl+n")
        await wait_step(pilot, app, "7/8")
        await wait_for(pilot, lambda: "same rows" in status(app, "#guard"))
        look()
        await pilot.press("ctrl+a")
        await wait_for(pilot, lambda: app.state.backup_path is not None, what="the switch")
        look()
        await pilot.press("ctrl+n")
        await wait_step(pilot, app, "8/8")
        look()
    assert len(seen) == 18  # nine screens, as text and as SVG
    for where, text in seen:
        assert_clean(text, f"step {where}")
    reports = list((tmp_path / "reports").glob("*.json"))
    assert reports, "no report was saved"
    for path in [*reports, tmp_path / "config.toml", *tmp_path.glob("config.toml.*.bak")]:
        assert_clean(path.read_text(encoding="utf-8"), str(path.name))


def test_no_snapshot_holds_the_password() -> None:
    """The committed SVG snapshots hold no form of the canary."""
    files = list(SNAPSHOTS.rglob("*.svg"))
    assert files
    for path in files:
        assert_clean(path.read_text(encoding="utf-8"), str(path.name))


async def test_password_typed_into_the_dsn_is_never_drawn(
    wizard: Callable[..., WizardApp], target_db: TargetDb
) -> None:
    """Issue 11: typed key by key (no paste), the password is masked from the first key."""
    app = wizard()
    async with app.run_test(size=SIZE) as pilot:
        await through_source(pilot, app)
        field = app.screen.query_one("#dsn", Input)
        field.focus()
        field.value = ""
        for key in target_db.url_with_password:
            await pilot.press(key)
            assert_clean(screen_text(app), f"step 2 while typing (at {key!r})")
        assert_clean(app.export_screenshot(), "step 2's SVG")
