"""Step 8: what happened, where the report is, and what to do next, in plain words."""

from __future__ import annotations

from typing import ClassVar

from rich.table import Table
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.widgets import Button, Static

from app.core.advice import rollback_command, sync_command
from app.core.sync import SyncResult
from app.ui import formatting
from app.ui.screens.base import WizardScreen
from app.ui.state import WizardState
from app.ui.widgets.status_line import StatusLine


def summary(state: WizardState) -> Table:
    """Rows, time, throughput, report and config."""
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold", no_wrap=True)
    grid.add_column(overflow="fold")  # a long report path wraps instead of being cut
    result = state.result
    if isinstance(result, SyncResult):
        t = result.sync.totals
        grid.add_row(
            "Synced",
            Text(
                f"{formatting.count(t['insert'])} inserted, {formatting.count(t['update'])} "
                f"updated, {formatting.count(t['delete'])} deleted; all {len(result.checks)} "
                "tables verified in full before the commit"
            ),
        )
        grid.add_row("Time", Text(f"{result.elapsed_s:.1f} s (verify {result.verify_s:.1f} s)"))
    elif result is not None:
        rate = result.rows_copied / result.elapsed_s if result.elapsed_s else None
        grid.add_row(
            "Copied",
            Text(
                f"{formatting.count(result.rows_copied)} rows in "
                f"{len(result.checks)} tables, verified before the commit"
            ),
        )
        grid.add_row(
            "Time",
            Text(
                f"{result.elapsed_s:.1f} s (copy {result.copy_s:.1f} s, "
                f"verify {result.verify_s:.1f} s)"
            ),
        )
        grid.add_row("Speed", Text(formatting.rate(rate).replace("/s", " rows/s")))
    report = formatting.shown_path(state.report_path) if state.report_path else "not saved"
    grid.add_row("Report", Text(report))
    if state.backup_path is not None:
        grid.add_row(
            "Config",
            Text(
                f"switched{' to ' + state.switched_to if state.switched_to else ''}; the old "
                "one is in " + formatting.shown_path(state.backup_path)
            ),
        )
    else:
        grid.add_row("Config", Text("not changed"))
    grid.add_row("Writes to", Text(writes_to(state)))
    return grid


def writes_to(state: WizardState) -> str:
    """Where AI Log Trail writes from now on, plainly."""
    sqlite = formatting.shown_path(state.source.path) if state.source else "the SQLite file"
    if state.switched_to == "postgres" and state.target is not None:
        return f"AI Log Trail now writes to PostgreSQL at {state.target.key}"
    if state.switched_to == "sqlite":
        return f"AI Log Trail writes to the SQLite file {sqlite} again"
    if state.backup_path is not None:
        return "wherever the switched config's backend says"
    return f"AI Log Trail still writes to the SQLite file {sqlite} (config not switched)"


def catch_up(state: WizardState) -> str:
    """How to bring PostgreSQL up to date later, when rows keep arriving in SQLite."""
    if state.source is None or state.target is None:
        return "ailt-migrate sync --execute"
    return sync_command(state.source.path, state.target)


def next_steps(state: WizardState) -> Text:
    """How AI Log Trail finds the password, and how to roll back (naming the exact target)."""
    target = state.target
    key = target.key if target else "the database"
    empty = (
        f"run: {rollback_command(target)}" if target else "run ailt-migrate rollback with its DSN"
    )
    if state.switched_to == "sqlite":
        lines = [
            "• AI Log Trail uses the SQLite file again (the config's backend is sqlite).",
            f"• The copy in {key} stays as it is. To empty it, {empty}",
        ]
    else:
        saved = (
            f" The password is saved in {formatting.shown_path(state.pgpass_path)}."
            if state.pgpass_path
            else " Put the password in one of them."
        )
        lines = [
            f"• Password: AI Log Trail connects to {key} through libpq, which reads "
            f"PGPASSWORD or ~/.pgpass; the config file never holds the password.{saved} The "
            "keyring entry (if saved) is only for ailt-migrate.",
            "• Roll back: the SQLite file was only read, so it is unchanged. To use it again, "
            f"choose Switch backend → SQLite (or restore the backup). To empty PostgreSQL, {empty}",
            "• Check: run a fresh AI Log Trail ingest and look at the summaries.",
            "• Catch up later: if rows keep arriving in the SQLite file (AI Log Trail's ingest "
            f"may still write there), bring PostgreSQL up to date with: {catch_up(state)}",
        ]
    return Text("\n".join(["Next steps", *lines]))


class DoneScreen(WizardScreen):
    """The summary; Switch backend stays reachable from here."""

    STEP = 8
    STEP_NAME = "Done"
    NEXT_LABEL = "Quit"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+n", "next", "Quit"),
        Binding("ctrl+b", "switch", "Switch backend"),
    ]

    def compose_body(self) -> ComposeResult:
        """Verdict, summary, next steps, Switch backend."""
        yield StatusLine(id="done-status")
        yield Static(id="done-summary")
        yield Static(id="next-steps")
        with Horizontal(classes="row buttons"):
            yield Button("Switch backend…", id="switch", compact=True)

    def on_mount(self) -> None:
        """Fill in the summary."""
        self.allow_next(True)
        self._render_summary()

    def on_screen_resume(self) -> None:
        """Back from a second visit to Switch backend: the config line may have changed."""
        self._render_summary()

    def _render_summary(self) -> None:
        state = self.wizard.state
        migrated = state.result is not None and state.result.committed
        self.query_one("#done-status", StatusLine).show(
            "Done: the data is in PostgreSQL and verified."
            if migrated
            else "Nothing was migrated.",
            "ok" if migrated else "warning",
        )
        self.query_one("#done-summary", Static).update(summary(state))
        self.query_one("#next-steps", Static).update(next_steps(state))

    @on(Button.Pressed, "#switch")
    def action_switch(self) -> None:
        """Open Switch backend again (for example to switch back to SQLite)."""
        from app.ui.screens.switch import SwitchScreen

        self.app.push_screen(SwitchScreen(revisit=True))

    def action_next(self) -> None:
        """Quit the wizard."""
        self.app.exit(0)
