"""Errors that carry a user-facing sentence and the exit status the command line returns."""

from __future__ import annotations

from enum import IntEnum, StrEnum


class ExitCode(IntEnum):
    """Exit statuses of ``ailt-migrate`` (documented in the README)."""

    OK = 0
    BAD_INPUT = 2
    REFUSED = 3
    CONNECT = 4
    VERIFY_FAILED = 5
    CANCELLED = 130


class MigrateError(Exception):
    """A failure the user can act on: ``str(err)`` is one sentence of what and what to do."""

    exit_code: ExitCode = ExitCode.BAD_INPUT

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class BadInput(MigrateError):
    """Missing or invalid file, malformed DSN, bad flags, invalid config."""

    exit_code = ExitCode.BAD_INPUT


class Refused(MigrateError):
    """The target is not empty, or values cannot be migrated as they are."""

    exit_code = ExitCode.REFUSED


class ConnectKind(StrEnum):
    """Why a connection failed: the wizard offers a fix for some (a password, creating the db)."""

    UNREACHABLE = "unreachable"  # no server answers at host:port (or the socket)
    NO_PASSWORD = "no_password"  # the server wants a password and none was found
    AUTH = "auth"  # the password (or the role) was rejected
    NO_DATABASE = "no_database"  # the server answers, the database does not exist
    SSL_REQUIRED = "ssl_required"  # client and server disagree on SSL
    PERMISSION = "permission"  # connected, but not allowed (CONNECT, CREATE DATABASE)
    LOST = "lost"  # the connection broke during the migration (nothing committed)
    OTHER = "other"  # anything libpq said that is none of the above


class ConnectFailed(MigrateError):
    """Cannot reach, authenticate to, or use the PostgreSQL server."""

    exit_code = ExitCode.CONNECT

    def __init__(self, message: str, kind: ConnectKind | str = ConnectKind.OTHER) -> None:
        super().__init__(message)
        self.kind = ConnectKind(kind)  # a plain string is accepted and checked


class VerificationFailed(MigrateError):
    """Counts or checksums differ after the copy; the transaction was rolled back."""

    exit_code = ExitCode.VERIFY_FAILED


class Cancelled(MigrateError):
    """The user cancelled; the transaction was rolled back."""

    exit_code = ExitCode.CANCELLED
