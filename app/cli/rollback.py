"""``ailt-migrate rollback``: clear the target the way the user guide says (``--yes`` does it)."""

from __future__ import annotations

import argparse
from pathlib import Path

from app.cli.inputs import flags_or_config
from app.core.errors import ExitCode


def add_parser(sub: argparse._SubParsersAction) -> None:
    """Add ``rollback`` to the sub-commands."""
    rb = sub.add_parser(
        "rollback",
        help="empty the target's AI Log Trail tables (--drop: drop them)",
        description="Empty the target the way AI Log Trail's user guide says: truncate the "
        "child tables first, in one transaction (--drop drops the tables instead). "
        "Without --yes it only shows what it would do. The SQLite file is never "
        "touched.",
    )
    rb.add_argument(
        "--config",
        type=Path,
        default=argparse.SUPPRESS,
        help="AI Log Trail's config (default: user/config.toml)",
    )
    rb.add_argument("--postgres-dsn", help="target DSN (default: the config's postgres_dsn)")
    rb.add_argument(
        "--sqlite", type=Path, help="also clear the file's extra (non AI Log Trail) tables"
    )
    rb.add_argument("--drop", action="store_true", help="drop the tables instead of truncating")
    rb.add_argument("--yes", action="store_true", help="do it (otherwise only show the plan)")
    rb.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    """Show what would be cleared; with --yes, clear it."""
    from app.core.credentials import KeyringStore, lookup_for_connect
    from app.core.rollback import clear, plan_clear
    from app.core.source import inspect_source

    target = flags_or_config(args).target
    extra: tuple[str, ...] = ()
    if args.sqlite:
        extra = tuple(t.name for t in inspect_source(args.sqlite).tables if not t.known)
    lookup = lookup_for_connect(KeyringStore())
    plan = plan_clear(target, drop=args.drop, extra_tables=extra, keyring_lookup=lookup)
    if not plan.tables:
        print(f"Nothing to clear: {plan.target.display} has none of the tables.")
        return ExitCode.OK
    print(f"Target: {plan.target.display}")
    print("\n".join(plan.describe()))
    if not args.yes:
        print("\nNothing was changed. Add --yes to do this.")
        return ExitCode.OK
    clear(plan, keyring_lookup=lookup)
    print("\nDone: the tables were " + ("dropped." if args.drop else "emptied."))
    return ExitCode.OK
