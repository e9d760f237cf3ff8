"""Import contracts, checked in a fresh interpreter so nothing imported by other tests hides a leak.

- ``app.core`` (the engine) and ``app.sample`` (sample data) never import ``textual``, ``app.ui``
  or ``app.cli``: the faces depend on the engine, never the other way round.
- ``app.cli`` never imports ``textual`` or ``app.ui`` until the wizard or the demo is run, so
  scripts stay light.
"""

from __future__ import annotations

import subprocess
import sys

IMPORT_ALL = (
    "import sys, pkgutil, importlib\n"
    "for name in {packages!r}:\n"
    "    package = importlib.import_module(name)\n"
    "    for m in pkgutil.walk_packages(package.__path__, name + '.'):\n"
    "        if not m.name.endswith('.__main__'):\n"
    "            importlib.import_module(m.name)\n"
    "bad = sorted(m for m in sys.modules if m.split('.')[0] == 'textual'\n"
    "             or any(m == f or m.startswith(f + '.') for f in {forbidden!r}))\n"
    "print(','.join(bad))\n"
)


def _leaks(packages: list[str], forbidden: list[str]) -> str:
    code = IMPORT_ALL.format(packages=packages, forbidden=forbidden)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return out.stdout.strip()


def test_engine_and_sample_never_import_the_faces() -> None:
    assert _leaks(["app.core", "app.sample"], ["app.ui", "app.cli"]) == ""


def test_command_line_imports_without_textual() -> None:
    assert _leaks(["app.cli"], ["app.ui"]) == ""
