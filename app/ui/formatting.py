"""Numbers, sizes and durations as the screens show them (short, and the same everywhere)."""

from __future__ import annotations

from pathlib import Path


def count(n: int) -> str:
    """``12,345``."""
    return f"{n:,}"


def values(n: int) -> str:
    """``1 value``, ``2,241 values``."""
    return f"{n:,} value" + ("" if n == 1 else "s")


def as_they_are(n: int) -> str:
    """``1 value cannot be migrated as it is`` / ``3 values … as they are``."""
    return f"{values(n)} cannot be migrated as " + ("it is" if n == 1 else "they are")


def size(n_bytes: int) -> str:
    """``4.4 MB`` (SI units, like the generator and the README)."""
    value = float(n_bytes)
    for unit in ("B", "kB", "MB", "GB"):
        if value < 1000 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    return f"{value:.1f} TB"  # pragma: no cover - loop always returns


def duration(seconds: float | None) -> str:
    """``0:07``, ``1:02:03``; an em dash when unknown."""
    if seconds is None or seconds < 0 or seconds != seconds:  # NaN
        return "—"
    total = round(seconds)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02}:{secs:02}" if hours else f"{minutes}:{secs:02}"


def rate(rows_per_s: float | None) -> str:
    """``1,234/s``; an em dash when unknown."""
    if rows_per_s is None:
        return "—"
    return f"{rows_per_s:,.0f}/s"


def shown_path(path: Path) -> str:
    """A path as the user gave it, with the home folder as ``~``."""
    text = str(path)
    home = str(Path.home())
    if home != "/" and text.startswith(home + "/"):
        return "~" + text[len(home) :]
    return text
