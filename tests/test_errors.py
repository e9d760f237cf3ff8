"""Error kinds and password sources are StrEnums that read and serialise as their strings."""

from __future__ import annotations

import json

import pytest

from app.core.connect import PasswordSource
from app.core.errors import ConnectFailed, ConnectKind, ExitCode


def test_connect_kind_accepts_its_strings_and_serialises_as_them() -> None:
    err = ConnectFailed("The connection was lost.", "lost")
    assert err.kind is ConnectKind.LOST
    assert err.kind == "lost"
    assert json.dumps({"kind": err.kind}) == '{"kind": "lost"}'
    assert ConnectFailed("x").kind is ConnectKind.OTHER
    assert err.exit_code == ExitCode.CONNECT


def test_unknown_kind_is_a_bug_not_a_silent_string() -> None:
    with pytest.raises(ValueError):
        ConnectFailed("x", "nonsense")


def test_password_source_serialises_as_its_string() -> None:
    assert json.dumps([PasswordSource.LIBPQ, PasswordSource.NONE]) == '["libpq", "none"]'
    assert f"{PasswordSource.KEYRING}" == "keyring"
