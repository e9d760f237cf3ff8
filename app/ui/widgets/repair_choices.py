"""The repairs the dry run offers, one checkbox each, next to the values they fix.

``widen-columns`` and ``accept-lossy`` are two answers to the same question (an existing target
column cannot hold a value exactly): widen the column, or keep it and accept the changed values.
They are alternatives, so ticking one unticks the other, and a line says so. (The engine treats
both together as widen; the wizard never sends both.)
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Checkbox, Static

from app.core.scan import ACCEPT_LOSSY, FIXES, REPAIRS, WIDEN, Problem
from app.ui import formatting

ALTERNATIVES = {WIDEN: ACCEPT_LOSSY, ACCEPT_LOSSY: WIDEN}
LABELS = {  # short enough for one line at 80 columns
    "strip-nul": "Remove NUL characters from the text",
    "replace-invalid-utf8": "Replace bytes that are not UTF-8 with U+FFFD",
    WIDEN: "Widen the target columns (ALTER COLUMN … TYPE)",
    ACCEPT_LOSSY: "Keep the columns and accept the changed values",
}
EITHER_OR = "Widen or accept: one or the other (each changed value is reported)."


def fixable_counts(problems: Iterable[Problem]) -> dict[str, int]:
    """How many listed values each repair would fix (repairs that fix none are left out)."""
    counts = dict.fromkeys(REPAIRS, 0)
    for p in problems:
        for name in FIXES.get(p.code, ()):
            counts[name] += 1
    return {name: n for name, n in counts.items() if n}


class RepairChoices(Vertical):
    """One checkbox per useful repair; posts :class:`RepairChoices.Changed`."""

    @dataclass
    class Changed(Message):
        """The chosen repairs changed."""

        repairs: frozenset[str]

    def __init__(
        self, counts: dict[str, int], chosen: frozenset[str], *, id: str | None = None
    ) -> None:
        super().__init__(id=id)
        self._counts = counts
        self._chosen = set(chosen)
        if WIDEN in self._chosen:
            self._chosen.discard(ACCEPT_LOSSY)  # both means widen: show it that way

    def compose(self) -> ComposeResult:
        """The checkboxes, and the either/or line when both lossy answers are offered."""
        for name, n in self._counts.items():
            label = f"{LABELS.get(name, REPAIRS[name])} ({formatting.values(n)})"
            yield Checkbox(label, name in self._chosen, id=f"repair-{name}", compact=True)
        if WIDEN in self._counts and ACCEPT_LOSSY in self._counts:
            yield Static(Text(EITHER_OR, style="italic"), classes="either-or")

    @property
    def chosen(self) -> frozenset[str]:
        """The repairs ticked now."""
        return frozenset(self._chosen)

    def on_checkbox_changed(self, event: Checkbox.Changed) -> None:
        """Record the choice; untick the alternative."""
        event.stop()
        name = (event.checkbox.id or "").removeprefix("repair-")
        if event.value:
            self._chosen.add(name)
            other = ALTERNATIVES.get(name)
            if other in self._chosen:
                self._chosen.discard(other)
                self.query_one(f"#repair-{other}", Checkbox).value = False
        else:
            self._chosen.discard(name)
        self.post_message(self.Changed(self.chosen))
