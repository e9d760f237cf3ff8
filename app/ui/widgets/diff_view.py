"""A unified diff with added and removed lines coloured (the config switch preview)."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

STYLES = {"+": "green", "-": "red", "@": "cyan"}


def diff_text(diff: str) -> Text:
    """Colour a unified diff line by line, as plain text (no markup)."""
    out = Text()
    for line in diff.splitlines():
        style = "bold" if line.startswith(("+++", "---")) else STYLES.get(line[:1], "")
        out.append(line + "\n", style=style)
    out.rstrip()
    return out


class DiffView(Static):
    """The diff of ``user/config.toml`` that applying the switch would make."""

    def show_diff(self, diff: str) -> None:
        """Replace the shown diff."""
        self.update(diff_text(diff) if diff else Text("(no change)"))
