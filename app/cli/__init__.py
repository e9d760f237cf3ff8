"""``ailt-migrate``: the wizard when run bare, and the same engine headless for scripts.

Every failure prints one sentence (what is wrong, what to do) and exits with the documented
status; no traceback reaches the user.
"""

from __future__ import annotations

import argparse
import getpass
import json
import signal
import sys
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, NoReturn

from app.core.dsn import Target, parse_dsn
from app.core.errors import BadInput, ExitCode, MigrateError

if TYPE_CHECKING:
    from app.core.config import AppConfig
    from app.core.migrate import Options

DEFAULT_CONFIG = Path("user/config.toml")


class _Parser(argparse.ArgumentParser):
    """argparse with a one-line error instead of the whole usage block."""

    def error(self, message: str) -> NoReturn:
        self.exit(ExitCode.BAD_INPUT,
                  f"{self.prog}: {message} (see '{self.prog} --help').\n")


def build_parser() -> argparse.ArgumentParser:
    """All subcommands and flags."""
    parser = _Parser(
        prog="ailt-migrate",
        description="Move an AI Log Trail SQLite database into PostgreSQL and switch over. "
                    "Without a command, opens the wizard.")
    parser.add_argument("--config", type=Path, default=DEFAULT_CONFIG,
                        help="AI Log Trail's config (default: user/config.toml)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    _add_run(sub)
    _add_rollback(sub)
    sub.add_parser("demo", help="the wizard on a sample database and a throw-away PostgreSQL")
    gen = sub.add_parser("generate", help="write a realistic sample AI Log Trail database")
    gen.add_argument("out", type=Path)
    gen.add_argument("--size", default="10MB", help="approximate file size, e.g. 100MB")
    gen.add_argument("--seed", type=int, default=0)
    gen.add_argument("--older", action="store_true", help="the older 9-table layout")
    _add_optional_commands(sub)
    return parser


def _add_run(sub: argparse._SubParsersAction) -> None:
    from app.core.migrate import DEFAULT_BATCH_SIZE
    from app.core.scan import REPAIRS

    run = sub.add_parser("run", help="dry run (default) or --execute the migration")
    run.add_argument("--config", type=Path, default=argparse.SUPPRESS)
    run.add_argument("--sqlite", type=Path, help="the SQLite file (default: from the config)")
    run.add_argument("--postgres-dsn", help="target DSN (default: the config's postgres_dsn)")
    run.add_argument("--execute", action="store_true", help="copy the data (default: dry run)")
    run.add_argument("--batch-size", type=_positive_int, default=DEFAULT_BATCH_SIZE,
                     help=f"rows per batch (default {DEFAULT_BATCH_SIZE})")
    run.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    run.add_argument("--repair", action="append", default=[], choices=sorted(REPAIRS),
                     help="; ".join(f"{k}: {v}" for k, v in REPAIRS.items()))
    run.add_argument("--report", type=Path, help="also save the JSON report to this file")


def _add_rollback(sub: argparse._SubParsersAction) -> None:
    rb = sub.add_parser("rollback", help="clear the target the way the guide says")
    rb.add_argument("--config", type=Path, default=argparse.SUPPRESS)
    rb.add_argument("--postgres-dsn", help="target DSN (default: the config's postgres_dsn)")
    rb.add_argument("--sqlite", type=Path,
                    help="also clear the file's extra (non AI Log Trail) tables")
    rb.add_argument("--drop", action="store_true", help="drop the tables instead of truncating")
    rb.add_argument("--yes", action="store_true", help="do it (otherwise only show the plan)")


def _add_optional_commands(sub: argparse._SubParsersAction) -> None:
    from app.cli import credentials, switch

    switch.add_parser(sub)
    credentials.add_parser(sub)


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point: returns the exit status."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse already printed a usage sentence
        return ExitCode.BAD_INPUT if exc.code else ExitCode.OK
    try:
        return _dispatch(args)
    except MigrateError as err:
        _fail(args, err)
        return err.exit_code
    except KeyboardInterrupt:
        print("Cancelled: nothing was committed.", file=sys.stderr)
        return ExitCode.CANCELLED


def _fail(args: argparse.Namespace, err: MigrateError) -> None:
    print(f"ailt-migrate: {err}", file=sys.stderr)
    if getattr(args, "json", False):
        print(json.dumps({"error": str(err), "exit_code": int(err.exit_code)}))


def _dispatch(args: argparse.Namespace) -> int:
    handlers: dict[str | None, Callable[[argparse.Namespace], int]] = {
        None: _wizard, "run": _run, "rollback": _rollback, "demo": _demo,
        "generate": _generate,
    }
    handler = handlers.get(args.command)
    if handler is None:
        return int(args.handler(args))  # commands that register their own handler
    return handler(args)


def _wizard(args: argparse.Namespace) -> int:
    from app.ui.launch import run_wizard

    return run_wizard(args.config)


def _demo(args: argparse.Namespace) -> int:
    from app.ui.demo import run_demo

    return run_demo()


def _generate(args: argparse.Namespace) -> int:
    from app.sample.generator import generate, parse_size

    try:
        stats = generate(args.out, target_bytes=parse_size(args.size), seed=args.seed,
                         with_redactions=not args.older)
    except FileExistsError:
        raise BadInput(f"{args.out} already exists: choose a new file name.") from None
    print(f"Wrote {stats.path} ({stats.file_bytes:,} bytes, "
          f"{sum(stats.rows.values()):,} rows) in {stats.elapsed_s:.1f} s")
    return ExitCode.OK


# --- run ---------------------------------------------------------------------------------------

def resolve_inputs(args: argparse.Namespace) -> tuple[Path | None, Target]:
    """--sqlite and --postgres-dsn, falling back to the config file."""
    config = _load_config_if_present(args.config)
    sqlite = getattr(args, "sqlite", None) or (config.sqlite_path if config else None)
    dsn = args.postgres_dsn or (config.postgres_dsn if config else None)
    if not dsn:
        raise BadInput("No PostgreSQL DSN: pass --postgres-dsn postgresql://user@host:5432/db "
                       f"or set [database] postgres_dsn in {args.config}.")
    target = parse_dsn(dsn)
    if target.password is not None:
        print("ailt-migrate: warning: a password in --postgres-dsn is visible to other users "
              "(ps, shell history); prefer PGPASSWORD, ~/.pgpass or the keyring.",
              file=sys.stderr)
    return (Path(sqlite) if sqlite else None), target


def _load_config_if_present(path: Path) -> AppConfig | None:
    from app.core.config import load_config

    return load_config(path) if Path(path).is_file() else None


def _options(args: argparse.Namespace) -> Options:
    from app.core.credentials import KeyringStore, lookup_for_connect
    from app.core.migrate import Options

    return Options(batch_size=args.batch_size, repairs=frozenset(args.repair),
                   keyring_lookup=lookup_for_connect(KeyringStore()), prompt=_prompt_password)


def _prompt_password(target: Target) -> str | None:
    """Ask on the terminal (hidden) when nothing else supplied a password."""
    if not sys.stdin.isatty():
        return None
    try:
        return getpass.getpass(f"Password for {target.key}: ") or None
    except (EOFError, KeyboardInterrupt):
        return None


def _run(args: argparse.Namespace) -> int:
    from app.cli.output import render_plan, render_result
    from app.core.migrate import check_executable, dry_run, execute
    from app.core.report import plan_to_dict, result_to_dict

    sqlite, target = resolve_inputs(args)
    if sqlite is None:
        raise BadInput("No SQLite file: pass --sqlite reports/session_data.sqlite "
                       f"or set [ingest] db_path in {args.config}.")
    options = _options(args)
    started = time.monotonic()
    if not args.execute:
        plan = dry_run(sqlite, target, options, on_phase=_phase_printer(args))
        _emit(args, plan_to_dict(plan, elapsed_s=time.monotonic() - started),
              render_plan(plan))
        try:
            check_executable(plan, options.repairs)
        except MigrateError as err:
            print(f"ailt-migrate: --execute would refuse: {err}", file=sys.stderr)
            return err.exit_code
        if not args.json:
            print("\nDry run only: nothing was written. Add --execute to migrate.")
        return ExitCode.OK
    from app.cli.progress import TerminalProgress

    with _cancel_on_sigint() as cancelled:
        progress = TerminalProgress(0)
        try:
            result = execute(sqlite, target, options, on_progress=progress.progress,
                             on_phase=progress.phase, on_plan=progress.plan_ready,
                             is_cancelled=cancelled.is_set)
        finally:
            progress.close()
    _emit(args, result_to_dict(result), render_result(result))
    return ExitCode.OK


def _phase_printer(args: argparse.Namespace) -> Callable[[str], None]:
    def phase(text: str) -> None:
        if sys.stderr.isatty() and not args.json:
            print(f"{text}...", file=sys.stderr)
    return phase


def _emit(args: argparse.Namespace, data: dict[str, object], text: str) -> None:
    if args.json:
        print(json.dumps(data, indent=2, ensure_ascii=False))
    else:
        print(text)
    if getattr(args, "report", None):
        from app.core.report import write_report

        write_report(data, args.report)


class _cancel_on_sigint:
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


# --- rollback ----------------------------------------------------------------------------------

def _rollback(args: argparse.Namespace) -> int:
    from app.core.credentials import KeyringStore, lookup_for_connect
    from app.core.rollback import clear, plan_clear
    from app.core.source import inspect_source

    _, target = resolve_inputs(args)
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


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
