"""DataTable cells made from user data: always ``rich.text.Text``, so ``[x]`` is never markup."""

from __future__ import annotations

from rich.text import Text

from app.ui.formatting import count


def text(value: object, style: str = "") -> Text:
    """A plain-text cell."""
    return Text("" if value is None else str(value), style=style)


def number(value: int | None, style: str = "") -> Text:
    """A right-aligned count."""
    return Text("—" if value is None else count(value), style=style, justify="right")


def right(value: str, style: str = "", width: int = 0) -> Text:
    """Right-aligned plain text (rates, durations), padded to ``width`` so columns don't jump."""
    return Text(value.rjust(width), style=style, justify="right")


def key(value: object, style: str = "") -> Text:
    """A row key: a count when it is an integer (rowid, id), else the key's text."""
    if value is None or isinstance(value, int):
        return number(value if isinstance(value, int) else None, style)
    return text(value, style)
