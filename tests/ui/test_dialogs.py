"""Dialogs keep their buttons on screen at 80x24, however long their text (issue 11 bug 3)."""

from __future__ import annotations

import pytest
from textual.app import App
from textual.widgets import Button

from app.ui.dialogs.confirm import ConfirmDialog
from app.ui.paths import stylesheet
from tests.ui.helpers import screen_text

TRUNCATES = [f"TRUNCATE table_{i}  ({i * 100:,} rows)" for i in range(10)]
LINES = ["This deletes 4,500 rows from alice@db:5432/ai_log_trail,", "in one transaction:", "",
         *TRUNCATES, "", "Your SQLite file is not touched."]


class DialogApp(App[int]):
    """Just the wizard's stylesheet and one dialog."""

    CSS_PATH = str(stylesheet())

    def on_mount(self) -> None:
        self.push_screen(ConfirmDialog("Clear the target?", LINES, yes="Clear the target",
                                       no="Keep it", danger=True))


@pytest.mark.parametrize("size", [(80, 24), (80, 16), (120, 40)])
async def test_buttons_stay_visible(size: tuple[int, int]) -> None:
    app = DialogApp()
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        screen = app.screen
        for button_id in ("#yes", "#no"):
            region = screen.query_one(button_id, Button).region
            assert region.height > 0 and region.bottom <= size[1], (button_id, region)
            assert screen.region.contains_region(region)
        text = screen_text(app)
        assert "Clear the target" in text and "Keep it" in text
