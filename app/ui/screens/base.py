"""What every step shares: the "N/8 Name" header, the demo line, Back/Next and their keys."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, cast

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Button, Footer, Header, Static

from app.ui.widgets.nav_bar import NavBar

if TYPE_CHECKING:
    from app.ui.app import WizardApp

STEPS = 8


class WizardScreen(Screen[None]):
    """A step: subclasses give ``STEP``, ``STEP_NAME``, ``compose_body`` and ``action_next``."""

    STEP: ClassVar[int] = 0
    STEP_NAME: ClassVar[str] = ""
    NEXT_LABEL: ClassVar[str] = "Next"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back"),
        Binding("ctrl+n", "next", "Next"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.sub_title = f"{self.STEP}/{STEPS} {self.STEP_NAME}"
        self._next_allowed = False
        self._back_allowed = self.STEP > 1

    @property
    def wizard(self) -> WizardApp:
        """The app, typed."""
        return cast("WizardApp", self.app)

    def compose(self) -> ComposeResult:
        """Header, optional demo line, the step's body, Back/Next, footer."""
        yield Header()
        note = self.wizard.deps.demo_note
        if note:
            yield Static(note, id="demo-note", markup=False)
        with VerticalScroll(id="body"):
            yield from self.compose_body()
        yield NavBar(self.NEXT_LABEL, back=self.STEP > 1)
        yield Footer()

    def compose_body(self) -> ComposeResult:
        """The step's own widgets."""
        yield from ()

    def on_mount(self) -> None:
        """Sync the buttons with the keys (Textual also runs each subclass's ``on_mount``)."""
        self.allow_next(self._next_allowed)

    # --- navigation ---------------------------------------------------------------------------

    def allow_next(self, allowed: bool) -> None:
        """Enable or disable the forward button and key together."""
        self._next_allowed = allowed
        self.query_one(NavBar).set_next(enabled=allowed)
        self.refresh_bindings()

    def allow_back(self, allowed: bool) -> None:
        """Enable or disable Back (button and escape) together."""
        self._back_allowed = allowed and self.STEP > 1
        self.query_one(NavBar).set_back(self._back_allowed)
        self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Dim Back/Next in the footer when they would do nothing."""
        if action == "next":
            return True if self._next_allowed else None
        if action == "back":
            if self.STEP == 1:
                return False  # nothing before step 1: hide the key
            return True if self._back_allowed else None
        return True

    def action_back(self) -> None:
        """Return to the previous step."""
        if self._back_allowed:
            self.app.pop_screen()

    def action_next(self) -> None:
        """Go on to the next step (subclasses decide what that takes)."""

    @on(Button.Pressed, "#back")
    def _back_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_back()

    @on(Button.Pressed, "#next")
    def _next_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if self._next_allowed:
            self.action_next()
