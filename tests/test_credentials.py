"""Keyring store: in-memory, failing, hanging, and a real Secret Service."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from app.core.connect import connect
from app.core.credentials import (
    SERVICE,
    CredentialStore,
    KeyringStore,
    KeyringUnavailable,
    MemoryStore,
    keyring_status,
    lookup_for_connect,
)
from app.core.dsn import parse_dsn
from app.core.errors import ExitCode
from tests.keyring_helpers import (
    HangingKeyring,
    MemoryKeyring,
    exploding_keyring,
    fail_keyring,
    hanging_keyring,
    memory_keyring,
    null_keyring,
)
from tests.postgres import CANARY_PASSWORD, TargetDb

__all__ = [
    "exploding_keyring",
    "fail_keyring",
    "hanging_keyring",
    "memory_keyring",
    "null_keyring",
]

REPO = Path(__file__).resolve().parent.parent
TARGET = parse_dsn("postgresql://alice@db.example:5433/ailt")


# --- keyring ----------------------------------------------------------------------------------


def test_store_round_trip_keyed_by_target(memory_keyring: MemoryKeyring) -> None:
    store = KeyringStore()
    assert store.get(TARGET) is None
    store.set(TARGET, "s3cret")
    assert memory_keyring.passwords == {(SERVICE, "alice@db.example:5433/ailt"): "s3cret"}
    assert store.get(TARGET) == "s3cret"
    other_db = parse_dsn("postgresql://alice@db.example:5433/other")
    assert store.get(other_db) is None  # a password is never served to another database
    assert store.delete(TARGET) is True
    assert store.delete(TARGET) is False
    assert store.get(TARGET) is None


def test_status_names_the_usable_backend(memory_keyring: MemoryKeyring) -> None:
    usable, sentence = keyring_status()
    assert usable
    assert "keyring_helpers.MemoryKeyring" in sentence


def test_fail_backend_gives_one_sentence(fail_keyring: object) -> None:
    store = KeyringStore()
    with pytest.raises(KeyringUnavailable) as err:
        store.set(TARGET, "pw")
    message = str(err.value)
    assert message.startswith("No keyring backend is available (keyring.backends.fail.Keyring")
    # Also printed by `credentials status`, where there is no "run" (issue 11).
    assert "no password can be saved in it" in message and "gnome-keyring" in message
    assert "for this run only" not in message
    assert "keyrings.alt" in message and "PGPASSWORD" in message and "~/.pgpass" in message
    assert message.count(". ") == 0 and message.endswith(".")  # one sentence
    assert err.value.exit_code == ExitCode.BAD_INPUT
    usable, sentence = keyring_status()
    assert not usable and sentence == message
    assert lookup_for_connect(store)(TARGET) is None


def test_null_backend_is_unavailable_not_silently_dropped(null_keyring: object) -> None:
    # The Null backend (keyring --disable; conftest's session default) drops set() silently.
    usable, sentence = keyring_status()
    assert not usable
    assert "keyring.backends.null.Keyring" in sentence
    with pytest.raises(KeyringUnavailable):
        KeyringStore().set(TARGET, "pw")


def test_leaking_backend_errors_are_caught(exploding_keyring: object) -> None:
    store = KeyringStore()
    with pytest.raises(KeyringUnavailable) as err:
        store.get(TARGET)
    assert "(ConnectionError: org.freedesktop.DBus.Error.NoReply: did not receive" in str(err.value)
    assert lookup_for_connect(store)(TARGET) is None


def test_hanging_backend_times_out_once(hanging_keyring: HangingKeyring) -> None:
    store = KeyringStore(timeout_s=0.2)
    started = time.monotonic()
    with pytest.raises(KeyringUnavailable, match=r"did not answer within 0\.2 s"):
        store.get(TARGET)
    with pytest.raises(KeyringUnavailable, match="stopped answering"):
        store.set(TARGET, "pw")  # not asked again: no second hung thread
    assert lookup_for_connect(store)(TARGET) is None
    assert time.monotonic() - started < 2
    assert hanging_keyring.calls == 1


def _backend_class(module: str, name: str, priority: float) -> type:
    from keyring.backend import KeyringBackend

    cls = type(name, (MemoryKeyring,), {"priority": priority, "__module__": module})
    assert issubclass(cls, KeyringBackend)
    return cls


def test_plaintext_backend_only_when_chosen(monkeypatch: pytest.MonkeyPatch) -> None:
    cls = _backend_class("keyrings.alt.file", "PlaintextKeyring", 0.5)
    store = KeyringStore(backend=cls())
    monkeypatch.setenv("XDG_CONFIG_HOME", "/nonexistent")
    with pytest.raises(KeyringUnavailable, match="not chosen explicitly"):
        store.set(TARGET, "pw")
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyrings.alt.file.PlaintextKeyring")
    store.set(TARGET, "pw")
    assert store.get(TARGET) == "pw"


def test_backend_chosen_in_keyringrc(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    cls = _backend_class("keyrings.alt.file", "PlaintextKeyring", 0.5)
    (tmp_path / "python_keyring").mkdir()
    (tmp_path / "python_keyring" / "keyringrc.cfg").write_text(
        "[backend]\ndefault-keyring = keyrings.alt.file.PlaintextKeyring\n"
    )
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    assert KeyringStore(backend=cls()).status()[0]


def test_low_priority_backend_is_unavailable() -> None:
    cls = _backend_class("some.vendor", "Weak", 0)
    usable, sentence = KeyringStore(backend=cls()).status()
    assert not usable and "some.vendor.Weak is not a recommended backend" in sentence


def test_memory_store_for_this_run_only() -> None:
    store = MemoryStore()
    store.set(TARGET, "pw")
    assert lookup_for_connect(store)(TARGET) == "pw"
    assert store.delete(TARGET) and not store.delete(TARGET)


def test_keyring_lookup_feeds_connect(
    memory_keyring: MemoryKeyring, target_db: TargetDb, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PGPASSWORD", raising=False)
    monkeypatch.setenv("PGPASSFILE", "/nonexistent/pgpass")
    target = parse_dsn(target_db.conninfo)
    store = KeyringStore()
    store.set(target, CANARY_PASSWORD)
    found = connect(target, keyring_lookup=lookup_for_connect(store), autocommit=True)
    try:
        assert found.password_source == "keyring"
    finally:
        found.conn.close()


SECRET_SERVICE_SCRIPT = textwrap.dedent(
    """
    import json
    from app.core.credentials import KeyringStore
    from app.core.dsn import Target, parse_dsn

    store = KeyringStore()
    target = parse_dsn("postgresql://alice@db.example:5433/ailt")
    out = {"status": store.status()}
    store.set(target, "Secret-Service-pw")
    out["read"] = store.get(target)
    out["forget"] = store.delete(target)
    out["after"] = store.get(target)
    out["forget_again"] = store.delete(target)
    print(json.dumps(out))
    """
)


def test_real_secret_service(tmp_path: Path) -> None:
    """gnome-keyring under dbus-run-session with keyring's SecretService backend."""
    missing = [t for t in ("dbus-run-session", "gnome-keyring-daemon") if not shutil.which(t)]
    if missing:
        pytest.skip(f"{' and '.join(missing)} not installed (apt-get install dbus gnome-keyring)")
    script = tmp_path / "probe.py"
    script.write_text(SECRET_SERVICE_SCRIPT)
    env = {
        **os.environ,
        "HOME": str(tmp_path),
        "XDG_DATA_HOME": str(tmp_path / "data"),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "XDG_RUNTIME_DIR": str(tmp_path),
        "PYTHON_KEYRING_BACKEND": "keyring.backends.SecretService.Keyring",
        "PYTHONPATH": str(REPO),
    }
    env.pop("DBUS_SESSION_BUS_ADDRESS", None)
    shell = (
        "printf unlock-pw | gnome-keyring-daemon --unlock --components=secrets >/dev/null"
        f' && exec "{sys.executable}" "{script}"'
    )
    done = subprocess.run(
        ["dbus-run-session", "--", "sh", "-c", shell],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=REPO,
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["status"][0], result["status"][1]
    assert result["read"] == "Secret-Service-pw"
    assert result["forget"] is True
    assert result["after"] is None
    assert result["forget_again"] is False


def test_every_store_answers_status_and_where() -> None:
    """The wizard asks any CredentialStore these; neither store needs a type check."""
    memory: CredentialStore = MemoryStore()
    assert memory.status() == (True, "The password is kept in memory for this run only.")
    assert memory.where == "in memory for this run only"
    keyring_store: CredentialStore = KeyringStore()
    usable, sentence = keyring_store.status()  # the Null backend in the tests: unusable
    assert not usable and sentence.startswith("No keyring backend is available")
    assert keyring_store.where == "in the system keyring"
