"""The wizard's App: holds the injected dependencies and the state, and moves between steps.

Build it with :func:`make_app` (tests, the demo and ``ailt-migrate`` all do), so that the
credential store, config path, reports folder and timing are chosen by the caller.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from contextlib import suppress
from pathlib import Path
from typing import ClassVar

from textual.app import App
from textual.binding import Binding, BindingType
from textual.screen import Screen

from app.core.config import AppConfig, load_config
from app.core.credentials import CredentialStore
from app.core.errors import MigrateError
from app.core.migrate import DEFAULT_BATCH_SIZE
from app.ui.dialogs.confirm import ConfirmDialog
from app.ui.paths import stylesheet
from app.ui.screens.confirm import ConfirmScreen
from app.ui.screens.done import DoneScreen
from app.ui.screens.dry_run import DryRunScreen
from app.ui.screens.execute import ExecuteScreen
from app.ui.screens.source import SourceScreen
from app.ui.screens.switch import SwitchScreen
from app.ui.screens.target import TargetScreen
from app.ui.screens.verify import VerifyScreen
from app.ui.signals import exit_on_signals
from app.ui.state import WizardDeps, WizardState

# What follows each step (step 8 has no next).
NEXT_SCREEN: dict[int, Callable[[], Screen[None]]] = {
    1: TargetScreen,
    2: DryRunScreen,
    3: ConfirmScreen,
    4: ExecuteScreen,
    5: VerifyScreen,
    6: SwitchScreen,
    7: DoneScreen,
}


class WizardApp(App[int]):
    """Eight steps from a SQLite file to AI Log Trail writing to PostgreSQL."""

    TITLE = "ailt-migrate"
    CSS_PATH = str(stylesheet())
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+q", "quit", "Quit", priority=True),
        # Priority, so a focused text field's "copy" does not swallow it: Ctrl+C is what
        # terminal users press to leave, and it must do the same on every screen.
        Binding("ctrl+c", "quit", "Quit", show=False, priority=True),
    ]

    def __init__(self, deps: WizardDeps, config: AppConfig | None = None) -> None:
        super().__init__()
        self.deps = deps
        self.config = config
        self.state = WizardState()
        self.migration_running = False

    def on_mount(self) -> None:
        """Open step 1; say once if the config could not be read."""
        self.push_screen(SourceScreen())
        if self.deps.config_error:
            self.notify(self.deps.config_error, severity="warning", timeout=12)
        if self.deps.handle_signals:
            self._exit_on_signals()

    def _exit_on_signals(self) -> None:
        """SIGTERM, SIGHUP and SIGINT end the app normally, so callers' cleanup runs; if that
        hangs, :mod:`app.ui.signals` ends the process anyway (and a second signal at once)."""
        loop = asyncio.get_running_loop()

        def ask_to_exit(sig: int) -> None:
            with suppress(RuntimeError):  # the loop is closed: the app has already ended
                loop.call_soon_threadsafe(self._signalled, sig)

        exit_on_signals(ask_to_exit)

    def _signalled(self, sig: int) -> None:
        for screen in self.screen_stack:
            if isinstance(screen, ExecuteScreen):
                screen.cancel_now()  # roll back at the next batch
        self.exit(128 + sig, return_code=128 + sig)

    def advance(self, step: int) -> None:
        """Open the screen after ``step``."""
        factory = NEXT_SCREEN.get(step)
        if factory is not None:
            self.push_screen(factory())

    async def action_quit(self) -> None:
        """Quit; during a migration, ask first (quitting rolls it back)."""
        if not self.migration_running:
            self.exit(0)
            return
        self.push_screen(
            ConfirmDialog(
                "Quit during the migration?",
                ["The migration is cancelled and rolled back:", "the target stays unchanged."],
                yes="Cancel and quit",
                no="Keep going",
                danger=True,
            ),
            self._quit_answer,
        )

    def _quit_answer(self, yes: bool | None) -> None:
        if not yes:
            return
        for screen in self.screen_stack:
            if isinstance(screen, ExecuteScreen):
                screen.cancel_now()
        self.exit(130, return_code=130)


def make_app(
    *,
    config_path: Path,
    credential_store: CredentialStore,
    source_path: Path | None = None,
    dsn: str | None = None,
    password: str | None = None,
    reports_dir: Path | None = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
    throttle_s: float = 0.0,
    clock: Callable[[], float] = time.monotonic,
    demo_note: str | None = None,
    pgpass_path: Path | None = None,
    handle_signals: bool = False,
) -> WizardApp:
    """Build the wizard with its dependencies (nothing is read from the environment here)."""
    config: AppConfig | None = None
    config_error: str | None = None
    try:
        config = load_config(config_path)
    except MigrateError as exc:
        config_error = str(exc)
    deps = WizardDeps(
        config_path=config_path,
        credential_store=credential_store,
        reports_dir=reports_dir or (config.reports_dir if config else Path("reports")),
        batch_size=batch_size,
        throttle_s=throttle_s,
        clock=clock,
        demo_note=demo_note,
        pgpass_path=pgpass_path,
        initial_dsn=dsn,
        initial_password=password,
        initial_source=source_path,
        config_error=config_error,
        handle_signals=handle_signals,
    )
    return WizardApp(deps, config)
