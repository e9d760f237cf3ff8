"""What the wizard knows so far, and what it was given: one object each, owned by the App.

Screens read the state to render and write the one thing their step decides; the engine's own
objects (``SourceInfo``, ``Target``, ``Plan``, ``Result``) are kept as they are.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from app.core.connect import PasswordSource
from app.core.credentials import CredentialStore
from app.core.migrate import DEFAULT_BATCH_SIZE

if TYPE_CHECKING:
    from app.core.dsn import Target
    from app.core.migrate import Result
    from app.core.plan import Plan
    from app.core.source import SourceInfo
    from app.core.sync import SyncPlan, SyncResult


@dataclass(frozen=True)
class WizardDeps:
    """Everything injected from outside: tests and the demo pass their own."""

    config_path: Path
    credential_store: CredentialStore
    reports_dir: Path
    batch_size: int = DEFAULT_BATCH_SIZE
    throttle_s: float = 0.0  # sleep per progress report: lets tests cancel mid-copy
    clock: Callable[[], float] = time.monotonic
    demo_note: str | None = None  # one line shown under the header in the demo
    pgpass_path: Path | None = None  # None: libpq's own (~/.pgpass or PGPASSFILE)
    initial_dsn: str | None = None
    initial_password: str | None = None
    initial_source: Path | None = None
    config_error: str | None = None  # shown once at start when the config could not be read
    handle_signals: bool = False  # end cleanly on SIGTERM/SIGHUP/SIGINT (not inside tests)


@dataclass
class WizardState:
    """Decisions and results so far, step by step."""

    source: SourceInfo | None = None
    target: Target | None = None  # with the password that worked (never rendered)
    target_form: tuple[str, str] | None = None  # step 2's DSN and password as last entered
    password_source: PasswordSource = PasswordSource.NONE
    remember_password: bool = True
    server_version: str | None = None
    plan: Plan | None = None
    repairs: frozenset[str] = frozenset()
    # "Bring it up to date" chosen on step 3: steps 4-6 sync instead of migrating
    sync: SyncPlan | None = None
    result: Result | SyncResult | None = None
    report_path: Path | None = None
    backup_path: Path | None = None
    switched_to: str | None = None  # the backend step 7 last wrote into the config
    pgpass_path: Path | None = None  # where the switch step saved the password, if it did
    target_generation: int = 0  # bumped whenever the target's content changes
