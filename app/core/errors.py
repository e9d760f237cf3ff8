"""Errors that carry a user-facing sentence and the exit status the command line returns."""

from __future__ import annotations

from enum import IntEnum


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


class ConnectFailed(MigrateError):
    """Cannot reach, authenticate to, or use the PostgreSQL server."""

    exit_code = ExitCode.CONNECT

    def __init__(self, message: str, kind: str = "other") -> None:
        super().__init__(message)
        # unreachable | no_password | auth | no_database | ssl_required | permission | other
        self.kind = kind


class VerificationFailed(MigrateError):
    """Counts or checksums differ after the copy; the transaction was rolled back."""

    exit_code = ExitCode.VERIFY_FAILED


class Cancelled(MigrateError):
    """The user cancelled; the transaction was rolled back."""

    exit_code = ExitCode.CANCELLED
