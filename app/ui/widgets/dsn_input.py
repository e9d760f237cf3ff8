"""The DSN field: shows any password inside it as dots from the first key typed.

Why: a password pasted into the DSN moves to the masked field at once, but one typed key by key
stays in the DSN until the field loses focus (until then the text is not a complete DSN), so it
was readable over the user's shoulder. The value is kept exactly as typed (the cursor and
editing work as usual); only what is drawn hides the password, character for character.
"""

from __future__ import annotations

import re

from rich.text import Text
from textual.widgets import Input

MASK_CHAR = "•"
# The password of a URL (user:PASSWORD@, also while it is being typed), a password query
# parameter, and a key=value password (quoted or not, also unfinished).
_PATTERNS = (
    re.compile(r"^\s*postgres(?:ql)?://[^:/@?#]*:(?P<secret>[^@/?#]*)"),
    re.compile(r"[?&](?:ssl)?password=(?P<secret>[^&#]*)"),
    re.compile(r"(?:^|\s)(?:ssl)?password\s*=\s*(?P<secret>'(?:[^'\\]|\\.)*'?|\S*)"),
)


def masked(text: str) -> str:
    """``text`` with every password character replaced by a dot (same length)."""
    chars = list(text)
    for pattern in _PATTERNS:
        for match in pattern.finditer(text):
            start, end = match.span("secret")
            chars[start:end] = MASK_CHAR * (end - start)
    return "".join(chars)


class DsnInput(Input):
    """An Input whose rendering masks the password part of a DSN."""

    @property
    def _value(self) -> Text:
        return Text(masked(self.value), no_wrap=True, overflow="ignore", end="")
