"""One line (or a few) of state: busy with a spinner, done, a warning, or an error to act on."""

from __future__ import annotations

from rich.text import Text
from textual.timer import Timer
from textual.widgets import Static

SPINNER = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"
SEVERITIES = ("busy", "ok", "warning", "error", "info")


class StatusLine(Static):
    """An inline message; user data is shown as plain text, never parsed as markup."""

    def __init__(self, text: str = "", *, id: str | None = None) -> None:
        super().__init__(Text(text), id=id, markup=False)
        self._message = text
        self._frame = 0
        self._timer: Timer | None = None
        self.severity = "info"

    @property
    def text(self) -> str:
        """The message shown now (without the spinner)."""
        return self._message

    def show(self, text: str, severity: str = "info") -> None:
        """Show ``text``; ``busy`` adds a spinner until the next call."""
        self._message = text
        self.severity = severity
        for name in SEVERITIES:
            self.set_class(name == severity, f"-{name}")
        self.display = bool(text)
        if severity == "busy" and self._timer is None:
            self._timer = self.set_interval(0.1, self._spin)
        elif severity != "busy" and self._timer is not None:
            self._timer.stop()
            self._timer = None
        self._render_text()

    def clear(self) -> None:
        """Hide the line."""
        self.show("", "info")

    def _spin(self) -> None:
        self._frame = (self._frame + 1) % len(SPINNER)
        self._render_text()

    def _render_text(self) -> None:
        prefix = {"busy": SPINNER[self._frame] + " ", "ok": "✓ ", "warning": "! ", "error": "✗ "}
        self.update(Text(prefix.get(self.severity, "") + self._message))
