"""Step 7 (optional): point AI Log Trail's ``user/config.toml`` at PostgreSQL, or back at
SQLite. The change is shown as a diff first; applying keeps a timestamped backup."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.widgets import Button, Checkbox, Label, RadioButton, RadioSet, Static

from app.core.config import create_from_example
from app.core.credentials import lookup_for_connect
from app.core.dsn import Target, parse_dsn
from app.core.errors import MigrateError
from app.core.pgpass import pgpass_path, write_pgpass
from app.core.switch import Backend, SwitchPlan, apply_switch, preview_switch
from app.ui import formatting
from app.ui.dialogs.confirm import ConfirmDialog
from app.ui.jobs import describe
from app.ui.messages import SwitchApplied, SwitchPreviewed
from app.ui.screens.base import WizardScreen
from app.ui.screens.dry_run import DryRunScreen
from app.ui.widgets.diff_view import DiffView
from app.ui.widgets.nav_bar import NavBar
from app.ui.widgets.status_line import StatusLine


class SwitchScreen(WizardScreen):
    """Choose the backend, read the diff, apply (or skip)."""

    STEP = 7
    STEP_NAME = "Switch backend"
    NEXT_LABEL = "Skip"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+n", "next", "Skip / Next"),
        Binding("ctrl+a", "apply", "Apply"),
    ]

    def __init__(self, preview: SwitchPreviewed | None = None, *, revisit: bool = False) -> None:
        super().__init__()
        self._given = preview
        self._revisit = revisit  # reached again from Done: Next returns there
        self._plan: SwitchPlan | None = None
        self._guard: list[str] = []

    def compose_body(self) -> ComposeResult:
        """Backend choice, config path, guard, diff, apply."""
        target = self._target()
        with Horizontal(classes="row"):
            yield Label("AI Log Trail should use ", classes="inline")
            with RadioSet(id="backend", compact=True):
                yield RadioButton(
                    "PostgreSQL", target is not None, id="to-postgres", disabled=target is None
                )
                yield RadioButton("SQLite", target is None, id="to-sqlite")
        yield Static(
            f"Config file: {formatting.shown_path(self.wizard.deps.config_path)}",
            id="config-path",
            markup=False,
        )
        yield StatusLine(id="guard")
        yield Checkbox(
            "Also save the password for AI Log Trail (libpq's password file)",
            False,
            id="pgpass",
            compact=True,
        )
        yield Static(formatting.shown_path(self._pgpass()), id="pgpass-path", markup=False)
        with Horizontal(classes="row buttons"):
            yield Button("Apply change", id="apply", compact=True, variant="primary")
            yield Button("Create the config from the example", id="create-config", compact=True)
            yield Button("Bring it up to date…", id="resync", compact=True)
        yield StatusLine(id="switch-status")
        yield DiffView(id="diff")

    def _pgpass(self) -> Path:
        return self.wizard.deps.pgpass_path or pgpass_path(self._target())

    def _target(self) -> Target | None:
        """The tested target; before step 2 (Switch backend only, from step 1), the one the
        form, the command line or the config names, so PostgreSQL can be chosen there too."""
        state, deps = self.wizard.state, self.wizard.deps
        if state.target is not None:
            return state.target
        dsn, password = state.target_form or (
            deps.initial_dsn or (self.wizard.config.postgres_dsn if self.wizard.config else ""),
            deps.initial_password or "",
        )
        try:
            target = parse_dsn(dsn or "")
        except MigrateError:
            return None
        return target.with_password(password) if password else target

    def on_mount(self) -> None:
        """Preview the switch to the chosen backend."""
        self.allow_next(True)
        if self._revisit:
            self.query_one(NavBar).set_next(label="Close")
        self.query_one("#create-config").display = False
        self.query_one("#resync").display = False
        if self._given is not None:
            self._previewed(self._given)
        else:
            self._refresh_preview()

    def _backend(self) -> Backend:
        return "postgres" if self.query_one("#to-postgres", RadioButton).value else "sqlite"

    @on(RadioSet.Changed, "#backend")
    def _refresh_preview(self) -> None:
        to = self._backend()
        target = self._target()
        offer = bool(to == "postgres" and target and target.password)
        self.query_one("#pgpass").display = offer
        self.query_one("#pgpass-path").display = offer
        self.query_one("#apply", Button).disabled = True
        self.query_one("#guard", StatusLine).show("Preparing the change…", "busy")
        source = self.wizard.state.source
        self._preview(to, target, source.path if source else self._config_sqlite())

    def _config_sqlite(self) -> Path | None:
        """The SQLite file the config names, when step 1 has not looked at one yet."""
        try:
            from app.core.config import load_config

            path = load_config(self.wizard.deps.config_path).sqlite_path
        except Exception:  # a missing or broken config: the guard then says it could not check
            return None
        return path if path.is_file() else None

    @work(thread=True, exit_on_error=False, group="switch", exclusive=True)
    def _preview(self, to: Backend, target: Target | None, sqlite_path: Path | None) -> None:
        message = SwitchPreviewed()
        try:
            lookup = lookup_for_connect(self.wizard.deps.credential_store)
            preview = preview_switch(self.wizard.deps.config_path, to, target, sqlite_path, lookup)
            guard = list(preview.mismatches)
            can_sync = bool(guard) and preview.sync_command is not None  # every row compared
            if can_sync:
                how = (
                    "“Bring it up to date…” below, or run: "
                    if self._dry_run_screen() is not None
                    else "run: "
                )
                guard.append(
                    f"{formatting.count(preview.differing_rows)} row(s) differ. Bring the target "
                    f"up to date first: {how}{preview.sync_command}"
                )
            message = SwitchPreviewed(
                preview.plan,
                guard,
                checked=preview.checked or to != "postgres",
                can_sync=can_sync,
            )
        except Exception as exc:
            message = SwitchPreviewed(error=describe(exc, target.secrets() if target else []))
        finally:
            self.post_message(message)

    @on(SwitchPreviewed)
    def _previewed(self, message: SwitchPreviewed) -> None:
        guard = self.query_one("#guard", StatusLine)
        missing = not self.wizard.deps.config_path.exists()
        self.query_one("#create-config").display = missing
        self._plan, self._guard = message.plan, message.guard
        self.query_one("#resync").display = message.can_sync and self._dry_run_screen() is not None
        if message.plan is None:
            guard.show(message.error or "The config could not be read.", "error")
            self.query_one(DiffView).show_diff("")
            return
        self.query_one(DiffView).show_diff(message.plan.diff)
        if message.guard:
            guard.show(
                "The target does not hold the file's rows: " + " ".join(message.guard), "warning"
            )
        elif message.plan.to == "postgres" and not message.checked:
            guard.show("Not compared with the SQLite file: choose it in step 1 first.", "warning")
        elif message.plan.to == "postgres":
            guard.show("The target holds the same rows as the SQLite file.", "ok")
        else:
            guard.show("AI Log Trail will read and write the SQLite file again.", "info")
        if not message.plan.changed:
            guard.show(f"The config already uses {message.plan.to}: nothing to change.", "ok")
        self.query_one("#apply", Button).disabled = not message.plan.changed

    def _dry_run_screen(self) -> DryRunScreen | None:
        """Step 3, when this wizard came through it (not with "Switch backend only")."""
        for screen in self.app.screen_stack:
            if isinstance(screen, DryRunScreen):
                return screen
        return None

    @on(Button.Pressed, "#resync")
    def _resync(self) -> None:
        """Back to the dry run, which compares again and offers "Bring it up to date"."""
        dry_run = self._dry_run_screen()
        if dry_run is None:
            return
        while self.app.screen is not dry_run:  # the committed steps have nothing to undo
            self.app.pop_screen()
        dry_run.allow_back(True)
        dry_run.action_rerun()

    @on(Button.Pressed, "#create-config")
    def _create_config(self) -> None:
        try:
            create_from_example(self.wizard.deps.config_path)
        except Exception as exc:
            self.query_one("#switch-status", StatusLine).show(describe(exc), "error")
            return
        self._refresh_preview()

    @on(Button.Pressed, "#apply")
    def action_apply(self) -> None:
        """Apply the previewed change (asking first when the guard found a mismatch)."""
        plan = self._plan
        if plan is None or not plan.changed:
            return
        if self._guard:
            self.app.push_screen(
                ConfirmDialog(
                    "Switch anyway?",
                    [*self._guard, "", "AI Log Trail would not see all of its data."],
                    yes="Switch anyway",
                    no="Don't switch",
                    danger=True,
                ),
                lambda yes: self._apply_now(plan, anyway=True) if yes else None,
            )
        else:
            self._apply_now(plan, anyway=False)

    def _apply_now(self, plan: SwitchPlan, *, anyway: bool) -> None:
        self.query_one("#switch-status", StatusLine).show("Writing the config…", "busy")
        self.query_one("#apply", Button).disabled = True
        box = self.query_one("#pgpass", Checkbox)
        source = self.wizard.state.source
        sqlite_path = source.path if source else self._config_sqlite()
        again = None if anyway else (self._target(), sqlite_path)
        self._apply(plan, self._target() if box.display and box.value else None, again)

    @work(thread=True, exit_on_error=False, group="switch", exclusive=True)
    def _apply(
        self,
        plan: SwitchPlan,
        pgpass_for: Target | None,
        again: tuple[Target | None, Path | None] | None,
    ) -> None:
        """Compare again first (``again``: the target and file, unless the user chose to
        switch anyway): AI Log Trail may have ingested since the preview, as switch does."""
        message = SwitchApplied()
        secrets = pgpass_for.secrets() if pgpass_for else []
        try:
            if again is not None and plan.to == "postgres":
                lookup = lookup_for_connect(self.wizard.deps.credential_store)
                fresh = preview_switch(self.wizard.deps.config_path, "postgres", *again, lookup)
                if fresh.mismatches:
                    message = SwitchApplied(
                        error="Not switched: the target no longer holds the file's rows (AI "
                        "Log Trail ingested since the preview); see the comparison above.",
                        stale=True,
                    )
                    return
            backup = apply_switch(plan)
            written = None
            if pgpass_for is not None and pgpass_for.password:
                written = write_pgpass(pgpass_for, pgpass_for.password, self._pgpass())
            message = SwitchApplied(backup, written)
        except Exception as exc:
            message = SwitchApplied(error=describe(exc, secrets))
        finally:
            self.post_message(message)

    @on(SwitchApplied)
    def _applied(self, message: SwitchApplied) -> None:
        status = self.query_one("#switch-status", StatusLine)
        if message.error:
            status.show(message.error, "error")
            self.query_one("#apply", Button).disabled = False
            if message.stale:
                self._refresh_preview()
            return
        self.wizard.state.backup_path = message.backup
        self.wizard.state.switched_to = self._plan.to if self._plan else None
        self.wizard.state.pgpass_path = message.pgpass or self.wizard.state.pgpass_path
        backup = formatting.shown_path(message.backup) if message.backup else "none needed"
        extra = (
            f" The password was saved in {formatting.shown_path(message.pgpass)}."
            if message.pgpass
            else ""
        )
        status.show(
            f"Switched to {self._plan.to if self._plan else '?'}. "
            f"Backup of the old config: {backup}.{extra}",
            "ok",
        )
        self.query_one(NavBar).set_next(label="Close" if self._revisit else "Next: done")
        self.query_one("#next", Button).focus()
        self._refresh_preview()  # the old diff is history now: show what the config says

    def action_next(self) -> None:
        """On to the summary (or back to it when revisiting)."""
        if self._revisit:
            self.app.pop_screen()
        else:
            self.wizard.advance(self.STEP)
