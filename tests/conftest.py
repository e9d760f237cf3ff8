"""Registers the shared fixtures; tests import names from ``tests.postgres``, never from here.

The fixtures live in helper modules so each is imported under one name only; this file makes them
visible to every test and sets the session-wide defaults.
"""

from __future__ import annotations

import os

# Never touch a real keychain from the tests (set before anything imports keyring).
os.environ.setdefault("PYTHON_KEYRING_BACKEND", "keyring.backends.null.Keyring")

from tests.postgres import (
    CANARY_PASSWORD,
    PgServer,
    TargetDb,
    pg_server,
    target_db,
)

__all__ = ["CANARY_PASSWORD", "PgServer", "TargetDb", "pg_server", "target_db"]
