"""The signal policy ends a process whose main thread is stuck (issue 11, bug 1)."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

# The main thread blocks on a lock forever, as the demo's did when its terminal closed.
STUCK = """
import sys, threading
from app.ui.signals import exit_on_signals
policy = exit_on_signals(lambda sig: None)  # an owner that never finishes
policy.grace_s = float(sys.argv[1])
print("ready", flush=True)
lock = threading.Lock(); lock.acquire(); lock.acquire()
"""


def _stuck(grace_s: float) -> subprocess.Popen[str]:
    proc = subprocess.Popen(
        [sys.executable, "-c", STUCK, str(grace_s)],
        cwd=REPO,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "ready"
    return proc


def test_first_signal_ends_a_stuck_process_after_the_grace_period() -> None:
    """SIGTERM once: the owner is asked, and the process is gone after the deadline."""
    proc = _stuck(0.5)
    started = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=10) == 128 + signal.SIGTERM
    assert time.monotonic() - started < 5


def test_second_signal_ends_it_at_once() -> None:
    """A second signal does not wait for the deadline (and cannot deadlock)."""
    proc = _stuck(60)
    proc.send_signal(signal.SIGHUP)
    time.sleep(0.2)
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=5) == 128 + signal.SIGTERM
