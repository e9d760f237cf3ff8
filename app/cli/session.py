"""What ``run`` and ``sync`` share on the command line: engine options and password sources,
phase lines, the JSON/text output with ``--report``, and Ctrl+C that cancels cleanly."""

from __future__ import annotations

import argparse
import getpass
import json
import signal
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING

from app.core.errors import MigrateError

if TYPE_CHECKING:
    from app.core.dsn import Target
    from app.core.migrate import Options


def engine_options(args: argparse.Namespace) -> Options:
    """The engine's options from ``--batch-size`` and ``--repair``, with every password source."""
    from app.core.credentials import KeyringStore, lookup_for_connect
    from app.core.migrate import Options

    return Options(
        batch_size=args.batch_size,
        repairs=frozenset(args.repair),
        keyring_lookup=lookup_for_connect(KeyringStore()),
        prompt=prompt_password,
        other_file_ok=getattr(args, "force", False),
    )


def prompt_password(target: Target) -> str | None:
    """Ask on the terminal (hidden) when nothing else supplied a password."""
    if not sys.stdin.isatty():
        return None
    try:
        return getpass.getpass(f"Password for {target.key}: ") or None
    except (EOFError, KeyboardInterrupt):
        return None


def phase_printer(args: argparse.Namespace) -> Callable[[str], None]:
    """Print each phase on a terminal (not under ``--json``)."""

    def phase(text: str) -> None:
        if sys.stderr.isatty() and not args.json:
            print(f"{text}...", file=sys.stderr)

    return phase


def check_report(args: argparse.Namespace) -> None:
    """Refuse an unwritable ``--report FILE`` before anything runs (raises ``BadInput``)."""
    if getattr(args, "report", None):
        from app.core.report import check_report_path

        check_report_path(args.report)


def emit(
    args: argparse.Namespace, data: dict[str, object], text: str, *, committed: bool = False
) -> None:
    """Print the JSON or the text form, and save the JSON to ``--report FILE`` if given.

    ``committed``: the target has changed, so a report that cannot be written (checked
    beforehand, but a disk can fill up) is a warning, not the command's error.
    """
    if args.json:
        print(json.dumps(data, indent=2, ensure_ascii=False))
    else:
        print(text)
    if getattr(args, "report", None):
        from app.core.report import write_report

        try:
            write_report(data, args.report)
        except MigrateError as exc:
            if not committed:
                raise
            print(
                "ailt-migrate: warning: the changes are committed, but "
                f"{exc.message[0].lower()}{exc.message[1:]}",
                file=sys.stderr,
            )
            return
        print(f"Report saved: {args.report}", file=sys.stderr)


class cancel_on_sigint:
    """First Ctrl+C asks the engine to stop at the next batch; a second one interrupts."""

    def __enter__(self) -> threading.Event:
        self.event = threading.Event()
        self.previous = signal.getsignal(signal.SIGINT)

        def handler(signum: int, frame: FrameType | None) -> None:
            if self.event.is_set():
                raise KeyboardInterrupt
            self.event.set()
            print("\nCancelling: rolling back, nothing will be committed...", file=sys.stderr)

        signal.signal(signal.SIGINT, handler)
        return self.event

    def __exit__(self, *exc: object) -> None:
        signal.signal(signal.SIGINT, self.previous)


def save_default_report(args: argparse.Namespace, data: dict[str, object]) -> None:
    """Like the wizard, keep every executed migration's (or sync's) report in the config's
    reports folder (``reports/`` without a config), and say where it went; ``--report FILE``
    chooses instead (then nothing is saved here)."""
    if getattr(args, "report", None):
        return
    from app.cli.inputs import config_if_present
    from app.core.report import save_report

    config = config_if_present(args.config)
    folder = config.reports_dir if config else Path("reports")
    try:
        path = save_report(data, folder)
    except OSError as exc:  # the migration is committed: a report that cannot be written is
        print(
            f"ailt-migrate: warning: the report could not be saved in {folder} "
            f"({exc.strerror or exc}); pass --report FILE next time.",
            file=sys.stderr,
        )
        return
    print(f"Report saved: {path}", file=sys.stderr)
