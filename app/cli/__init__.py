"""``ailt-migrate``: the wizard when run bare, and the same engine headless for scripts.

One module per sub-command (``run``, ``sync``, ``rollback``, ``switch``, ``credentials``,
``generate``, ``demo``; ``wizard`` without one), each registering its handler with
``set_defaults(handler=...)``.
Every failure goes through :mod:`app.cli.errors`: one sentence (what is wrong, what to do) and the
documented exit status; no traceback reaches the user.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

from app.cli.errors import report_cancelled, report_error
from app.core.config import DEFAULT_CONFIG
from app.core.errors import ExitCode, MigrateError


class _Parser(argparse.ArgumentParser):
    """argparse with a one-line error instead of the whole usage block."""

    def error(self, message: str) -> NoReturn:
        self.exit(ExitCode.BAD_INPUT, f"{self.prog}: {message} (see '{self.prog} --help').\n")


def build_parser() -> argparse.ArgumentParser:
    """All subcommands and flags."""
    from app.cli import credentials, demo, generate, rollback, run, switch, sync, wizard

    parser = _Parser(
        prog="ailt-migrate",
        description="Move an AI Log Trail SQLite database into PostgreSQL and switch over. "
        "Without a command, opens the wizard.",
    )
    parser.add_argument(
        "--config",
        type=Path,
        default=DEFAULT_CONFIG,
        help="AI Log Trail's config (default: user/config.toml)",
    )
    parser.set_defaults(handler=wizard.handle)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for command in (run, sync, rollback, demo, generate, switch, credentials):
        command.add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point: returns the exit status."""
    try:
        parser = build_parser()  # loads every sub-command's modules: the slow part of start-up
    except KeyboardInterrupt:  # Ctrl+C before anything started: no traceback either
        print("ailt-migrate: Cancelled before anything started.", file=sys.stderr)
        return ExitCode.CANCELLED
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse already printed a usage sentence
        return ExitCode.BAD_INPUT if exc.code else ExitCode.OK
    try:
        return int(args.handler(args))
    except MigrateError as err:
        return report_error(args, err)
    except KeyboardInterrupt:
        return report_cancelled(args)


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
