"""Step 6 (issue 10): the spot check's cells in a table, the highlighted one shown whole."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from textual.widgets import DataTable, Static

from app.ui.app import WizardApp
from app.ui.screens.verify import VerifyScreen
from tests.ui import fixed_data
from tests.ui.helpers import screen_text, status, wait_for


async def test_highlighted_cell_is_shown_whole_and_a_difference_is_loud(
    wizard: Callable[..., WizardApp],
) -> None:
    samples = fixed_data.samples()
    samples[5] = replace(samples[5], postgres_value='{"events": []}', same=False)
    app = wizard()
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: app.state.source is not None, what="step 1")
        app.state.result = fixed_data.result()
        await app.push_screen(VerifyScreen(samples))
        await pilot.pause()
        # "every value" is claimed only when it is proven (fixed data has no column maps).
        assert "every value" not in status(app, "#verdict")
        assert status(app, "#spot-status").startswith("Spot check: 10 of 11 cells identical")
        spot = app.screen.query_one("#spot", DataTable)
        spot.focus()
        for _ in range(5):
            await pilot.press("down")
        await pilot.pause()
        detail = str(app.screen.query_one("#spot-values", Static).render())
        assert "sessions id 13 · raw_json · DIFFERENT" in detail
        assert '"cwd": "/home/alice/[project]"' in detail  # the whole value, markup-safe
        assert "✗" in screen_text(app)
