"""SVG snapshots of every step (and the dialogs), from fixed data so they never drift.

Nothing here connects to a server: the engine's own dataclasses carry fixed values (no clock,
temp path, port or random database name), and the execute screen gets fixed progress reports
and a frozen clock. Update after checking the report: ``pytest tests/ui --snapshot-update``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.screen import Screen

from app.core.credentials import MemoryStore
from app.ui.app import WizardApp, make_app
from app.ui.dialogs.confirm import ConfirmDialog
from app.ui.messages import MigrationProgress, SwitchPreviewed
from app.ui.screens.confirm import ConfirmScreen
from app.ui.screens.done import DoneScreen
from app.ui.screens.dry_run import DryRunScreen
from app.ui.screens.execute import ExecuteScreen
from app.ui.screens.switch import SwitchScreen
from app.ui.screens.verify import VerifyScreen
from app.ui.widgets.status_line import StatusLine
from tests.ui import fixed_data
from tests.ui.helpers import screen_text, wait_for, write_config

Snap = Callable[..., bool]
SNAP = (80, 24)  # the smallest supported terminal: every step must read at this size
RunBefore = Callable[[Pilot[int]], Awaitable[None]]


class FrozenClock:
    """A clock the test moves by hand."""

    def __init__(self, now: float = 100.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def snap_app(
    tmp_path: Path, sample_db: Path, monkeypatch: pytest.MonkeyPatch
) -> Callable[..., WizardApp]:
    """An app run from ``tmp_path`` with relative paths, so no temp path is rendered."""
    monkeypatch.chdir(tmp_path)
    write_config(tmp_path, "session_data.sqlite", "reports")

    def build(**options: Any) -> WizardApp:
        return make_app(
            config_path=Path("config.toml"),
            credential_store=MemoryStore(),
            source_path=Path("session_data.sqlite"),
            reports_dir=Path("reports"),
            pgpass_path=Path("pgpass"),
            **options,
        )

    return build


async def settle(pilot: Pilot[int]) -> None:
    """Wait until the footer shows its keys, then a little more.

    The footer recomposes its keys after a screen is pushed; on a busy machine a fixed pause
    was not always enough (CI once saved a dialog snapshot with an empty footer).
    """
    await wait_for(pilot, lambda: "^q Quit" in screen_text(pilot.app), what="the footer keys")
    await pilot.pause(0.1)


def show(
    screen_factory: Callable[[WizardApp], Screen[Any]],
    prepare: Callable[[WizardApp], None] | None = None,
) -> RunBefore:
    """A run_before that sets fixed state, pushes a screen and lets it settle."""

    async def run_before(pilot: Pilot[int]) -> None:
        app = pilot.app
        assert isinstance(app, WizardApp)
        await wait_for(pilot, lambda: app.state.source is not None, what="step 1")
        app.state.source = fixed_data.source()
        app.state.target = fixed_data.TARGET
        app.state.server_version = "18.6"
        if prepare:
            prepare(app)
        await app.push_screen(screen_factory(app))
        await settle(pilot)

    return run_before


def test_source(snap_compare: Snap, snap_app: Callable[..., WizardApp]) -> None:
    """Step 1: the file's tables and version."""

    async def run_before(pilot: Pilot[int]) -> None:
        app = pilot.app
        assert isinstance(app, WizardApp)
        await wait_for(pilot, lambda: app.state.source is not None, what="step 1")
        await settle(pilot)

    assert snap_compare(snap_app(), run_before=run_before, terminal_size=SNAP)


def test_target_unreachable(snap_compare: Snap, snap_app: Callable[..., WizardApp]) -> None:
    """Step 2: the fields filled from a DSN, the masked password, and a plain reason."""

    async def run_before(pilot: Pilot[int]) -> None:
        app = pilot.app
        assert isinstance(app, WizardApp)
        await wait_for(pilot, lambda: app.state.source is not None, what="step 1")
        await pilot.press("ctrl+n")
        await wait_for(pilot, lambda: str(app.screen.sub_title).startswith("2/8"))
        await pilot.press("ctrl+t")
        await wait_for(
            pilot,
            lambda: app.screen.query_one("#target-status", StatusLine).severity == "error",
            what="the error",
        )
        app.screen.set_focus(None)
        await settle(pilot)

    app = snap_app(
        dsn="postgresql://alice@127.0.0.1:1/ai_log_trail?sslmode=prefer", password="hunter2"
    )
    assert snap_compare(app, run_before=run_before, terminal_size=SNAP)


def test_dry_run(snap_compare: Snap, snap_app: Callable[..., WizardApp]) -> None:
    """Step 3: side by side, all tables to be created."""
    run_before = show(lambda app: DryRunScreen(fixed_data.plan()))
    assert snap_compare(snap_app(), run_before=run_before, terminal_size=SNAP)


def test_dry_run_not_empty(snap_compare: Snap, snap_app: Callable[..., WizardApp]) -> None:
    """Step 3 at 80x24: a target that already holds rows, values that need a repair; the two
    ways out and the repair box are visible without scrolling."""
    run_before = show(lambda app: DryRunScreen(fixed_data.plan(not_empty=True)))
    assert snap_compare(snap_app(), run_before=run_before, terminal_size=SNAP)


