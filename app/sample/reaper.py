"""A watchdog that removes the demo's server and folders once the demo process is gone.

Why: a process can end in ways that run none of its own cleanup (SIGKILL, a hard exit after a
hang, the terminal closing mid-shutdown). The reaper is a separate process in its own session
(so a closed terminal does not reach it) that holds the read end of a pipe only the demo writes
to. When the demo ends, however it ends, the pipe reaches end-of-file: the reaper stops every
PostgreSQL whose data lives under the watched folders, then deletes the folders. A normal exit
cleans up first and the reaper then finds nothing left to do.

Run as ``python -I reaper.py FOLDER...`` by :class:`Reaper` (the file alone: it imports nothing
of the project); nothing secret is passed.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

STOP_WAIT_S = 5.0  # a fast shutdown of an idle throw-away server takes well under a second


class Reaper:
    """Start the watchdog for ``folders``; :meth:`close` ends it after a normal cleanup."""

    def __init__(self, folders: Sequence[Path]) -> None:
        self._proc = subprocess.Popen(
            [sys.executable, "-I", __file__, *map(str, folders)],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # no SIGHUP from a closed terminal, no Ctrl+C from its tty
            cwd="/",
        )

    def close(self) -> None:
        """Close the pipe (the reaper then checks the folders, finds them gone, and exits)."""
        if self._proc.stdin is not None:
            with contextlib.suppress(OSError):
                self._proc.stdin.close()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self._proc.wait(timeout=STOP_WAIT_S + 2)


def postmaster_pids(folder: Path) -> list[int]:
    """Process ids from every ``postmaster.pid`` under ``folder``."""
    pids = []
    for pidfile in folder.rglob("postmaster.pid"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            pids.append(int(pidfile.read_text().split()[0]))
    return pids


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie still answers kill(0); /proc says whether it is one.
    with contextlib.suppress(OSError):
        return " Z " not in Path(f"/proc/{pid}/stat").read_text().split(")", 1)[1][:4]
    return True


def stop_server(pid: int, wait_s: float = STOP_WAIT_S) -> None:
    """Fast shutdown (SIGINT: roll back, disconnect, stop); SIGKILL if it takes too long."""
    for sig in (signal.SIGINT, signal.SIGKILL):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, sig)
        deadline = time.monotonic() + wait_s
        while _alive(pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        if not _alive(pid):
            return


def reap(folders: Sequence[Path]) -> None:
    """Stop the servers under ``folders`` and delete the folders."""
    for folder in folders:
        for pid in postmaster_pids(folder):
            stop_server(pid)
    for folder in folders:
        shutil.rmtree(folder, ignore_errors=True)


def main(argv: Sequence[str]) -> int:
    """Wait for end-of-file on stdin (the demo is gone), then reap."""
    for sig in (signal.SIGINT, signal.SIGHUP, signal.SIGTERM):
        signal.signal(sig, signal.SIG_IGN)
    with contextlib.suppress(OSError):
        while os.read(0, 4096):
            pass
    reap([Path(a) for a in argv])
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
