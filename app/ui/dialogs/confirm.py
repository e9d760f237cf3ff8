"""A yes/no question in a modal: every destructive or irreversible choice goes through one."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Static

DIALOG_CHROME = 8  # thick border 2, padding 2, title + its margin 2, buttons + their margin 2
MIN_BODY, MAX_BODY = 2, 14


class ConfirmDialog(ModalScreen[bool]):
    """Asks once; ``dismiss(True)`` only from the confirm button (escape and No say False)."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "dismiss(False)", "No")]

    def __init__(
        self,
        title: str,
        lines: list[str],
        *,
        yes: str = "Yes",
        no: str = "No",
        danger: bool = False,
    ) -> None:
        super().__init__()
        self._title = title
        self._lines = lines
        self._yes = yes
        self._no = no
        self._danger = danger

    def compose(self) -> ComposeResult:
        """Question, details, and the two buttons (No is focused: a stray Enter is safe)."""
        with Vertical(id="dialog"):
            yield Static(Text(self._title, style="bold"), id="dialog-title")
            with VerticalScroll(id="dialog-body"):
                yield Static(Text("\n".join(self._lines)), id="dialog-text")
            with Horizontal(id="dialog-buttons"):
                yield Button(self._no, id="no", compact=True)
                yield Button(
                    self._yes,
                    id="yes",
                    compact=True,
                    variant="error" if self._danger else "primary",
                )

    def on_mount(self) -> None:
        """Focus the safe answer; fit the text between the title and the buttons."""
        self.query_one("#no", Button).focus()
        self._fit(self.size.height)

    def on_resize(self, event: events.Resize) -> None:
        """A smaller terminal shrinks the scrolling text, never the buttons."""
        self._fit(event.size.height)

    def _fit(self, height: int) -> None:
        # The dialog may use 90% of the screen; its border, padding, title and button row
        # take DIALOG_CHROME lines of that. The text scrolls in what is left.
        room = int(height * 0.9) - DIALOG_CHROME
        self.query_one("#dialog-body").styles.max_height = max(MIN_BODY, min(MAX_BODY, room))

    @on(Button.Pressed)
    def _answer(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(event.button.id == "yes")
