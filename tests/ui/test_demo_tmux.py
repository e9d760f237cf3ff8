"""The demo in a real terminal (tmux): the first screen renders, and quitting, or a signal,
leaves no PostgreSQL process and no temporary folder behind."""

from __future__ import annotations

import os
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(
    shutil.which("tmux") is None, reason="tmux is not installed (CI installs it)"
)

# The installed console script, as a user runs it (beside the interpreter in the virtualenv).
_SCRIPT = Path(sys.executable).with_name("ailt-migrate")
DEMO = [str(_SCRIPT), "demo"] if _SCRIPT.exists() else [sys.executable, "-m", "app", "demo"]
REPO = Path(__file__).resolve().parents[2]


def tmux(*args: str) -> str:
    """Run a tmux command on the test's private server."""
    return subprocess.run(
        ["tmux", "-L", "ailt-ui-test", *args], check=True, capture_output=True, text=True
    ).stdout


def pane(session: str) -> str:
    """What the terminal shows now."""
    return tmux("capture-pane", "-p", "-t", session)


def wait(check: Callable[[], bool], timeout: float, what: str, show: Callable[[], str]) -> None:
    """Poll until ``check()``; fail with what the terminal showed."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}; the terminal shows:\n{show()}")
        time.sleep(0.2)


def processes_under(folder: Path) -> list[str]:
    """Command lines of PostgreSQL (and reaper) processes whose data lives under ``folder``."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cmd = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if str(folder) in cmd and ("bin/postgres" in cmd or "reaper.py" in cmd):
            found.append(cmd)
    return found


@pytest.fixture
def demo_session() -> Iterator[tuple[str, Path]]:
    """Start the demo in a detached 100x32 tmux session with its own TMPDIR."""
    tmp = Path(tempfile.mkdtemp(prefix="ailt-t-", dir="/tmp"))
    tmp.chmod(0o755)  # the embedded server runs as another user when we are root
    session = f"demo{os.getpid()}"
    env = f"TMPDIR={tmp} PYTHON_KEYRING_BACKEND=keyring.backends.null.Keyring"
    command = f"cd {shlex.quote(str(REPO))} && exec env {env} {shlex.join(DEMO)}"
    tmux("new-session", "-d", "-s", session, "-x", "100", "-y", "32", command)
    tmux("set-option", "-t", session, "remain-on-exit", "on")
    try:
        yield session, tmp
    finally:
        subprocess.run(
            ["tmux", "-L", "ailt-ui-test", "kill-session", "-t", session], capture_output=True
        )
        deadline = time.monotonic() + 20
        while processes_under(tmp) and time.monotonic() < deadline:
            time.sleep(0.2)
        shutil.rmtree(tmp, ignore_errors=True)


def _first_screen(session: str) -> None:
    wait(
        lambda: "1/8 Source" in pane(session) and "rows in 10 tables" in pane(session),
        60,
        "the first screen",
        lambda: pane(session),
    )


def _gone(session: str, tmp: Path) -> None:
    wait(
        lambda: tmux("display-message", "-p", "-t", session, "#{pane_dead}").strip() == "1",
        30,
        "the demo to exit",
        lambda: pane(session),
    )
    _cleaned(tmp)


def _cleaned(tmp: Path) -> None:
    """No server, no reaper, no folder left under ``tmp`` (within a few seconds)."""
    wait(
        lambda: not processes_under(tmp),
        15,
        "PostgreSQL to stop",
        lambda: "\n".join(processes_under(tmp)),
    )
    assert list(tmp.iterdir()) == [], f"left behind: {list(tmp.iterdir())}"


def test_demo_renders_and_cleans_up_on_ctrl_q(demo_session: tuple[str, Path]) -> None:
    """ctrl+q quits; the server and the files are gone."""
    session, tmp = demo_session
    _first_screen(session)
    text = pane(session)
    assert "Demo:" in text and "never in your keychain" in text
    assert processes_under(tmp), "the demo's PostgreSQL should be running"
    tmux("send-keys", "-t", session, "C-q")
    _gone(session, tmp)


@pytest.mark.parametrize(
    "sig", [signal.SIGTERM, signal.SIGHUP, signal.SIGINT], ids=["SIGTERM", "SIGHUP", "SIGINT"]
)
def test_demo_cleans_up_on_signal(demo_session: tuple[str, Path], sig: signal.Signals) -> None:
    """A signal (kill, a closed terminal, Ctrl+C from outside) ends the app and cleans up."""
    session, tmp = demo_session
    _first_screen(session)
    pid = int(tmux("display-message", "-p", "-t", session, "#{pane_pid}").strip())
    os.kill(pid, sig)
    _gone(session, tmp)


def test_demo_cleans_up_when_its_terminal_closes(demo_session: tuple[str, Path]) -> None:
    """Issue 11: ``tmux kill-session`` at step 1 once left the demo hanging with its server."""
    session, tmp = demo_session
    _first_screen(session)
    tmux("kill-session", "-t", session)
    _cleaned(tmp)


def test_demo_cleans_up_after_sigkill(demo_session: tuple[str, Path]) -> None:
    """Even SIGKILL, which runs no cleanup in the demo, leaves nothing behind (the reaper)."""
    session, tmp = demo_session
    _first_screen(session)
    pid = int(tmux("display-message", "-p", "-t", session, "#{pane_pid}").strip())
    os.kill(pid, signal.SIGKILL)
    _cleaned(tmp)


def test_demo_second_signal_does_not_deadlock(demo_session: tuple[str, Path]) -> None:
    """Two signals in a row: the demo still ends and cleans up within seconds."""
    session, tmp = demo_session
    _first_screen(session)
    pid = int(tmux("display-message", "-p", "-t", session, "#{pane_pid}").strip())
    os.kill(pid, signal.SIGHUP)
    os.kill(pid, signal.SIGTERM)
    _gone(session, tmp)
