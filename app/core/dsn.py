"""Parse, mask and key PostgreSQL connection strings, always through ``psycopg.conninfo``.

A :class:`Target` keeps the password apart from the connection parameters, so that every string
made for display, storage or a process argument is built from the password-less parameters.
"""

from __future__ import annotations

import getpass
import os
import re
from dataclasses import dataclass, field

import psycopg
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from app.core.errors import BadInput

SECRET_KEYS = ("password", "sslpassword")
MASK = "****"


@dataclass(frozen=True)
class Target:
    """Where to connect: libpq parameters without secrets, and the password (if any) apart."""

    params: dict[str, str]
    password: str | None = field(default=None, repr=False)

    @property
    def conninfo(self) -> str:
        """``key=value`` conninfo without the password (safe to show or store)."""
        return make_conninfo(**self.params)

    def with_password(self, password: str | None) -> Target:
        """The same target with another password."""
        return Target(dict(self.params), password)

    @property
    def user(self) -> str:
        """The role name libpq will use (defaults like libpq: PGUSER, then the OS user)."""
        return self.params.get("user") or os.environ.get("PGUSER") or getpass.getuser()

    @property
    def host(self) -> str:
        """The host (or socket directory) libpq will use."""
        return self.params.get("host") or os.environ.get("PGHOST") or "localhost"

    @property
    def port(self) -> str:
        """The port libpq will use."""
        return self.params.get("port") or os.environ.get("PGPORT") or "5432"

    @property
    def dbname(self) -> str:
        """The database libpq will use (defaults to the user name)."""
        return self.params.get("dbname") or os.environ.get("PGDATABASE") or self.user

    @property
    def key(self) -> str:
        """``user@host:port/dbname``: the keyring key and the name shown to users."""
        return f"{self.user}@{self.host}:{self.port}/{self.dbname}"

    @property
    def display(self) -> str:
        """The connection as shown to users, password masked when one is set."""
        params = dict(self.params)
        if self.password is not None:
            params["password"] = MASK
        return make_conninfo(**params)

    def secrets(self) -> list[str]:
        """Secret strings to scrub from any message."""
        return [s for s in (self.password, self.params.get("sslpassword")) if s]


def parse_dsn(dsn: str) -> Target:
    """Parse a URI or ``key=value`` DSN; the password is split off. Raises :class:`BadInput`."""
    text = dsn.strip()
    if not text:
        raise BadInput("The PostgreSQL DSN is empty: give one like postgresql://user@host:5432/db.")
    try:
        params = {k: str(v) for k, v in conninfo_to_dict(text).items()}
    except psycopg.ProgrammingError as exc:
        reason = scrub(str(exc), _password_guesses(text)).strip().rstrip(".")
        raise BadInput(
            f"The PostgreSQL DSN is malformed ({reason}): "
            "use postgresql://user@host:5432/dbname or 'host=... dbname=... user=...'."
        ) from None
    password = params.pop("password", None)
    return Target(params, password)


def mask_dsn(dsn: str) -> str:
    """A DSN with its password replaced by ``****`` (the form kept, when it can be parsed)."""
    try:
        target = parse_dsn(dsn)
    except BadInput:
        return scrub(dsn, _password_guesses(dsn))
    if dsn.strip().startswith(("postgresql://", "postgres://")):
        return _masked_url(dsn.strip())
    return target.display


def _masked_url(url: str) -> str:
    """Mask the password of a URL (and any ``password=`` query parameter) in place."""
    url = re.sub(r"^(postgres(?:ql)?://[^:/@?#]*):[^@/?#]*@", rf"\1:{MASK}@", url)
    return re.sub(r"([?&](?:ssl)?password=)[^&#]*", rf"\1{MASK}", url)


def _password_guesses(text: str) -> list[str]:
    """Likely secrets in an unparseable DSN, so error messages never echo them."""
    guesses = re.findall(r"://[^:/@]*:([^@/]*)@", text)
    guesses += re.findall(r"(?:ssl)?password\s*=\s*('(?:[^'\\]|\\.)*'|\S+)", text)
    return [g.strip("'") for g in guesses if g]


def scrub(text: str, secrets: list[str]) -> str:
    """Replace every occurrence of each secret (and its URL-encoded form) with ``****``."""
    from urllib.parse import quote

    for secret in sorted(set(secrets), key=len, reverse=True):
        if not secret:
            continue
        for form in {secret, quote(secret, safe=""), quote(secret)}:
            text = text.replace(form, MASK)
    return text


def to_url(target: Target) -> str:
    """A ``postgresql://`` URL without the password, for ``user/config.toml``."""
    from urllib.parse import quote

    params = dict(target.params)
    user = params.pop("user", None)
    host = params.pop("host", None)
    port = params.pop("port", None)
    dbname = params.pop("dbname", None)
    netloc = quote(user, safe="") + "@" if user else ""
    query = {}
    if host and host.startswith("/"):
        query["host"] = host
    elif host:
        netloc += f"[{host}]" if ":" in host else host
    if port:
        netloc += f":{port}"
    query.update(params)
    url = f"postgresql://{netloc}/{quote(dbname, safe='') if dbname else ''}"
    if query:
        url += "?" + "&".join(f"{k}={quote(v, safe='/')}" for k, v in query.items())
    return url
