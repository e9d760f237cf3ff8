"""Every message the wizard's workers post: plain dataclasses, one per finished job.

Workers run in threads and only talk to the UI through these (``post_message`` is thread-safe).
Each job posts its ``...Finished``-style message from a ``finally``, so a screen never waits for a
result that cannot come. ``error`` is always a sentence for the user, never a traceback.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from textual.message import Message

if TYPE_CHECKING:
    from app.core.connect import PasswordSource
    from app.core.dsn import Target
    from app.core.errors import ConnectKind
    from app.core.migrate import Result
    from app.core.plan import Plan
    from app.core.rollback import ClearPlan
    from app.core.source import SourceInfo
    from app.core.spot_check import Sample
    from app.core.switch import SwitchPlan
    from app.core.sync import SyncPlan, SyncResult


@dataclass
class SourceInspected(Message):
    """Step 1: the file at ``path`` was read (``info``) or could not be (``error``)."""

    path: Path
    info: SourceInfo | None = None
    error: str | None = None


@dataclass
class ConnectionTested(Message):
    """Step 2: the connection test ended; ``kind`` is ``ConnectFailed.kind`` on failure."""

    target: Target | None = None
    server_version: str | None = None
    password_source: PasswordSource | None = None
    error: str | None = None
    kind: ConnectKind | None = None


@dataclass
class DatabaseCreated(Message):
    """Step 2: ``CREATE DATABASE`` ran (or failed)."""

    error: str | None = None


@dataclass
class PasswordSaved(Message):
    """Step 2: the password went to the credential store (``sentence``) or why it could not."""

    sentence: str = ""
    error: str | None = None


@dataclass
class StoreStatus(Message):
    """Step 2: whether the credential store can keep the password, in one sentence."""

    usable: bool
    sentence: str


@dataclass
class PhaseChanged(Message):
    """Long work moved to a new phase ("Scanning values", "Copying events", ...)."""

    phase: str

    def can_replace(self, message: Message) -> bool:
        """Only the newest phase matters."""
        return isinstance(message, PhaseChanged)


@dataclass
class DryRunFinished(Message):
    """Step 3: the dry run's plan, or why there is none."""

    plan: Plan | None = None
    error: str | None = None
    cancelled: bool = False


@dataclass
class SyncPlanned(Message):
    """Step 3: what bringing a non-empty target up to date would change (sync's dry run)."""

    sync: SyncPlan | None = None
    error: str | None = None


@dataclass
class ClearPlanned(Message):
    """Step 3: what clearing the target would touch (shown in its confirmation)."""

    plan: ClearPlan | None = None
    error: str | None = None


@dataclass
class TargetCleared(Message):
    """Step 3: the target's tables were truncated (or not)."""

    error: str | None = None


@dataclass
class MigrationProgress(Message):
    """Step 5: rows copied so far in one table (batched by the worker)."""

    table: str
    done: int
    total: int
    at: float  # the worker's clock reading when the engine reported it
    started: float | None = None  # the worker's clock at this table's first report

    def can_replace(self, message: Message) -> bool:
        """A newer count of the same table supersedes a queued one; other tables' stay."""
        return isinstance(message, MigrationProgress) and message.table == self.table


@dataclass
class MigrationFinished(Message):
    """Step 5: committed (``result``), cancelled, or failed (``error``); target unchanged unless
    committed."""

    result: Result | SyncResult | None = None
    error: str | None = None
    cancelled: bool = False
    report_path: Path | None = None
    report_error: str | None = None


@dataclass
class SamplesLoaded(Message):
    """Step 6: the spot-check rows read from both sides."""

    samples: list[Sample] = field(default_factory=list)
    error: str | None = None


@dataclass
class SwitchPreviewed(Message):
    """Step 7: the config change as a diff, and reasons not to switch (empty: safe)."""

    plan: SwitchPlan | None = None
    guard: list[str] = field(default_factory=list)
    error: str | None = None
    checked: bool = True  # False: no SQLite file to compare the target with
    can_sync: bool = False  # every row compared and sync would bring the target up to date


@dataclass
class SwitchApplied(Message):
    """Step 7: the config was rewritten (``backup`` is the copy of the old one)."""

    backup: Path | None = None
    pgpass: Path | None = None
    error: str | None = None
    stale: bool = False  # not applied: the target no longer matches what the preview showed
