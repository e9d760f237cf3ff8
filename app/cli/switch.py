"""``ailt-migrate switch``: point AI Log Trail's ``user/config.toml`` at PostgreSQL or SQLite.

Prints the change as a unified diff; only ``--yes`` writes it (backup first, atomic replace).
Switching to PostgreSQL is refused while the target does not hold exactly the file's rows
(every row compared, not only counted; ``sync`` is offered), unless ``--force``. Registered
by :func:`add_parser`; the handler is :func:`handle`.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from pathlib import Path

from app.cli.inputs import resolve_inputs
from app.core.advice import sync_command
from app.core.config import AppConfig, create_from_example, load_config
from app.core.credentials import KeyringStore, lookup_for_connect
from app.core.dsn import Target, mask_dsn
from app.core.errors import Refused
from app.core.switch import SwitchPlan, SwitchPreview, apply_switch, preview_switch


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """Add ``switch`` to the ``ailt-migrate`` sub-commands."""
    parser = subparsers.add_parser(
        "switch",
        help="point AI Log Trail's config at PostgreSQL or back at SQLite",
        description="Show (and with --yes apply) the change to user/config.toml that switches "
        "AI Log Trail's backend. The password is never written to the file.",
    )
    parser.add_argument(
        "--to", required=True, choices=("postgres", "sqlite"), help="the backend to switch to"
    )
    parser.add_argument(
        "--postgres-dsn", metavar="DSN", help="target database (default: the config's DSN)"
    )
    parser.add_argument(
        "--sqlite", metavar="PATH", type=Path, help="SQLite file to compare the target with"
    )
    parser.add_argument(
        "--config",
        type=Path,
        default=argparse.SUPPRESS,
        metavar="PATH",
        help="AI Log Trail's config (default: user/config.toml)",
    )
    parser.add_argument("--yes", action="store_true", help="write the change (default: only show)")
    parser.add_argument(
        "--force", action="store_true", help="switch even if the target's rows differ"
    )
    parser.set_defaults(
        handler=handle,
        error_prefix=False,  # this command has always printed the bare sentence
        cancelled_message="Cancelled: the config was not changed.",
    )


def handle(args: argparse.Namespace) -> int:
    """Plan, show and (with --yes) apply the switch; return the exit status."""
    path: Path = args.config
    _ensure_config(path, args.yes)
    config = load_config(path)
    target = _target(args, config)
    sqlite_path: Path = args.sqlite or config.sqlite_path

    def show(plan: SwitchPlan) -> bool:
        if not plan.changed:
            where = f" at {mask_dsn(config.postgres_dsn or '')}" if args.to == "postgres" else ""
            print(f"{path} already uses {args.to}{where}: nothing to change.")
            return False
        print(plan.diff, end="")
        return not args.force

    preview = preview_switch(
        path,
        args.to,
        target,
        sqlite_path,
        lookup_for_connect(KeyringStore()),
        prompt=_tty_prompt if sys.stdin.isatty() else None,
        show_plan=show,
    )
    plan = preview.plan
    if not plan.changed:
        return 0
    if preview.checked and target is not None:
        _guard(preview, sqlite_path, target)
    if not args.yes:
        print(f"Nothing was written: run the same command with --yes to apply this to {path}.")
        return 0
    backup = apply_switch(plan)
    print(f"Switched {path} to {args.to}; the previous version is in {backup}.")
    print(_after_switch(args.to, target, sqlite_path))
    if target is not None and target.password is not None:
        print(
            "The password was not written to the config: AI Log Trail finds it in PGPASSWORD "
            "or ~/.pgpass."
        )
    return 0


def _ensure_config(path: Path, yes: bool) -> None:
    """Create a missing config from the example, after asking (or because of --yes)."""
    if path.exists():
        return
    if not yes and not _confirm(f"{path} does not exist: create it from the example config?"):
        load_config(path)  # raises the "does not exist" sentence
    create_from_example(path)
    print(f"Created {path} from the example config.")


def _confirm(question: str) -> bool:
    if not sys.stdin.isatty():
        return False
    try:
        answer = input(f"{question} [y/N] ")
    except EOFError:
        return False
    return answer.strip().lower() in ("y", "yes")


def _target(args: argparse.Namespace, config: AppConfig) -> Target | None:
    """The switch's target (postgres only): --postgres-dsn, else the config's DSN."""
    if args.to != "postgres":
        return None
    no_dsn = (
        f"{config.path} has no [database] postgres_dsn: give the target with "
        "--postgres-dsn postgresql://user@host:5432/dbname."
    )
    return resolve_inputs(args, config, no_dsn=no_dsn, warn_password=False).target


def _guard(preview: SwitchPreview, sqlite_path: Path, target: Target) -> None:
    """Refuse (exit 3) unless the target holds exactly the file's rows; offer sync."""
    if not preview.mismatches:
        print(
            f"The target {target.key} holds exactly the rows of {sqlite_path} (every row compared)."
        )
        return
    for line in preview.mismatches:
        print(line, file=sys.stderr)
    if preview.sync_command is not None:
        raise Refused(
            f"The target {target.key} does not match {sqlite_path}: "
            f"{preview.differing_rows:,} row(s) differ. Bring it up to date first with: "
            f"{preview.sync_command} (or pass --force to switch anyway)."
        )
    raise Refused(
        f"The target {target.key} does not hold the migrated data yet: run ailt-migrate first, "
        "or pass --force to switch anyway."
    )


def _after_switch(to: str, target: Target | None, sqlite_path: Path) -> str:
    """Where AI Log Trail writes from now on, and how to catch up later."""
    if to != "postgres" or target is None:
        return f"AI Log Trail will read and write {sqlite_path} again."
    return (
        f"AI Log Trail will now write to PostgreSQL at {target.key}. If rows keep "
        f"arriving in {sqlite_path} (its ingest may still write there), catch up with: "
        f"{sync_command(sqlite_path, target)}"
    )


def _tty_prompt(target: Target) -> str | None:
    try:
        return getpass.getpass(f"Password for {target.key}: ") or None
    except (EOFError, OSError):
        return None
