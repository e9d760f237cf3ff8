"""Keyring backends and fixtures for tests: never touch a real keychain.

Backends are set explicitly with ``keyring.set_keyring`` and the previous one is restored; the
session-wide ``PYTHON_KEYRING_BACKEND`` (the Null backend, from conftest) keeps keyring's own
discovery from ever picking these classes by priority.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator

import keyring
import pytest
from keyring.backend import KeyringBackend
from keyring.backends import fail, null
from keyring.errors import PasswordDeleteError


class MemoryKeyring(KeyringBackend):
    """A dict-backed keyring."""

    priority = 1

    def __init__(self) -> None:
        super().__init__()
        self.passwords: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.passwords.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.passwords[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        if self.passwords.pop((service, username), None) is None:
            raise PasswordDeleteError("No such password!")


class HangingKeyring(KeyringBackend):
    """A keyring that blocks like a locked Secret Service collection, until released."""

    priority = 1

    def __init__(self) -> None:
        super().__init__()
        self.release = threading.Event()
        self.calls = 0

    def get_password(self, service: str, username: str) -> str | None:
        self.calls += 1
        self.release.wait(30)
        return None

    def set_password(self, service: str, username: str, password: str) -> None:
        self.get_password(service, username)

    def delete_password(self, service: str, username: str) -> None:
        self.get_password(service, username)


class ExplodingKeyring(KeyringBackend):
    """A keyring whose calls fail the way D-Bus errors leak through (not KeyringError)."""

    priority = 1

    def get_password(self, service: str, username: str) -> str | None:
        raise ConnectionError("org.freedesktop.DBus.Error.NoReply: did not receive a reply")

    set_password = delete_password = get_password  # type: ignore[assignment]


def _use(backend: KeyringBackend) -> Iterator[KeyringBackend]:
    previous = keyring.get_keyring()
    keyring.set_keyring(backend)
    try:
        yield backend
    finally:
        keyring.set_keyring(previous)


@pytest.fixture
def memory_keyring() -> Iterator[MemoryKeyring]:
    """An in-memory keyring as the process default for one test."""
    backend = MemoryKeyring()
    yield from _use(backend)  # type: ignore[misc]


@pytest.fixture
def fail_keyring() -> Iterator[KeyringBackend]:
    """keyring's "no backend available" keyring (headless Linux without a Secret Service)."""
    yield from _use(fail.Keyring())


@pytest.fixture
def null_keyring() -> Iterator[KeyringBackend]:
    """keyring's "disabled" keyring: get returns None and set silently does nothing."""
    yield from _use(null.Keyring())


@pytest.fixture
def hanging_keyring() -> Iterator[HangingKeyring]:
    """A keyring that never answers (released at teardown so no thread is left waiting)."""
    backend = HangingKeyring()
    try:
        yield from _use(backend)  # type: ignore[misc]
    finally:
        backend.release.set()


@pytest.fixture
def exploding_keyring() -> Iterator[KeyringBackend]:
    """A keyring whose every call raises a non-keyring exception."""
    yield from _use(ExplodingKeyring())
