"""Find the packaged files (stylesheets, the example config) from a checkout or an installed wheel.

Textual resolves a relative ``CSS_PATH`` against the module that defines the App, and the wheel
ships the top-level ``assets/`` folder as ``app/assets`` (pyproject's force-include), so both
layouts are looked up here, in one place, and tested.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE_ROOT = Path(__file__).resolve().parents[1]  # .../app


def assets_dir(package_root: Path = _PACKAGE_ROOT) -> Path:
    """``app/assets`` in an installed wheel, else ``<repo>/assets`` in a checkout."""
    installed = package_root / "assets"
    if installed.is_dir():
        return installed
    checkout = package_root.parent / "assets"
    if checkout.is_dir():
        return checkout
    raise FileNotFoundError(f"the assets folder is missing: looked in {installed} and {checkout}")


def stylesheet(name: str = "wizard.tcss", package_root: Path = _PACKAGE_ROOT) -> Path:
    """The absolute path of a stylesheet in the assets folder."""
    path = assets_dir(package_root) / name
    if not path.is_file():
        raise FileNotFoundError(f"the stylesheet {path} is missing")
    return path
