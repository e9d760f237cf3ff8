"""Step 5: the migration itself, with live progress; Cancel asks once and rolls back.

The worker belongs to this screen, so Back is blocked while it runs (popping the screen would
cancel it without a word) and quitting asks first. The engine commits only after verifying.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.timer import Timer
from textual.widgets import Button, DataTable, ProgressBar, Static
from textual.worker import get_current_worker

from app.core.credentials import lookup_for_connect
from app.core.dsn import Target
from app.core.errors import Cancelled
from app.core.migrate import Options, Result, execute
from app.core.report import result_to_dict, save_report
from app.core.sync import SyncResult, execute_sync
from app.core.sync_report import sync_result_to_dict
from app.ui import formatting
from app.ui.dialogs.confirm import ConfirmDialog
from app.ui.jobs import ProgressThrottle, describe
from app.ui.messages import MigrationFinished, MigrationProgress, PhaseChanged
from app.ui.progress_model import ProgressModel
from app.ui.screens.base import WizardScreen
from app.ui.widgets import cells
from app.ui.widgets.nav_bar import NavBar
from app.ui.widgets.status_line import StatusLine

REFRESH_S = 0.25
COMMITTED_HINT = "Committed: no way back to the dry run."
UNCHANGED = (
    "The target is unchanged: nothing was committed. Press Back to review the dry run, "
    "fix the cause, and try again."
)


def _sync_outcome(result: SyncResult, confirmed: dict[str, int] | None = None) -> str:
    """What the sync did; ``confirmed``: the totals step 4 showed, when the file has changed
    since (AI Log Trail kept ingesting), so that the user sees the difference."""
    t = result.sync.totals
    if not result.committed:
        return (
            "Committed nothing: the target already holds exactly the file's rows "
            "(every row compared)."
        )
    text = (
        f"Committed: {formatting.count(t['insert'])} inserted, "
        f"{formatting.count(t['update'])} updated, {formatting.count(t['delete'])} deleted; "
        f"every table verified in {result.elapsed_s:.1f} s."
    )
    if confirmed is not None and confirmed != t:
        text += (
            f" The file changed after the dry run (step 4 showed "
            f"{formatting.count(sum(confirmed.values()))} changes): these are its rows now."
        )
    return text


class ExecuteScreen(WizardScreen):
    """Overall bar, per-table rows/rate/elapsed/ETA, and the outcome."""

    STEP = 5
    STEP_NAME = "Execute"
    NEXT_LABEL = "Next: verify"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel"),
        Binding("escape", "back", "Back"),
        Binding("ctrl+n", "next", "Next: verify"),
    ]

    def __init__(self, *, autostart: bool = True) -> None:
        super().__init__()
        self._autostart = autostart
        self._cancel = threading.Event()
        self._asked = False
        self.running = False
        self.outcome: MigrationFinished | None = None
        self._timer: Timer | None = None
        self._question: ConfirmDialog | None = None
        self.model = ProgressModel([], time.monotonic)  # replaced on mount, from the plan

    def compose_body(self) -> ComposeResult:
        """Phase, overall bar, per-table table, outcome."""
        yield StatusLine(id="phase")
        with Horizontal(classes="row"):
            yield ProgressBar(total=None, show_eta=False, id="overall")
            yield Button("Cancel", id="cancel", compact=True, variant="error")
        yield Static("", id="figures", markup=False)
        table: DataTable[object] = DataTable(id="progress", cursor_type="none")
        for label, key in (
            ("Table", "table"),
            ("Done", "done"),
            ("Total", "total"),
            ("Rows/s", "rate"),
            ("Elapsed", "elapsed"),
            ("ETA", "eta"),
            ("", "state"),
        ):
            table.add_column(label, key=key)
        yield table
        yield StatusLine(id="outcome")

    def on_mount(self) -> None:
        """Lay out the tables from the plan and start, unless told not to (snapshots)."""
        plan = self.wizard.state.plan
        tables = [(t.name, t.source_rows) for t in plan.tables] if plan else []
        # A sync reads every row to compare it, then writes only the changed ones: the
        # table counts the comparison (the phase line names the table being written).
        verbs = ("comparing", "compared") if self._sync else ("copying", "copied")
        self.model = ProgressModel(tables, self.wizard.deps.clock, verbs)
        self.query_one("#overall", ProgressBar).update(total=max(self.model.total, 1), progress=0)
        table = self.query_one("#progress", DataTable)
        for name, total in tables:
            table.add_row(
                cells.text(name),
                cells.number(0),
                cells.number(total),
                cells.right("—", width=8),
                cells.right("—", width=7),
                cells.right("—", width=5),
                cells.text("waiting", "dim"),
                key=name,
            )
        self._refresh_figures()
        if self._autostart:
            self.start()

    # --- running ------------------------------------------------------------------------------

    def start(self) -> None:
        """Run the migration in a thread worker owned by this screen."""
        state = self.wizard.state
        if state.plan is None or state.target is None or self.running:
            return
        self.running = True
        self.wizard.migration_running = True
        self.allow_back(False)
        self.query_one("#phase", StatusLine).show("Starting…", "busy")
        self._timer = self.set_interval(REFRESH_S, self._refresh_figures)
        options = Options(
            batch_size=self.wizard.deps.batch_size,
            repairs=state.repairs,
            keyring_lookup=lookup_for_connect(self.wizard.deps.credential_store),
        )
        self._migrate(state.plan.source.path, state.target, options, state.sync is not None)

    @work(thread=True, exit_on_error=False, group="migrate")
    def _migrate(self, path: Path, target: Target, options: Options, sync: bool) -> None:
        worker = get_current_worker()
        message = MigrationFinished(error="The migration stopped unexpectedly.")
        try:
            run = execute_sync if sync else execute
            result = run(
                path,
                target,
                options,
                on_progress=self._progress_callback(self.wizard.deps.throttle_s),
                on_phase=self._post_phase,
                is_cancelled=lambda: worker.is_cancelled or self._cancel.is_set(),
            )
            message = self._saved(result)
        except Cancelled as exc:
            message = MigrationFinished(error=str(exc), cancelled=True)
        except Exception as exc:
            message = MigrationFinished(error=describe(exc, target.secrets()))
        finally:
            self.post_message(message)

    def _progress_callback(self, throttle_s: float) -> Callable[[str, int, int], None]:
        """Batched progress messages; ``throttle_s`` slows the copy down (tests only)."""
        clock = self.wizard.deps.clock
        starts: dict[str, float] = {}

        def post(table: str, done: int, total: int) -> None:
            now = clock()
            started = starts.setdefault(table, now)
            self.post_message(MigrationProgress(table, done, total, now, started))

        send = ProgressThrottle(post)

        def on_progress(table: str, done: int, total: int) -> None:
            send(table, done, total)
            if throttle_s:
                time.sleep(throttle_s)

        return on_progress

    def _post_phase(self, phase: str) -> None:
        self.post_message(PhaseChanged(phase))

    def _saved(self, result: Result | SyncResult) -> MigrationFinished:
        """Save the JSON report (a failure to save does not undo a committed migration)."""
        try:
            data = (
                sync_result_to_dict(result)
                if isinstance(result, SyncResult)
                else result_to_dict(result)
            )
            path = save_report(data, self.wizard.deps.reports_dir)
        except Exception as exc:
            return MigrationFinished(result, report_error=describe(exc))
        return MigrationFinished(result, report_path=path)

    # --- progress -----------------------------------------------------------------------------

    @on(PhaseChanged)
    def _phase(self, message: PhaseChanged) -> None:
        if self.running:
            self.query_one("#phase", StatusLine).show(message.phase + "…", "busy")

    @property
    def _sync(self) -> bool:
        return self.wizard.state.sync is not None

    @on(MigrationProgress)
    def _progress(self, message: MigrationProgress) -> None:
        entry = self.model.tables.get(message.table)
        # A sync's table counts its comparison; the changed rows written after it (fewer) are
        # named by the phase line. The comparison's last word may still come: the real count
        # where its total was a guess.
        finished = self._sync and entry is not None and entry.finished is not None
        if finished and entry is not None and message.done < entry.done:
            return
        self.model.update(message.table, message.done, message.total, message.at, message.started)
        self._refresh_row(message.table)
        self.query_one("#overall", ProgressBar).update(progress=self.model.done)
        self._refresh_figures()

    def _refresh_row(self, name: str) -> None:
        entry = self.model.tables[name]
        table = self.query_one("#progress", DataTable)
        if name not in table.rows:
            return
        style = {"copied": "green", "copying": "bold", "rolled back": "yellow"}.get(
            entry.state, "dim"
        )
        for column, value in (
            ("done", cells.number(entry.done)),
            ("total", cells.number(entry.total)),
            ("rate", cells.right(formatting.rate(self.model.rate(name)))),
            ("elapsed", cells.right(formatting.duration(self.model.elapsed(name)))),
            ("eta", cells.right(formatting.duration(self.model.eta(name)))),
            ("state", cells.text(entry.state, style)),
        ):
            table.update_cell(name, column, value, update_width=True)

    def _refresh_figures(self) -> None:
        m = self.model
        self.query_one("#figures", Static).update(
            f"{formatting.count(m.done)} / {formatting.count(m.total)} rows · "
            f"{formatting.rate(m.rate())} · elapsed {formatting.duration(m.elapsed())} · "
            f"ETA {formatting.duration(m.eta())}"
        )
        for name, entry in m.tables.items():
            if entry.state == "copying":
                self._refresh_row(name)

    # --- the end ------------------------------------------------------------------------------

    @on(MigrationFinished)
    def _finished(self, message: MigrationFinished) -> None:
        self.running = False
        self.wizard.migration_running = False
        self.outcome = message
        self.model.stop()
        if self._timer is not None:
            self._timer.stop()
        self._refresh_figures()
        self.query_one("#cancel", Button).display = False
        self.allow_back(message.result is None)
        if self._question is not None and self.app.screen is self._question:
            self._question.dismiss(False)  # the question came too late: say what happened
            if message.result is not None:
                self.notify(
                    f"The {'sync' if self._sync else 'migration'} finished before it could be "
                    "cancelled.",
                    severity="warning",
                    timeout=6,
                )
        if message.result is not None:
            self._committed(message)
        else:
            self.model.roll_back()
            for name in self.model.tables:
                self._refresh_row(name)
            self.query_one("#phase", StatusLine).show(
                "Cancelled." if message.cancelled else "Stopped.", "warning"
            )
            text = message.error or f"The {'sync' if self._sync else 'migration'} failed."
            if not message.cancelled:
                text += " " + UNCHANGED
            self.query_one("#outcome", StatusLine).show(
                text, "warning" if message.cancelled else "error"
            )

    def _committed(self, message: MigrationFinished) -> None:
        result = message.result
        assert result is not None
        state = self.wizard.state
        state.result, state.report_path = result, message.report_path
        state.target_generation += 1
        total = max(self.model.total, 1)
        self.query_one("#overall", ProgressBar).update(total=total, progress=total)
        rate = result.rows_copied / result.elapsed_s if result.elapsed_s else None
        self.query_one("#phase", StatusLine).show("Committed.", "ok")
        self.query_one("#outcome", StatusLine).show(
            _sync_outcome(result, state.sync.totals if state.sync else None)
            if isinstance(result, SyncResult)
            else f"Committed: {formatting.count(result.rows_copied)} rows copied and verified "
            f"in {result.elapsed_s:.1f} s ({formatting.rate(rate)}).",
            "ok",
        )
        if message.report_error:
            self.notify(message.report_error, severity="warning", timeout=10)
        # The dry run would now see the migrated rows as a "target not empty" blocker and
        # strand the user there: after a commit the way is forward (Verify shows what was done).
        self.allow_back(False)
        self.query_one(NavBar).hint(COMMITTED_HINT)
        self.allow_next(True)
        self.query_one("#next", Button).focus()

    # --- cancel and back ----------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """While running, escape cancels; afterwards it goes back."""
        if action == "cancel":
            return self.running
        if action == "back":
            return False if self.running else super().check_action(action, parameters)
        return super().check_action(action, parameters)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        """Ask once, then stop at the next batch; the engine rolls back."""
        if not self.running or self._asked:
            return
        self._asked = True
        what = "sync" if self._sync else "migration"
        self._question = ConfirmDialog(
            f"Cancel the {what}?",
            [
                "Nothing has been committed yet.",
                "Cancelling rolls everything back: the target stays unchanged.",
            ],
            yes=f"Cancel {what}",
            no="Keep going",
            danger=True,
        )
        self.app.push_screen(self._question, self._cancel_answer)

    def _cancel_answer(self, yes: bool | None) -> None:
        if not yes:
            self._asked = False
            return
        self._cancel.set()
        if self.running:
            self.query_one("#phase", StatusLine).show("Cancelling: rolling back…", "busy")

    def cancel_now(self) -> None:
        """Cancel without asking (the app is quitting and the user already said yes)."""
        self._cancel.set()

    def action_back(self) -> None:
        """Back to the summary after a failure or a cancel (after a commit Back is off)."""
        if not self.running and self._back_allowed:
            self.app.pop_screen()

    def action_next(self) -> None:
        """On to verification."""
        if self.wizard.state.result is not None:
            self.wizard.advance(self.STEP)
