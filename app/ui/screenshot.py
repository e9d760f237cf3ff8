"""Regenerate the README's screenshot of the dry-run step, as SVG, from the demo data:

    python -m app.ui.screenshot assets/dry-run.svg

The app saves it itself (``App.save_screenshot``) after walking steps 1 and 2 of the demo.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable
from pathlib import Path

from textual.pilot import Pilot

from app.ui.demo import DemoEnvironment

SIZE = (100, 32)
TIMEOUT_S = 60.0


async def _capture(env: DemoEnvironment, out: Path) -> None:
    app = env.app()
    async with app.run_test(size=SIZE) as pilot:
        await _until(pilot, lambda: app.state.source is not None)
        await pilot.press("ctrl+n")
        await _until(pilot, lambda: str(app.screen.sub_title).startswith("2/8"))
        await pilot.press("ctrl+n")
        await _until(pilot, lambda: app.state.plan is not None)
        await pilot.pause(0.3)
        app.save_screenshot(out.name, str(out.parent.resolve()))


async def _until(pilot: Pilot[int], condition: Callable[[], bool]) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + TIMEOUT_S
    while not condition():
        if loop.time() > deadline:
            raise TimeoutError("the demo did not reach the dry run")
        await pilot.pause(0.05)


def main(argv: list[str] | None = None) -> int:
    """Write the screenshot to the path given (default ``assets/dry-run.svg``)."""
    args = sys.argv[1:] if argv is None else argv
    out = Path(args[0] if args else "assets/dry-run.svg")
    with DemoEnvironment() as env:
        asyncio.run(_capture(env, out))
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
