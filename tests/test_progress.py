"""The terminal progress line of run and sync."""

from __future__ import annotations

import io

from app.cli.progress import TerminalProgress


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_without_an_overall_total_only_the_table_is_shown() -> None:
    """sync knows no overall total up front: no 'all: 496/1 (49600%)'."""
    out = _Tty()
    progress = TerminalProgress(0, stream=out, interval_s=0)
    progress.progress("files", 496, 500)
    line = out.getvalue().rsplit("\x1b[2K", 1)[-1]
    assert line == "files: 496/500"


def test_with_a_total_the_overall_share_is_shown() -> None:
    out = _Tty()
    progress = TerminalProgress(1000, stream=out, interval_s=0)
    progress.progress("files", 250, 500)
    assert "all: 250/1,000 (25%)" in out.getvalue()
