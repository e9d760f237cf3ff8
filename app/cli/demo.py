"""``ailt-migrate demo``: the wizard on a sample database and a throw-away PostgreSQL."""

from __future__ import annotations

import argparse


def add_parser(sub: argparse._SubParsersAction) -> None:
    """Add ``demo`` to the sub-commands."""
    demo = sub.add_parser(
        "demo", help="the wizard on a sample database and a throw-away PostgreSQL"
    )
    demo.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    """Run the demo (Textual is imported only now, so scripts never load it)."""
    from app.ui.demo import run_demo
    from app.ui.signals import hard_exit

    code = run_demo()
    # Everything is cleaned up by now. A worker thread stuck in a blocking call would make the
    # interpreter wait for it forever at exit (it joins every thread): leave without waiting.
    hard_exit(code)
    return code
