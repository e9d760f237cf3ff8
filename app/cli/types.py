"""Argument types shared by the sub-commands.

argparse turns an ``ArgumentTypeError`` into "argument --x: <our sentence>"; a bare
``ValueError`` would name the function instead ("invalid positive_int value"), so every type
here says what it expected.
"""

from __future__ import annotations

import argparse


def positive_int(text: str) -> int:
    """An integer of at least 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a whole number of at least 1, not {text!r}"
        ) from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 1, not {text}")
    return value


def file_size(text: str) -> int:
    """A size of at least one byte: ``100MB``, ``1GB``, ``500kB``, ``1.5GiB`` or ``12345``."""
    from app.sample.generator import parse_size

    try:
        value = parse_size(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a size such as 100MB, 1GB, 500kB or 12345 (bytes), not {text!r}"
        ) from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a size of at least 1 byte, not {text!r}")
    return value
