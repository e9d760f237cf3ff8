"""``ailt-migrate credentials status|forget``: the password saved in the system keyring.

``status`` says whether one is saved for the connection (never what it is); ``forget`` removes
it. Registered by :func:`add_parser`; the handler is :func:`handle`.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from app.cli.inputs import resolve_inputs
from app.core.config import load_config
from app.core.credentials import CredentialStore, KeyringStore
from app.core.dsn import Target


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
        sub.add_argument(
            "--config",
            type=Path,
            default=argparse.SUPPRESS,
            metavar="PATH",
            help="AI Log Trail's config (default: user/config.toml)",
        )
    parser.set_defaults(handler=handle, error_prefix=False)  # the bare sentence, as always


def handle(args: argparse.Namespace, store: CredentialStore | None = None) -> int:
    """Run ``status`` or ``forget``; return the exit status (2 when the keyring is unavailable)."""
    target = _target(args)
    store = store if store is not None else KeyringStore()
    if args.credentials_action == "forget":
        print(_forget(store, target))
    else:
        print(_status(store, target))
    return 0


def _target(args: argparse.Namespace) -> Target:
    """--postgres-dsn, else the config's DSN (the config is read only when needed)."""
    config = None if args.postgres_dsn else load_config(args.config)
    no_dsn = "No connection given: pass --postgres-dsn postgresql://user@host:5432/dbname."
    return resolve_inputs(args, config, no_dsn=no_dsn, warn_password=False).target


def _status(store: CredentialStore, target: Target) -> str:
    if store.get(target) is None:
        return f"No password for {target.key} is saved in the system keyring."
    return f"A password for {target.key} is saved in the system keyring."


def _forget(store: CredentialStore, target: Target) -> str:
    if store.delete(target):
        return f"Removed the saved password for {target.key} from the system keyring."
    return f"No password for {target.key} was saved in the system keyring: nothing to remove."
