"""Widen or accept (issue 10): alternatives in the wizard, and what the later steps are given."""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.widgets import Checkbox

from app.core.scan import ACCEPT_LOSSY, STRIP_NUL, WIDEN, Problem, ProblemCode
from app.ui.paths import stylesheet
from app.ui.widgets.repair_choices import EITHER_OR, RepairChoices, fixable_counts
from tests.ui.helpers import screen_text


class ChoicesApp(App[int]):
    """The widget alone, recording what it posts."""

    CSS_PATH = str(stylesheet())

    def __init__(self, counts: dict[str, int], chosen: frozenset[str] = frozenset()) -> None:
        super().__init__()
        self.counts, self.chosen, self.posted = counts, chosen, [chosen]

    def compose(self) -> ComposeResult:
        yield RepairChoices(self.counts, self.chosen)

    def on_repair_choices_changed(self, event: RepairChoices.Changed) -> None:
        self.posted.append(event.repairs)


def test_counts_name_each_repair_that_fixes_something() -> None:
    problems = [
        Problem("t", 1, "c", ProblemCode.LOSSY, "x"),
        Problem("t", 2, "c", ProblemCode.RANGE, "y"),
        Problem("t", 3, "c", ProblemCode.NUL),
        Problem("t", 4, "c", ProblemCode.TYPE),
    ]
    assert fixable_counts(problems) == {STRIP_NUL: 1, WIDEN: 2, ACCEPT_LOSSY: 1}


async def test_widen_and_accept_are_alternatives() -> None:
    app = ChoicesApp({WIDEN: 3, ACCEPT_LOSSY: 2, STRIP_NUL: 1})
    async with app.run_test(size=(80, 24)) as pilot:
        text = screen_text(app)
        assert EITHER_OR in text and "(1 value)" in text and "(3 values)" in text
        await pilot.click(f"#repair-{WIDEN}")
        await pilot.click(f"#repair-{ACCEPT_LOSSY}")
        await pilot.pause()
        assert app.posted[-1] == frozenset({ACCEPT_LOSSY})
        assert not app.query_one(f"#repair-{WIDEN}", Checkbox).value
        await pilot.click(f"#repair-{STRIP_NUL}")
        await pilot.click(f"#repair-{WIDEN}")
        await pilot.pause()
        assert app.posted[-1] == frozenset({WIDEN, STRIP_NUL})


async def test_both_chosen_before_shows_as_widen() -> None:
    """A state holding both (the engine's meaning: widen) shows only Widen ticked."""
    app = ChoicesApp({WIDEN: 1, ACCEPT_LOSSY: 1}, frozenset({WIDEN, ACCEPT_LOSSY}))
    async with app.run_test(size=(80, 24)):
        assert app.query_one(f"#repair-{WIDEN}", Checkbox).value
        assert not app.query_one(f"#repair-{ACCEPT_LOSSY}", Checkbox).value
