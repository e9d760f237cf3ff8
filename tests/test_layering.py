"""The engine never imports Textual: the command line and scripts stay light and testable."""

from __future__ import annotations

import subprocess
import sys


def test_engine_imports_without_textual() -> None:
    code = (
        "import sys, pkgutil, importlib, app.core\n"
        "for m in pkgutil.iter_modules(app.core.__path__):\n"
        "    importlib.import_module('app.core.' + m.name)\n"
        "import app.cli\n"
        "bad = [m for m in sys.modules if m.split('.')[0] in ('textual', 'rich', 'app')"
        " and (m.startswith('textual') or m.startswith('app.ui'))]\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == ""
