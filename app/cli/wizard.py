"""``ailt-migrate`` with no command: the wizard, reading ``--config``."""

from __future__ import annotations

import argparse


def handle(args: argparse.Namespace) -> int:
    """Open the wizard (Textual is imported only now, so scripts never load it)."""
    from app.ui.launch import run_wizard

    return run_wizard(args.config)
