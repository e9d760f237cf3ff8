"""Step 3: the dry run. Both sides side by side, what will be created, what cannot be copied
as it is, and the ways out when the target is not empty: clear it, choose another database, or,
when it holds an earlier migration of this file, bring it up to date (sync). Nothing is written
here except by "Clear the target", which asks first."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, DataTable, Label, Static
from textual.worker import get_current_worker

from app.core.credentials import lookup_for_connect
from app.core.dsn import Target, parse_dsn
from app.core.errors import Cancelled, MigrateError
from app.core.migrate import Options, check_executable, dry_run
from app.core.plan import NOT_EMPTY, PROBLEM, Plan
from app.core.rollback import ClearPlan, clear, plan_clear
from app.core.sync import SyncPlan, plan_sync
from app.ui import formatting
from app.ui.dialogs.confirm import ConfirmDialog
from app.ui.jobs import describe
from app.ui.messages import (
    ClearPlanned,
    DryRunFinished,
    PhaseChanged,
    SyncPlanned,
    TargetCleared,
)
from app.ui.screens.base import WizardScreen
from app.ui.widgets import cells
from app.ui.widgets.repair_choices import RepairChoices, fixable_counts
from app.ui.widgets.status_line import StatusLine

SHORT_REASONS = {  # the Why column at 80 columns; the whole reason shows below the table
    "nul": "NUL character",
    "utf8": "not UTF-8",
    "type": "wrong type",
    "range": "out of range",
    "blob": "binary in text",
    "timestamp": "not a timestamp",
    "orphan": "no parent row",
    "collision": "duplicate key",
    "lossy": "would change",
}
VERDICT_STYLES = {"refused": "bold red", "not migrated": "yellow", "translated": "cyan"}
STATUS_STYLES = {
    NOT_EMPTY: "bold yellow",
    PROBLEM: "bold red",
    "will be created": "cyan",
    "ready": "green",
}
MAX_PROBLEMS_SHOWN = 200
DETAIL_CHARS = 20  # the objects table's Detail column, so the table fits 80 columns
NAME_CHARS = 30  # and its Name column (the whole name shows below the table)
CANCELLED = "Dry run cancelled: nothing was written. ctrl+r runs it again; esc goes back."


def _cut(text: str, width: int) -> str:
    """One line of at most ``width`` characters (the whole text shows below the table)."""
    return text if len(text) <= width else text[: width - 1] + "…"


def _not_ready(plan: Plan, repairs: frozenset[str], refusal: MigrateError) -> str:
    """Why Next is off, short when the details are on screen (the engine's sentence is for the
    command line: it names flags where the wizard has buttons and checkboxes)."""
    if plan.holding_rows:
        return (
            "Not ready: the target must be empty, or brought up to date (see the ways out below)."
        )
    bad = plan.unrepaired(repairs)
    if bad and not plan.schema.refused and not plan.schema_problems:
        fixable = any(p.repair for p in bad)
        how = "tick a repair below or fix" if fixable else "fix"
        them = "it" if len(bad) == 1 else "them"
        return f"Not ready: {formatting.as_they_are(len(bad))}: {how} {them} in the SQLite file."
    return str(refusal)


class DryRunScreen(WizardScreen):
    """Runs the dry run on arrival (and again after the target changed)."""

    STEP = 3
    STEP_NAME = "Dry run"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel dry run"),
        Binding("escape", "back", "Back"),
        Binding("ctrl+n", "next", "Next: confirm"),
        Binding("ctrl+r", "rerun", "Run again"),
    ]

    def __init__(self, plan: Plan | None = None, sync: SyncPlan | None = None) -> None:
        super().__init__()
        self._given = plan
        self._given_sync = sync  # with a given plan: sync's verdict, not looked up (snapshots)
        self._sync: SyncPlan | None = None
        self._up_to_date = False  # sync found nothing to do: the button leads to step 7
        self._generation = -1
        self._dry_running = False
        self._cancel = threading.Event()
        self._summary = ""

    def compose_body(self) -> ComposeResult:
        """Status and what needs a decision first (visible at 80x24), then the details."""
        yield StatusLine(id="dry-status")
        yield StatusLine(id="blocker")
        with Vertical(id="not-empty", classes="callout"):
            yield Static("", id="not-empty-text", markup=False)
            with Horizontal(classes="row buttons"):
                yield Button("Clear the target…", id="clear", compact=True, variant="warning")
                yield Button("Choose another database…", id="other-db", compact=True)
                yield Button("Bring it up to date", id="sync", compact=True, variant="primary")
            yield StatusLine(id="sync-status")
        with Vertical(id="problems", classes="callout"):
            yield Label("", id="problems-title", markup=False)
            problems: DataTable[object] = DataTable(id="problem-table", cursor_type="row")
            for label in ("Table", "Row id", "Column", "Why"):
                problems.add_column(label)
            yield problems
            yield Static("", id="problem-detail", classes="detail", markup=False)
            yield Vertical(id="repairs")
        with Vertical(id="objects", classes="callout"):
            yield Label("", id="objects-title", markup=False)
            objects: DataTable[object] = DataTable(id="object-table", cursor_type="row")
            for label in ("Kind", "Name", "Verdict", "Detail"):
                objects.add_column(label)
            yield objects
            yield Static("", id="object-detail", classes="detail", markup=False)
        table: DataTable[object] = DataTable(id="plan", cursor_type="row")
        for label, key in (
            ("Table", "table"),
            ("SQLite rows", "sqlite"),
            ("Postgres rows", "postgres"),
            ("Status", "status"),
        ):
            table.add_column(label, key=key)
        yield table
        yield Static("", id="created", markup=False)
        yield Static("", id="warnings", markup=False)

    def on_mount(self) -> None:
        """Show the given plan, or run the dry run."""
        for widget_id in ("#not-empty", "#problems", "#objects", "#plan", "#created", "#warnings"):
            self.query_one(widget_id).display = False
        if self._given is not None:
            self._generation = self.wizard.state.target_generation
            self._show(self._given)
        else:
            self.action_rerun()

    def on_screen_resume(self) -> None:
        """Coming back after the target changed (cleared, migrated): look again."""
        if self._generation not in (-1, self.wizard.state.target_generation):
            self.action_rerun()

    # --- the dry run --------------------------------------------------------------------------

    def action_rerun(self) -> None:
        """Run the dry run (again)."""
        state = self.wizard.state
        if self._dry_running:
            return
        if state.source is None or state.target is None:
            self.query_one("#dry-status", StatusLine).show(
                "Go back and choose the file and a tested connection first.", "error"
            )
            return
        self._dry_running = True
        self._cancel.clear()
        self.allow_back(False)  # esc cancels meanwhile: leaving would strand a scan
        self._generation = state.target_generation
        state.plan = None
        self.allow_next(False)
        self.query_one("#dry-status", StatusLine).show("Starting the dry run…", "busy")
        self._dry_run(state.source.path, state.target)

    @work(thread=True, exit_on_error=False, group="dry-run", exclusive=True)
    def _dry_run(self, path: Path, target: Target) -> None:
        worker = get_current_worker()
        message = DryRunFinished(error="The dry run stopped unexpectedly.")
        try:
            options = Options(
                batch_size=self.wizard.deps.batch_size,
                keyring_lookup=lookup_for_connect(self.wizard.deps.credential_store),
            )
            plan = dry_run(
                path,
                target,
                options,
                on_phase=self._post_phase,
                is_cancelled=lambda: worker.is_cancelled or self._cancel.is_set(),
            )
            message = DryRunFinished(plan)
        except Cancelled:
            message = DryRunFinished(error=CANCELLED, cancelled=True)
        except Exception as exc:
            message = DryRunFinished(error=describe(exc, target.secrets()))
        finally:
            self.post_message(message)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """While the dry run runs, escape cancels it; otherwise it goes back."""
        if action == "cancel":
            return self._dry_running
        if action == "back" and self._dry_running:
            return False
        return super().check_action(action, parameters)

    def action_cancel(self) -> None:
        """Stop the dry run (SQLite's statement is interrupted within milliseconds)."""
        if self._dry_running:
            self._cancel.set()
            self.query_one("#dry-status", StatusLine).show("Cancelling the dry run…", "busy")

    def _post_phase(self, phase: str) -> None:
        self.post_message(PhaseChanged(phase))

    @on(PhaseChanged)
    def _phase(self, message: PhaseChanged) -> None:
        if self._dry_running and not self._cancel.is_set():
            self.query_one("#dry-status", StatusLine).show(
                message.phase + "… (esc cancels)", "busy"
            )

    @on(DryRunFinished)
    def _finished(self, message: DryRunFinished) -> None:
        self._dry_running = False
        self.allow_back(True)
        if message.plan is None:
            error = message.error or "The dry run failed."
            severity = "warning" if message.cancelled else "error"
            self.query_one("#dry-status", StatusLine).show(error, severity)
            return
        self._show(message.plan)

    # --- showing the plan ---------------------------------------------------------------------

    def _show(self, plan: Plan) -> None:
        self.wizard.state.plan = plan
        self.wizard.state.server_version = plan.server_version
        created = plan.created
        summary = (
            f"PostgreSQL {plan.server_version} · {formatting.count(plan.total_source_rows)}"
            f" rows in {len(plan.tables)} tables · {len(created)} to be created"
        )
        self._summary = summary
        self._fill_table(plan)
        created_note = self.query_one("#created", Static)
        created_note.display = bool(created)
        created_note.update("Will be created: " + ", ".join(created))
        warnings = self.query_one("#warnings", Static)
        warnings.display = bool(plan.warnings)
        warnings.update(Text("\n".join("! " + w for w in plan.warnings), style="yellow"))
        self._show_not_empty(plan)
        self._show_problems(plan)
        self._show_objects(plan)
        self._check()

    def _fill_table(self, plan: Plan) -> None:
        table = self.query_one("#plan", DataTable)
        table.display = True
        table.clear()
        for t in plan.tables:
            table.add_row(
                cells.text(t.name),
                cells.number(t.source_rows),
                cells.number(t.target_rows if t.exists else None),
                cells.text(t.status, STATUS_STYLES.get(t.status, "")),
                key=t.name,
            )
        target_total = sum(t.target_rows for t in plan.tables)
        table.add_row(
            cells.text("total", "bold"),
            cells.number(plan.total_source_rows, "bold"),
            cells.number(target_total, "bold"),
            cells.text(""),
            key="__total__",
        )

    def _show_not_empty(self, plan: Plan) -> None:
        box = self.query_one("#not-empty")
        box.display = bool(plan.not_empty)
        self.wizard.state.sync = None
        self.query_one("#sync", Button).display = False
        self._up_to_date = False
        self.query_one("#sync-status", StatusLine).clear()
        if not plan.not_empty:
            return
        tables = ", ".join(f"{t.name} ({formatting.count(t.target_rows)})" for t in plan.not_empty)
        self.query_one("#not-empty-text", Static).update(
            Text(
                f"The target is not empty: {tables}. The migration needs empty tables. "
                "Clear the target (your SQLite file is not touched), or choose another database; "
                "when it holds an earlier migration of this file, bring it up to date instead.",
                style="yellow",
            )
        )
        if self._given is plan:
            if self._given_sync is not None:
                self._sync_planned(SyncPlanned(self._given_sync))
            return
        self._look_for_earlier_migration(plan)

    def _show_problems(self, plan: Plan) -> None:
        box = self.query_one("#problems")
        box.display = bool(plan.problems)
        if not plan.problems:
            return
        self.query_one("#problems-title", Label).update(
            formatting.as_they_are(len(plan.problems))
            + (
                f" (the first {MAX_PROBLEMS_SHOWN} listed):"
                if len(plan.problems) > MAX_PROBLEMS_SHOWN
                else ":"
            )
        )
        table = self.query_one("#problem-table", DataTable)
        table.clear()
        for i, p in enumerate(plan.problems[:MAX_PROBLEMS_SHOWN]):
            table.add_row(
                cells.text(p.table),
                cells.key(p.id),
                cells.text(p.column),
                cells.text(SHORT_REASONS.get(p.code, p.code)),
                key=str(i),
            )
        self._problem_detail(0)
        repairs = self.query_one("#repairs", Vertical)
        repairs.remove_children()
        counts = fixable_counts(plan.problems)
        if counts:
            choices = RepairChoices(counts, self.wizard.state.repairs)
            self.wizard.state.repairs = choices.chosen  # only what this plan offers
            repairs.mount(choices)

    @on(DataTable.RowHighlighted, "#problem-table")
    def _problem_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._problem_detail(event.cursor_row)

    def _problem_detail(self, index: int) -> None:
        """The highlighted value's whole reason (the Why column is short at 80 columns)."""
        plan = self.wizard.state.plan
        if plan is None or not 0 <= index < len(plan.problems):
            return
        p = plan.problems[index]
        self.query_one("#problem-detail", Static).update(
            f"{p.table} id {p.id} · {p.column}: {p.reason}"
        )

    def _show_objects(self, plan: Plan) -> None:
        """Schema objects not migrated as they are (issue 9): translated, dropped, refused."""
        objects = plan.schema.not_as_is
        box = self.query_one("#objects")
        # A target holding rows is cleared or brought up to date first: run creates nothing
        # there, so the list would only crowd out the ways forward (it shows after a clear).
        box.display = bool(objects) and not plan.holding_rows
        if not box.display:
            return
        self.query_one("#objects-title", Label).update(
            f"{len(objects)} schema object{'s' if len(objects) != 1 else ''} not migrated as "
            + ("it is:" if len(objects) == 1 else "they are:")
        )
        table = self.query_one("#object-table", DataTable)
        table.clear()
        for i, o in enumerate(objects):
            style = VERDICT_STYLES.get(o.verdict, "")
            table.add_row(
                cells.text(o.kind),
                cells.text(_cut(o.name, NAME_CHARS)),
                cells.text(o.verdict, style),
                cells.text(_cut(o.detail or o.postgres or "", DETAIL_CHARS)),
                key=str(i),
            )
        self._object_detail(0)

    @on(DataTable.RowHighlighted, "#object-table")
    def _object_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._object_detail(event.cursor_row)

    def _object_detail(self, index: int) -> None:
        plan = self.wizard.state.plan
        objects = plan.schema.not_as_is if plan else []
        if 0 <= index < len(objects):
            self.query_one("#object-detail", Static).update(objects[index].line)

    @on(RepairChoices.Changed)
    def _repairs_changed(self, event: RepairChoices.Changed) -> None:
        self.wizard.state.repairs = event.repairs
        self._check()

    def _check(self) -> None:
        """Allow Next only when execute would not refuse; otherwise say why."""
        plan = self.wizard.state.plan
        blocker = self.query_one("#blocker", StatusLine)
        if plan is None:
            return
        try:
            check_executable(plan, self.wizard.state.repairs)
        except MigrateError as exc:
            blocker.show(_not_ready(plan, self.wizard.state.repairs, exc), "error")
            self._summary_shown("warning")  # no green tick above "Not ready"
            self.allow_next(False)
            return
        blocker.clear()
        self._summary_shown("ok")
        self.allow_next(True)

    def _summary_shown(self, severity: str) -> None:
        self.query_one("#dry-status", StatusLine).show(self._summary, severity)

    # --- the ways out -------------------------------------------------------------------------

    def _look_for_earlier_migration(self, plan: Plan) -> None:
        """Does the target hold an earlier migration of this file? Sync's dry run says."""
        target = self.wizard.state.target
        if target is None:
            return
        self.query_one("#sync-status", StatusLine).show(
            "Comparing the target with the file row by row…", "busy"
        )
        self._plan_sync(plan.source.path, target)

    @work(thread=True, exit_on_error=False, group="sync-plan", exclusive=True)
    def _plan_sync(self, path: Path, target: Target) -> None:
        message = SyncPlanned()
        try:
            options = Options(
                batch_size=self.wizard.deps.batch_size,
                keyring_lookup=lookup_for_connect(self.wizard.deps.credential_store),
            )
            message = SyncPlanned(plan_sync(path, target, options))
        except Exception as exc:
            message = SyncPlanned(error=describe(exc, target.secrets()))
        finally:
            self.post_message(message)

    @on(SyncPlanned)
    def _sync_planned(self, message: SyncPlanned) -> None:
        line = self.query_one("#sync-status", StatusLine)
        sync = message.sync
        if sync is None:
            line.show(message.error or "The target could not be compared with the file.", "error")
            return
        if sync.refusals:
            line.show("It cannot be brought up to date: " + sync.refusals[0], "warning")
            return
        if sync.up_to_date:
            line.show(
                "The target already holds exactly this file's rows (every row compared): "
                "nothing to migrate or bring up to date; switch AI Log Trail over next.",
                "ok",
            )
            self.query_one("#blocker", StatusLine).show(
                "Nothing to do here: the target matches the file.", "ok"
            )
            button = self.query_one("#sync", Button)
            button.label = "Go to the switch step…"
            button.display = True
            self._up_to_date = True
            return
        t = sync.totals
        line.show(
            "It holds an earlier migration of this file. Bring it up to date: "
            f"{formatting.count(t['insert'])} to insert, {formatting.count(t['update'])} to "
            f"update, {formatting.count(t['delete'])} to delete, in one verified transaction.",
            "info",
        )
        button = self.query_one("#sync", Button)
        button.label = "Bring it up to date…"  # the counts are on the line below (80 columns)
        button.display = True
        self._sync = sync

    @on(Button.Pressed, "#sync")
    def _sync_pressed(self) -> None:
        """The third way out: confirm, execute and verify a sync instead of a migration (or,
        when the target already matches the file, straight on to the switch)."""
        if self._up_to_date:
            from app.ui.screens.switch import SwitchScreen  # switch.py imports this module

            self.app.push_screen(SwitchScreen())
            return
        if self._sync is None:
            return
        self.wizard.state.sync = self._sync
        self.wizard.advance(self.STEP)

    @on(Button.Pressed, "#other-db")
    def _other_db(self) -> None:
        self.app.push_screen(
            ConfirmDialog(
                "Choose another database?",
                [
                    "Go back to step 2 and enter another (empty) database.",
                    "Nothing is changed on this one.",
                ],
                yes="Choose another database",
                no="Stay here",
            ),
            self._other_db_answer,
        )

    def _other_db_answer(self, yes: bool | None) -> None:
        if yes:
            self.app.pop_screen()

    @on(Button.Pressed, "#clear")
    def _clear_pressed(self) -> None:
        state = self.wizard.state
        if state.target is None or state.plan is None:
            return
        self.query_one("#dry-status", StatusLine).show("Looking at what to clear…", "busy")
        extra = tuple(t.name for t in state.plan.tables if not t.known)
        self._plan_clear(state.target, extra)

    @work(thread=True, exit_on_error=False, group="clear", exclusive=True)
    def _plan_clear(self, target: Target, extra: tuple[str, ...]) -> None:
        message = ClearPlanned()
        try:
            lookup = lookup_for_connect(self.wizard.deps.credential_store)
            message = ClearPlanned(plan_clear(target, extra_tables=extra, keyring_lookup=lookup))
        except Exception as exc:
            message = ClearPlanned(error=describe(exc, target.secrets()))
        finally:
            self.post_message(message)

    @on(ClearPlanned)
    def _clear_planned(self, message: ClearPlanned) -> None:
        status = self.query_one("#dry-status", StatusLine)
        plan = message.plan
        if plan is None:
            status.show(message.error or "The target could not be read.", "error")
            return
        status.show("Waiting for your answer…", "info")
        rows = sum(n for _, n in plan.tables)
        lines = [
            f"This deletes {formatting.count(rows)} rows from {plan.target.key},",
            "in one transaction:",
        ]
        if self._ai_log_trail_writes_to(plan.target):  # first: a long list would hide it
            lines += [
                "AI Log Trail's config points at this database: rows it wrote",
                "only here (not in SQLite) are deleted too.",
            ]
        lines += ["", *plan.describe(), "", "Your SQLite file is not touched."]
        self.app.push_screen(
            ConfirmDialog(
                "Clear the target?", lines, yes="Clear the target", no="Keep it", danger=True
            ),
            lambda yes: self._clear_answer(plan, yes),
        )

    def _ai_log_trail_writes_to(self, target: Target) -> bool:
        """Whether AI Log Trail was switched to this database (in this wizard or before)."""
        if self.wizard.state.switched_to == "postgres":
            return True
        config = self.wizard.config
        if config is None or config.backend != "postgres" or not config.postgres_dsn:
            return False
        try:
            return parse_dsn(config.postgres_dsn).key == target.key
        except MigrateError:
            return False

    def _clear_answer(self, plan: ClearPlan, yes: bool | None) -> None:
        if not yes:
            self.query_one("#dry-status", StatusLine).show("The target was left as it is.")
            return
        self.query_one("#dry-status", StatusLine).show("Clearing the target…", "busy")
        self._clear(plan)

    @work(thread=True, exit_on_error=False, group="clear", exclusive=True)
    def _clear(self, plan: ClearPlan) -> None:
        error: str | None = None
        try:
            clear(plan, lookup_for_connect(self.wizard.deps.credential_store))
        except Exception as exc:
            error = describe(exc, plan.target.secrets())
        finally:
            self.post_message(TargetCleared(error))

    @on(TargetCleared)
    def _cleared(self, message: TargetCleared) -> None:
        if message.error:
            self.query_one("#dry-status", StatusLine).show(message.error, "error")
            return
        self.wizard.state.target_generation += 1
        self.notify("The target was cleared.", timeout=4)
        self.action_rerun()

    def action_next(self) -> None:
        """On to the summary."""
        self.wizard.advance(self.STEP)
