"""Where a PostgreSQL password is remembered between runs: the system keyring.

The keyring is optional. On a headless Linux machine it is often missing (``NoKeyringError``),
disabled (the Null backend silently drops writes), a plaintext file (``keyrings.alt``), or a locked
Secret Service collection that blocks forever waiting for an unlock prompt. So every call runs in a
daemon thread with a time limit, every error is caught, and an unusable backend becomes one
:class:`KeyringUnavailable` sentence: the wizard then keeps the password in memory until it quits.

``~/.pgpass`` (:mod:`app.core.pgpass`) is the opt-in alternative that AI Log Trail itself can
read, because it connects through libpq.
"""

from __future__ import annotations

import configparser
import os
import re
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol, TypeVar

from app.core.dsn import Target, scrub
from app.core.errors import ExitCode, MigrateError

SERVICE = "ailt-migrate"
KEYRING_TIMEOUT_S = 5.0

T = TypeVar("T")


class KeyringUnavailable(MigrateError):
    """No usable keyring backend: the password can only be kept for this run."""

    exit_code = ExitCode.BAD_INPUT


def unavailable_message(reason: str) -> str:
    """The one sentence shown when the keyring cannot be used, with what to do instead."""
    return (
        f"No keyring backend is available ({reason}), so no password can be saved in it "
        "(the wizard keeps one in memory until it quits): "
        "to remember it, start a Secret Service such as gnome-keyring, or pip install keyrings.alt "
        "and select it with PYTHON_KEYRING_BACKEND, or put the password in PGPASSWORD or "
        "~/.pgpass."
    )


class CredentialStore(Protocol):
    """Saves one password per connection (``Target.key``); the wizard and the CLI share it."""

    def get(self, target: Target) -> str | None:
        """The saved password, or None when none is saved."""
        ...

    def set(self, target: Target, password: str) -> None:
        """Save (or replace) the password."""
        ...

    def delete(self, target: Target) -> bool:
        """Remove the password; False when none was saved."""
        ...

    def status(self) -> tuple[bool, str]:
        """Whether saving works here, and one sentence saying where passwords go (never raises)."""
        ...

    @property
    def where(self) -> str:
        """Where a saved password is kept, for "The password ... is kept {where}."."""
        ...


class MemoryStore:
    """A store that forgets at exit: the fallback when the keyring is unavailable."""

    def __init__(self) -> None:
        self._passwords: dict[str, str] = {}

    def get(self, target: Target) -> str | None:
        """The password kept during this run, if any."""
        return self._passwords.get(target.key)

    def set(self, target: Target, password: str) -> None:
        """Keep the password for this run."""
        self._passwords[target.key] = password

    def delete(self, target: Target) -> bool:
        """Forget the password; False when none was kept."""
        return self._passwords.pop(target.key, None) is not None

    def status(self) -> tuple[bool, str]:
        """Always usable: it only lives as long as the process."""
        return True, "The password is kept in memory for this run only."

    @property
    def where(self) -> str:
        """In memory, for this run only."""
        return "in memory for this run only"


class KeyringStore:
    """The system keyring, under one service name, keyed by ``user@host:port/dbname``.

    ``backend`` pins a keyring backend (tests); by default keyring's own choice is used, looked up
    on every call so that ``keyring.set_keyring`` takes effect.
    """

    def __init__(
        self,
        service: str = SERVICE,
        *,
        timeout_s: float = KEYRING_TIMEOUT_S,
        backend: Any | None = None,
    ) -> None:
        self.service = service
        self.timeout_s = timeout_s
        self._backend = backend
        self._hung = False  # a backend that timed out once is not asked again (its thread hangs)

    def get(self, target: Target) -> str | None:
        """The saved password, or None; raises :class:`KeyringUnavailable`."""
        value = self._call(lambda kr: kr.get_password(self.service, target.key))
        return value if isinstance(value, str) and value else None

    def set(self, target: Target, password: str) -> None:
        """Save the password; raises :class:`KeyringUnavailable`."""
        self._call(lambda kr: kr.set_password(self.service, target.key, password), password)

    def delete(self, target: Target) -> bool:
        """Remove the password; False when none was saved. Raises :class:`KeyringUnavailable`."""

        def forget(kr: Any) -> bool:
            from keyring.errors import PasswordDeleteError

            try:
                kr.delete_password(self.service, target.key)
            except PasswordDeleteError:
                return False
            return True

        return bool(self._call(forget))

    @property
    def where(self) -> str:
        """In the system keyring."""
        return "in the system keyring"

    def status(self) -> tuple[bool, str]:
        """Whether this store's backend is usable, and a sentence naming it."""
        try:
            return True, self._call(_usable_sentence)
        except KeyringUnavailable as exc:
            return False, str(exc)

    def _call(self, action: Callable[[Any], T], secret: str | None = None) -> T:
        """Run ``action(backend)`` off the calling thread, within the time limit.

        ``secret`` is masked in the error sentence, should a backend echo it.
        """
        if self._hung:
            raise KeyringUnavailable(unavailable_message("the keyring stopped answering earlier"))

        def work() -> T:
            backend = self._backend if self._backend is not None else _default_backend()
            _check_usable(backend)
            return action(backend)

        try:
            return _run_with_timeout(work, self.timeout_s)
        except TimeoutError:
            self._hung = True
            raise KeyringUnavailable(
                unavailable_message(f"the keyring did not answer within {self.timeout_s:g} s")
            ) from None
        except KeyringUnavailable:
            raise
        except Exception as exc:  # D-Bus, jeepney and backend errors leak through keyring
            reason = scrub(_reason(exc), [secret] if secret else [])
            raise KeyringUnavailable(unavailable_message(reason)) from None


