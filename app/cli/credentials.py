"""``ailt-migrate credentials status|forget``: the password saved in the system keyring.

``status`` says whether one is saved for the connection (never what it is); ``forget`` removes
it. Register with ``app.cli.credentials.add_parser(subparsers)``; the handler is :func:`run`.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from app.core.config import DEFAULT_CONFIG, load_config
from app.core.credentials import CredentialStore, KeyringStore
from app.core.dsn import Target, parse_dsn
from app.core.errors import BadInput, MigrateError


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """Add ``credentials status`` and ``credentials forget`` to the sub-commands."""
    parser = subparsers.add_parser(
        "credentials",
        help="show or remove the password saved in the system keyring",
        description="Passwords are saved under the keyring service 'ailt-migrate', keyed by "
        "user@host:port/dbname.",
    )
    actions = parser.add_subparsers(dest="credentials_action", required=True, metavar="ACTION")
    for name, help_text in (
        ("status", "say whether a password is saved for the connection"),
        ("forget", "remove the saved password for the connection"),
    ):
        sub = actions.add_parser(name, help=help_text)
        sub.add_argument(
            "--postgres-dsn", metavar="DSN", help="the connection (default: the config's DSN)"
        )
        sub.add_argument("--config", type=Path, default=DEFAULT_CONFIG, metavar="PATH")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace, store: CredentialStore | None = None) -> int:
    """Run ``status`` or ``forget``; return the exit status (2 when the keyring is unavailable)."""
    try:
        target = _target(args)
        store = store if store is not None else KeyringStore()
        if args.credentials_action == "forget":
            print(_forget(store, target))
        else:
            print(_status(store, target))
        return 0
    except MigrateError as err:
        print(str(err), file=sys.stderr)
        return int(err.exit_code)


def _target(args: argparse.Namespace) -> Target:
    if args.postgres_dsn:
        return parse_dsn(args.postgres_dsn)
    dsn = load_config(args.config).postgres_dsn
    if not dsn:
        raise BadInput(
            "No connection given: pass --postgres-dsn postgresql://user@host:5432/dbname."
        )
    return parse_dsn(dsn)


def _status(store: CredentialStore, target: Target) -> str:
    if store.get(target) is None:
        return f"No password for {target.key} is saved in the system keyring."
    return f"A password for {target.key} is saved in the system keyring."


def _forget(store: CredentialStore, target: Target) -> str:
    if store.delete(target):
        return f"Removed the saved password for {target.key} from the system keyring."
    return f"No password for {target.key} was saved in the system keyring: nothing to remove."
