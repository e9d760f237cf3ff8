"""Open PostgreSQL connections and turn libpq failures into sentences a user can act on.

Where the password comes from, in order: the DSN (or the wizard's field), libpq's own sources
(``PGPASSWORD``, ``~/.pgpass``), the system keyring entry the wizard saved, and finally a prompt.
The password is passed to libpq as a keyword, never inside a string we build or show.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum

import psycopg
from psycopg.conninfo import make_conninfo

from app.core.dsn import Target, scrub
from app.core.errors import ConnectFailed, ConnectKind

PasswordLookup = Callable[[Target], str | None]

# Session settings that make values and verification independent of the server's defaults:
# SQLite's CURRENT_TIMESTAMP text is UTC, so the session must be UTC too.
SESSION_SETUP = (
    "SET TimeZone = 'UTC'",
    "SET DateStyle = 'ISO, YMD'",
    "SET extra_float_digits = 1",
    "SET client_encoding = 'UTF8'",
)


class PasswordSource(StrEnum):
    """Where the password that worked came from (reports show the value)."""

    DSN = "dsn"  # the DSN or the wizard's password field
    LIBPQ = "libpq"  # PGPASSWORD or the password file
    KEYRING = "keyring"  # the entry the wizard saved
    PROMPT = "prompt"  # typed at the hidden prompt
    NONE = "none"  # the server asked for none (trust, peer) or libpq found it unseen


@dataclass
class Connected:
    """An open connection and where its password came from."""

    conn: psycopg.Connection
    target: Target  # carries the password that worked (None when libpq found it itself)
    password_source: PasswordSource
    server_version: str = field(init=False)  # e.g. "18.0"; still readable after conn closes

    def __post_init__(self) -> None:
        self.server_version = self.conn.info.parameter_status("server_version") or "unknown"


def connect(
    target: Target,
    *,
    keyring_lookup: PasswordLookup | None = None,
    prompt: PasswordLookup | None = None,
    autocommit: bool = False,
    timeout_s: int = 10,
) -> Connected:
    """Connect, trying each password source in turn; raise :class:`ConnectFailed`."""
    if target.password is not None:
        return Connected(_open(target, autocommit, timeout_s), target, PasswordSource.DSN)
    try:
        return Connected(_open(target, autocommit, timeout_s), target, _libpq_source(target))
    except ConnectFailed as exc:
        if exc.kind not in (ConnectKind.NO_PASSWORD, ConnectKind.AUTH):
            raise
        first_error = exc
    attempts = ((PasswordSource.KEYRING, keyring_lookup), (PasswordSource.PROMPT, prompt))
    for source, lookup in attempts:
        password = lookup(target) if lookup else None
        if password:
            with_pw = target.with_password(password)
            try:
                return Connected(_open(with_pw, autocommit, timeout_s), with_pw, source)
            except ConnectFailed as exc:
                if exc.kind != ConnectKind.AUTH:
                    raise
                first_error = exc
    raise first_error


def _libpq_source(target: Target) -> PasswordSource:
    """Name the source libpq used when we gave it no password (best effort, for reports)."""
    import os

    found = os.environ.get("PGPASSWORD") or _has_passfile(target)
    return PasswordSource.LIBPQ if found else PasswordSource.NONE


def _has_passfile(target: Target) -> bool:
    """Whether libpq has a password file it can read; libpq treats one it cannot read (or a
    home folder it may not enter) as no password file at all, and so do we."""
    import os
    from pathlib import Path

    path = target.params.get("passfile") or os.environ.get("PGPASSFILE")
    try:
        chosen = Path(path).expanduser() if path else Path.home() / ".pgpass"
        return chosen.is_file() and os.access(chosen, os.R_OK)
    except (OSError, RuntimeError):  # RuntimeError: Path.home() without HOME or passwd entry
        return False


def _open(target: Target, autocommit: bool, timeout_s: int) -> psycopg.Connection:
    # libpq keywords go in the conninfo; the password only as a keyword argument.
    params = {
        "application_name": "ailt-migrate",
        "connect_timeout": str(timeout_s),
        **target.params,
    }
    try:
        conn = psycopg.connect(
            make_conninfo(**params), autocommit=autocommit, password=target.password
        )
    except psycopg.Error as exc:
        raise classify(exc, target) from None
    try:
        for statement in SESSION_SETUP:
            conn.execute(statement)
        if not autocommit:
            conn.commit()
    except psycopg.Error as exc:
        conn.close()
        raise classify(exc, target) from None
    return conn


def classify(exc: BaseException, target: Target) -> ConnectFailed:
    """Map a libpq connection error to a :class:`ConnectFailed` with a plain reason."""
    text = scrub(str(exc), target.secrets())
    low = text.lower()
    where = target.key
    if "no password supplied" in low:
        return ConnectFailed(
            f"{target.user} needs a password on {where}: enter it, or set PGPASSWORD, "
            "or add it to ~/.pgpass.",
            ConnectKind.NO_PASSWORD,
        )
    if "password authentication failed" in low or "authentication failed" in low:
        return ConnectFailed(
            f"The password for {target.user} was rejected by {target.host}:{target.port}: "
            "check it and try again.",
            ConnectKind.AUTH,
        )
    if "does not exist" in low and "database" in low:
        return ConnectFailed(
            f"Database {target.dbname!r} does not exist on {target.host}:{target.port}: "
            "create it (createdb) or choose another database.",
            ConnectKind.NO_DATABASE,
        )
    if "role" in low and "does not exist" in low:
        return ConnectFailed(
            f"Role {target.user!r} does not exist on {target.host}:{target.port}: "
            "check the user name.",
            ConnectKind.AUTH,
        )
    if "ssl" in low and ("required" in low or "no encryption" in low or "not support" in low):
        return ConnectFailed(
            f"{target.host}:{target.port} and the connection disagree on SSL: "
            "try sslmode=require (or sslmode=disable for a local server).",
            ConnectKind.SSL_REQUIRED,
        )
    if "permission denied" in low:
        return ConnectFailed(
            f"{target.user} may not connect to {target.dbname!r}: "
            "ask the database owner to GRANT CONNECT.",
            ConnectKind.PERMISSION,
        )
    unreachable = (
        "connection refused",
        "could not translate host name",
        "timeout expired",
        "no such file or directory",
        "network is unreachable",
        "no route to host",
        "could not connect",
        "name or service not known",
        "connection timed out",
    )
    if any(u in low for u in unreachable):
        return ConnectFailed(
            f"Cannot reach PostgreSQL at {target.host}:{target.port}: check the host and port, "
            "and that the server is running and accepts connections.",
            ConnectKind.UNREACHABLE,
        )
    first_line = text.strip().splitlines()[0] if text.strip() else type(exc).__name__
    return ConnectFailed(f"Cannot connect to {where}: {first_line}.", ConnectKind.OTHER)


def check_connection(target: Target, keyring_lookup: PasswordLookup | None = None) -> Connected:
    """Connect once (autocommit) to check the target; the caller closes ``.conn``."""
    return connect(target, keyring_lookup=keyring_lookup, autocommit=True)


def create_database(target: Target, keyring_lookup: PasswordLookup | None = None) -> None:
    """Create the target's database by connecting to the ``postgres`` maintenance database."""
    from psycopg import sql

    maintenance = Target({**target.params, "dbname": "postgres"}, target.password)
    found = connect(maintenance, keyring_lookup=keyring_lookup, autocommit=True)
    try:
        found.conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(target.dbname)))
    except psycopg.errors.InsufficientPrivilege:
        raise ConnectFailed(
            f"{target.user} may not create databases: ask an administrator to run "
            f"CREATE DATABASE {target.dbname} OWNER {target.user}.",
            ConnectKind.PERMISSION,
        ) from None
    except psycopg.Error as exc:
        raise classify(exc, target) from None
    finally:
        found.conn.close()
