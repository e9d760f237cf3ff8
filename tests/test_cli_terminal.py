"""What a person at a terminal sees: a hidden password prompt and live progress on stderr."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
import time
from pathlib import Path

from tests.postgres import CANARY_PASSWORD, TargetDb


def _read_until(fd: int, needle: bytes, timeout: float = 60) -> bytes:
    seen = b""
    deadline = time.monotonic() + timeout
    while needle not in seen and time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.2)
        if ready:
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                break
            if not chunk:
                break
            seen += chunk
    return seen


def test_prompt_and_progress_on_a_terminal(tmp_path: Path, target_db: TargetDb) -> None:
    db = tmp_path / "big.sqlite"
    from app.sample.generator import generate

    generate(db, target_bytes=15_000_000, seed=5)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    env.update(HOME=str(tmp_path), PYTHON_KEYRING_BACKEND="keyring.backends.null.Keyring")
    main, child = pty.openpty()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "app",
            "run",
            "--sqlite",
            str(db),
            "--postgres-dsn",
            target_db.url,
            "--execute",
            "--batch-size",
            "100",
        ],
        stdin=child,
        stdout=child,
        stderr=child,
        cwd=tmp_path,
        env=env,
        start_new_session=True,
    )
    os.close(child)
    try:
        prompt = _read_until(main, b"Password for")
        assert b"Password for ailt_canary@" in prompt
        os.write(main, CANARY_PASSWORD.encode() + b"\n")
        rest = _read_until(main, b"Committed.")
        proc.wait(timeout=60)
    finally:
        os.close(main)
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, rest.decode(errors="replace")
    text = rest.decode(errors="replace")
    assert "rows/s" in text and "ETA" in text  # live progress was drawn
    assert "match" in text
    assert CANARY_PASSWORD not in (prompt + rest).decode(errors="replace")  # no echo


def test_eta_follows_the_recent_rate() -> None:
    """Issue 11: after a fast table, a slow one must lengthen the ETA (it stayed at 0:01)."""
    from app.cli.progress import RecentRate, _fmt_duration

    recent = RecentRate(window_s=5)
    assert recent.add(0.0, 0) is None  # too early for a rate
    rate = None
    for t in range(1, 6):  # fast: 10,000 rows/s
        rate = recent.add(float(t), 10_000 * t)
    assert rate == 10_000
    for t in range(6, 16):  # slow: 100 rows/s
        rate = recent.add(float(t), 50_000 + 100 * (t - 5))
    assert rate is not None and rate <= 100
    assert _fmt_duration(0.2) == "0:01" and _fmt_duration(61) == "1:01"
