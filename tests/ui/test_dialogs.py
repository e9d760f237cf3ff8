"""Dialogs keep their buttons on screen at 80x24, however long their text (issue 11 bug 3)."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.app import App
from textual.widgets import Button, DirectoryTree

from app.ui.dialogs.confirm import ConfirmDialog
from app.ui.dialogs.file_picker import FilePicker
from app.ui.paths import stylesheet
from tests.ui.helpers import screen_text

TRUNCATES = [f"TRUNCATE table_{i}  ({i * 100:,} rows)" for i in range(10)]
LINES = [
    "This deletes 4,500 rows from alice@db:5432/ai_log_trail,",
    "in one transaction:",
    "",
    *TRUNCATES,
    "",
    "Your SQLite file is not touched.",
]


class DialogApp(App[int]):
    """Just the wizard's stylesheet and one dialog."""

    CSS_PATH = str(stylesheet())

    def on_mount(self) -> None:
        self.push_screen(
            ConfirmDialog(
                "Clear the target?", LINES, yes="Clear the target", no="Keep it", danger=True
            )
        )


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


class PickerApp(App[int]):
    """The file picker alone, started in a sub-folder."""

    CSS_PATH = str(stylesheet())

    def __init__(self, start: Path) -> None:
        super().__init__()
        self.start = start

    def on_mount(self) -> None:
        self.push_screen(FilePicker(self.start))


async def test_file_picker_goes_above_its_starting_folder(tmp_path: Path) -> None:
    """Issue 11: backspace shows the parent folder, where the file is."""
    (tmp_path / "sub").mkdir()
    (tmp_path / "session_data.sqlite").write_bytes(b"")
    app = PickerApp(tmp_path / "sub")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert "session_data.sqlite" not in screen_text(app)
        await pilot.press("backspace")
        await pilot.pause(0.3)
        assert Path(app.screen.query_one(DirectoryTree).path) == tmp_path.resolve()
        assert "session_data.sqlite" in screen_text(app)