def keyring_status(timeout_s: float = KEYRING_TIMEOUT_S) -> tuple[bool, str]:
    """(usable?, one sentence naming the backend): what the wizard shows next to "remember"."""
    return KeyringStore(timeout_s=timeout_s).status()


def lookup_for_connect(store: CredentialStore) -> Callable[[Target], str | None]:
    """A ``keyring_lookup`` for :func:`app.core.connect.connect` that never raises."""

    def lookup(target: Target) -> str | None:
        try:
            return store.get(target)
        except Exception:
            return None

    return lookup


# --- keyring backends ------------------------------------------------------------------------


def _default_backend() -> Any:
    import keyring

    return keyring.get_keyring()


def _class_path(backend: Any) -> str:
    cls = type(backend)
    return f"{cls.__module__}.{cls.__name__}"


def _priority(backend: Any) -> float:
    try:
        return float(backend.priority)
    except Exception:
        return 0.0


def _check_usable(backend: Any) -> None:
    """Raise :class:`KeyringUnavailable` for backends that would lose or expose the password."""
    path = _class_path(backend)
    if path.startswith("keyring.backends.chainer."):
        chained = list(getattr(backend, "backends", []))
        if not chained:
            raise KeyringUnavailable(unavailable_message("the keyring chain is empty"))
        backend, path = chained[0], _class_path(chained[0])  # writes go to the first one
    if path.startswith(("keyring.backends.fail.", "keyring.backends.null.")):
        raise KeyringUnavailable(unavailable_message(f"{path} is selected"))
    if _chosen_explicitly(path):
        return
    if path.startswith("keyrings.alt."):
        raise KeyringUnavailable(
            unavailable_message(f"{path} stores passwords in a file and was not chosen explicitly")
        )
    if _priority(backend) <= 0:
        raise KeyringUnavailable(unavailable_message(f"{path} is not a recommended backend"))


def _usable_sentence(backend: Any) -> str:
    return f"Passwords are saved in the system keyring ({_class_path(backend)})."


def _chosen_explicitly(path: str) -> bool:
    """Whether the user named this backend in PYTHON_KEYRING_BACKEND or keyringrc.cfg."""
    if os.environ.get("PYTHON_KEYRING_BACKEND", "").strip() == path:
        return True
    try:
        from keyring.util import platform_

        parser = configparser.RawConfigParser()
        parser.read(Path(platform_.config_root()) / "keyringrc.cfg", encoding="utf-8")
        return parser.get("backend", "default-keyring", fallback="").strip() == path
    except Exception:
        return False


def _reason(exc: BaseException) -> str:
    """A short reason: the exception's class and the first clause of its message."""
    text = str(exc).strip()
    first = re.split(r"\n|\. ", text, maxsplit=1)[0][:120].rstrip(".") if text else ""
    return f"{type(exc).__name__}: {first}" if first else type(exc).__name__


def _run_with_timeout(fn: Callable[[], T], timeout_s: float) -> T:
    """Run ``fn`` in a daemon thread; raise TimeoutError if it does not finish in time.

    A locked Secret Service collection can block forever; a daemon thread never keeps the
    process alive at exit.
    """
    result: list[T] = []
    error: list[BaseException] = []
    done = threading.Event()

    def work() -> None:
        try:
            result.append(fn())
        except BaseException as exc:
            error.append(exc)
        finally:
            done.set()

    threading.Thread(target=work, name="ailt-keyring", daemon=True).start()
    if not done.wait(timeout_s):
        raise TimeoutError
    if error:
        raise error[0]
    return result[0]
