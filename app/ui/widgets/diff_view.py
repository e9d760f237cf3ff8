"""A unified diff with added and removed lines coloured (the config switch preview).

Each line is a row of a two-column grid: the ``+``/``-`` marker, then the text. A line too long
for the screen (a DSN at 80 columns) wraps inside the text column, so its continuation stays
indented under it, in its colour, instead of starting at the left edge without a marker.
"""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.widgets import Static

STYLES = {"+": "green", "-": "red", "@": "cyan"}


def diff_grid(diff: str) -> Table:
    """The diff as marker | text rows, so wrapped lines keep their place (see above)."""
    grid = Table.grid(padding=(0, 1))
    grid.add_column(no_wrap=True, width=1)
    grid.add_column(overflow="fold")
    for line in diff.splitlines():
        style = _style(line)
        if line.startswith(("+++", "---", "@@")):
            grid.add_row("", Text(line, style=style))
        else:
            grid.add_row(Text(line[:1], style=style), Text(line[1:], style=style))
    return grid


def _style(line: str) -> str:
    return "bold" if line.startswith(("+++", "---")) else STYLES.get(line[:1], "")


class DiffView(Static):
    """The diff of ``user/config.toml`` that applying the switch would make."""

    def show_diff(self, diff: str) -> None:
        """Replace the shown diff."""
        self.update(diff_grid(diff) if diff else Text("(no change)"))
