"""The Back / Next buttons at the bottom of every step (the keys in the footer do the same)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Button, Static


class NavBar(Horizontal):
    """A hint on the left, then Back and the step's forward action."""

    def __init__(self, next_label: str = "Next", *, back: bool = True) -> None:
        super().__init__(id="nav")
        self._next_label = next_label
        self._back = back

    def compose(self) -> ComposeResult:
        """Hint, Back, Next."""
        yield Static("", id="nav-hint", markup=False)
        if self._back:
            yield Button("Back", id="back", compact=True)
        yield Button(self._next_label, id="next", variant="primary", compact=True)

    def set_next(self, *, enabled: bool | None = None, label: str | None = None) -> None:
        """Enable or relabel the forward button."""
        button = self.query_one("#next", Button)
        if enabled is not None:
            button.disabled = not enabled
        if label is not None:
            button.label = label

    def set_back(self, enabled: bool) -> None:
        """Enable or disable Back (blocked while a migration runs)."""
        for button in self.query("#back").results(Button):
            button.disabled = not enabled

    def hint(self, text: str) -> None:
        """A short plain-text hint next to the buttons."""
        self.query_one("#nav-hint", Static).update(text)
