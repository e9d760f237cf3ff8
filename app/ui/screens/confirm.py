"""Step 4: exactly what will happen (a migration, or bringing the target up to date), and a
deliberate "yes": tick the box, then Start."""

from __future__ import annotations

from typing import ClassVar

from rich.table import Table
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import Checkbox, Static

from app.core.plan import Plan
from app.core.scan import REPAIRS
from app.core.sync import SyncPlan
from app.ui import formatting
from app.ui.screens.base import WizardScreen
from app.ui.widgets.nav_bar import NavBar


def summary(plan: Plan, repairs: frozenset[str]) -> Table:
    """The what/where/how table (the target as ``Target.display``: password masked)."""
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold", no_wrap=True)
    grid.add_column()
    src = plan.source
    grid.add_row(
        "From", Text(f"{src.path.name} ({formatting.size(src.size_bytes)}, {src.version})")
    )
    grid.add_row("To", Text(f"{plan.target.key} (PostgreSQL {plan.server_version})"))
    grid.add_row("", Text(plan.target.display, style="dim"))
    created = len(plan.created)
    grid.add_row(
        "Copy",
        Text(
            f"{formatting.count(plan.total_source_rows)} rows in "
            f"{len(plan.tables)} tables ({created} will be created)"
        ),
    )
    chosen = [REPAIRS[r] for r in sorted(repairs) if r in REPAIRS]
    grid.add_row("Repairs", Text("; ".join(chosen) if chosen else "none"))
    grid.add_row(
        "How",
        Text(
            "One transaction: create the tables, copy every row, compare "
            "counts and checksums of every table, and only then commit."
        ),
    )
    grid.add_row(
        "Safety",
        Text(
            "If anything fails or you cancel, nothing is committed and "
            "the target stays exactly as it is. The SQLite file is only "
            "read."
        ),
    )
    return grid


def sync_summary(sync: SyncPlan) -> Table:
    """What bringing the target up to date will do (the target's password masked)."""
    plan = sync.plan
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold", no_wrap=True)
    grid.add_column()
    src = plan.source
    grid.add_row(
        "From", Text(f"{src.path.name} ({formatting.size(src.size_bytes)}, {src.version})")
    )
    grid.add_row("To", Text(f"{plan.target.key} (PostgreSQL {plan.server_version})"))
    grid.add_row("", Text(plan.target.display, style="dim"))
    t = sync.totals
    changed = [name for name, ch in sync.changes.items() if ch.changed]
    grid.add_row(
        "Bring up to date",
        Text(
            f"{formatting.count(t['insert'])} rows to insert, {formatting.count(t['update'])} "
            f"to update, {formatting.count(t['delete'])} to delete, in {len(changed)} of "
            f"{len(plan.tables)} tables"
        ),
    )
    grid.add_row(
        "How",
        Text(
            "One transaction: apply exactly these changes (deletes first, children before "
            "parents), advance the id sequences, compare counts and checksums of every whole "
            "table, and only then commit."
        ),
    )
    grid.add_row(
        "Safety",
        Text(
            "If anything fails or you cancel, nothing is committed and the target stays "
            "exactly as it is. Rows written in PostgreSQL after a switch are never deleted. "
            "The SQLite file is only read."
        ),
    )
    return grid


class ConfirmScreen(WizardScreen):
    """The summary; Start stays disabled until the box is ticked (a stray Enter does nothing)."""

    STEP = 4
    STEP_NAME = "Confirm"
    NEXT_LABEL = "Start migration"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+n", "next", "Start migration"),
        Binding("ctrl+n", "start_sync", "Start sync"),  # the footer names what starts
    ]

    def compose_body(self) -> ComposeResult:
        """Summary and the consent box."""
        state = self.wizard.state
        plan = state.plan
        if plan is None:
            yield Static("Run the dry run first.", markup=False)
            return
        if state.sync is not None:
            yield Static(sync_summary(state.sync), id="summary")
            yield Checkbox(
                f"Apply {formatting.count(sum(state.sync.totals.values()))} changes to "
                f"{plan.target.dbname}",
                False,
                id="consent",
                compact=True,
            )
            return
        yield Static(summary(plan, state.repairs), id="summary")
        yield Checkbox(
            f"Copy {formatting.count(plan.total_source_rows)} rows into {plan.target.dbname}",
            False,
            id="consent",
            compact=True,
        )

    def on_mount(self) -> None:
        """Focus the box, not the Start button (which says what it starts)."""
        if self.wizard.state.sync is not None:
            self.query_one(NavBar).set_next(label="Start sync")
        for box in self.query("#consent").results(Checkbox):
            box.focus()
            self.query_one(NavBar).hint("Tick the box to enable Start.")

    @on(Checkbox.Changed, "#consent")
    def _consent(self, event: Checkbox.Changed) -> None:
        self.allow_next(event.value)
        self.query_one(NavBar).hint("" if event.value else "Tick the box to enable Start.")

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """One of the two Start keys shows: the migration's or the sync's."""
        syncing = self.wizard.state.sync is not None
        if action == "next" and syncing:
            return False
        if action == "start_sync":
            return super().check_action("next", parameters) if syncing else False
        return super().check_action(action, parameters)

    def action_next(self) -> None:
        """Start: the execute screen runs the migration (or the sync)."""
        self.wizard.advance(self.STEP)

    def action_start_sync(self) -> None:
        """Start the sync (ctrl+n when bringing the target up to date)."""
        self.action_next()
