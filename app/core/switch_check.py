"""Before a switch to PostgreSQL: does the target hold exactly the file's rows, not just as many?

Row counts can match while rows differ (an edited redaction, a re-ingested file), so the check
compares content the way ``sync``'s dry run does, and says how many rows differ and which
command brings the target up to date. Writes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from app.core.advice import sync_command
from app.core.connect import PasswordLookup
from app.core.dsn import Target
from app.core.migrate import Options
from app.core.sync import SyncPlan, plan_sync


@dataclass
class TargetCheck:
    """The verdict: ``lines`` say what differs, one sentence each; empty when it matches."""

    sqlite_path: Path
    target: Target
    lines: list[str] = field(default_factory=list)
    differing_rows: int = 0
    migrated: bool = True  # the target holds the file's tables at all
    can_sync: bool = False  # ``sync --execute`` would bring it up to date
    sync: SyncPlan | None = None

    @property
    def matches(self) -> bool:
        """The target holds exactly the file's rows."""
        return not self.lines

    @property
    def sync_command(self) -> str:
        """The command that catches the target up (no password in it)."""
        return sync_command(self.sqlite_path, self.target)


def check_target(
    sqlite_path: Path,
    target: Target,
    keyring_lookup: PasswordLookup | None = None,
    *,
    prompt: PasswordLookup | None = None,
) -> TargetCheck:
    """Compare every row of the file with the target; raises the engine's MigrateErrors."""
    options = Options(keyring_lookup=keyring_lookup, prompt=prompt)
    sync = plan_sync(Path(sqlite_path), target, options)
    check = TargetCheck(Path(sqlite_path), target, sync=sync)
    check.migrated = any(t.exists for t in sync.plan.tables)
    check.differing_rows = sum(sync.totals.values())
    check.can_sync = check.migrated and not sync.refusals
    for t in sync.plan.tables:
        if not t.exists:
            check.lines.append(
                f"Table {t.name} is missing in the target "
                f"({t.source_rows} rows in the SQLite file)."
            )
            continue
        c = sync.changes[t.name].counts if t.name in sync.changes else None
        if c and any(c.values()):
            check.lines.append(
                f"Table {t.name}: {c['insert']} row(s) to insert, {c['update']} "
                f"to update, {c['delete']} to delete."
            )
    if check.migrated:
        check.lines += [r for r in sync.refusals if not r.startswith("The target has no table")]
    elif not check.lines:
        check.lines.append("The target holds none of the file's tables.")
    return check