def test_dry_run_bring_up_to_date(snap_compare: Snap, snap_app: Callable[..., WizardApp]) -> None:
    """Step 3 at 80x24: the target holds an earlier migration of the file, so a third way out,
    "Bring it up to date", offers the rows to insert, update and delete (sync's dry run)."""
    from app.core.sync import SyncPlan
    from app.core.sync_diff import TableChanges

    def screen(app: WizardApp) -> DryRunScreen:
        plan = fixed_data.plan(not_empty=True)
        changes = {t.name: TableChanges(t.name) for t in plan.tables}
        changes["files"] = TableChanges("files", inserts=[11, 12], updates=[3])
        changes["prompts"] = TableChanges("prompts", inserts=list(range(60, 80)), deletes=[7])
        return DryRunScreen(plan, SyncPlan(plan, changes))

    assert snap_compare(snap_app(), run_before=show(screen), terminal_size=SNAP)


def test_dry_run_lossy_and_objects(snap_compare: Snap, snap_app: Callable[..., WizardApp]) -> None:
    """Step 3 at 80x24: values an existing column would change (widen or accept, one or the
    other) and the schema objects not migrated as they are."""
    run_before = show(lambda app: DryRunScreen(fixed_data.lossy_plan()))
    assert snap_compare(snap_app(), run_before=run_before, terminal_size=SNAP)


def test_dry_run_80x24_light(snap_compare: Snap, snap_app: Callable[..., WizardApp]) -> None:
    """Step 3 at the smallest supported size, in the light theme."""

    def light(app: WizardApp) -> None:
        app.theme = "textual-light"

    run_before = show(lambda app: DryRunScreen(fixed_data.plan()), light)
    assert snap_compare(snap_app(), run_before=run_before, terminal_size=SNAP)


def test_clear_dialog(snap_compare: Snap, snap_app: Callable[..., WizardApp]) -> None:
    """The confirmation in front of "Clear the target", at 80x24 with all ten tables: the text
    scrolls, the buttons stay on screen."""
    lines = [
        "This deletes 2,459 rows from alice@db.example.com:5432/ai_log_trail,",
        "in one transaction:",
        "",
        *(f"TRUNCATE {name}  ({rows:,} rows)" for name, rows in fixed_data.ROWS.items()),
        "",
        "Your SQLite file is not touched.",
    ]

    async def run_before(pilot: Pilot[int]) -> None:
        await show(lambda app: DryRunScreen(fixed_data.plan(not_empty=True)))(pilot)
        await pilot.app.push_screen(
            ConfirmDialog(
                "Clear the target?", lines, yes="Clear the target", no="Keep it", danger=True
            )
        )
        await settle(pilot)

    assert snap_compare(snap_app(), run_before=run_before, terminal_size=SNAP)


def test_confirm(snap_compare: Snap, snap_app: Callable[..., WizardApp]) -> None:
    """Step 4: the summary, Start disabled until the box is ticked."""

    def prepare(app: WizardApp) -> None:
        app.state.plan = fixed_data.plan()

    run_before = show(lambda app: ConfirmScreen(), prepare)
    assert snap_compare(snap_app(), run_before=run_before, terminal_size=SNAP)


def test_execute_mid_progress(snap_compare: Snap, snap_app: Callable[..., WizardApp]) -> None:
    """Step 5 mid-copy: fixed progress reports against a frozen clock."""
    clock = FrozenClock(100.0)

    def prepare(app: WizardApp) -> None:
        app.state.plan = fixed_data.plan()

    async def run_before(pilot: Pilot[int]) -> None:
        await show(lambda app: ExecuteScreen(autostart=False), prepare)(pilot)
        screen = pilot.app.screen
        reports = [
            ("files", 20, 100.1),
            ("sessions", 20, 100.2),
            ("prompts", 107, 100.4),
            ("redactions", 5, 100.5),
            ("token_messages", 300, 101.0),
        ]
        assert isinstance(screen, ExecuteScreen)
        screen.running = True  # as if the worker ran: Back blocked, escape cancels
        screen.allow_back(False)
        for table, done, at in reports:
            total = fixed_data.ROWS[table]
            screen.post_message(MigrationProgress(table, done, total, at, at - 0.1))
            await pilot.pause()
        clock.now = 101.5
        screen.query_one("#phase", StatusLine).show("Copying token_messages…", "info")
        screen.post_message(MigrationProgress("token_messages", 300, 455, 101.5, 100.9))
        await settle(pilot)

    assert snap_compare(snap_app(clock=clock), run_before=run_before, terminal_size=SNAP)


def test_verify(snap_compare: Snap, snap_app: Callable[..., WizardApp]) -> None:
    """Step 6 at 80x24: per-table checks, the spot check's cells, the highlighted one whole."""

    def prepare(app: WizardApp) -> None:
        app.state.result = fixed_data.result()

    run_before = show(lambda app: VerifyScreen(fixed_data.samples()), prepare)
    assert snap_compare(snap_app(), run_before=run_before, terminal_size=SNAP)


def test_switch(snap_compare: Snap, snap_app: Callable[..., WizardApp]) -> None:
    """Step 7 at 80x24: the diff of the config change (a wrapped DSN line stays under its
    marker, the checkbox label is whole)."""

    def preview(app: WizardApp) -> Screen[Any]:
        return SwitchScreen(SwitchPreviewed(fixed_data.switch_plan(Path("config.toml")), []))

    run_before = show(preview)
    assert snap_compare(snap_app(), run_before=run_before, terminal_size=SNAP)


def test_done(snap_compare: Snap, snap_app: Callable[..., WizardApp]) -> None:
    """Step 8: the summary and the next steps."""

    def prepare(app: WizardApp) -> None:
        app.state.result = fixed_data.result()
        app.state.report_path = Path("reports/ailt-migrate-20250101-120000.json")
        app.state.backup_path = Path("config.toml.20250101-120000.bak")

    run_before = show(lambda app: DoneScreen(), prepare)
    assert snap_compare(snap_app(), run_before=run_before, terminal_size=SNAP)
