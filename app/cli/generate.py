"""``ailt-migrate generate``: write a realistic sample AI Log Trail database."""

from __future__ import annotations

import argparse
from pathlib import Path

from app.core.errors import BadInput, ExitCode


def add_parser(sub: argparse._SubParsersAction) -> None:
    """Add ``generate`` to the sub-commands."""
    gen = sub.add_parser("generate", help="write a realistic sample AI Log Trail database")
    gen.add_argument("out", type=Path)
    gen.add_argument("--size", default="10MB", help="approximate file size, e.g. 100MB")
    gen.add_argument("--seed", type=int, default=0)
    gen.add_argument("--older", action="store_true", help="the older 9-table layout")
    gen.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    """Generate the file (never overwriting one) and print one summary line."""
    from app.sample.generator import generate, parse_size

    try:
        stats = generate(args.out, target_bytes=parse_size(args.size), seed=args.seed,
                         with_redactions=not args.older)
    except FileExistsError:
        raise BadInput(f"{args.out} already exists: choose a new file name.") from None
    print(f"Wrote {stats.path} ({stats.file_bytes:,} bytes, "
          f"{sum(stats.rows.values()):,} rows) in {stats.elapsed_s:.1f} s")
    return ExitCode.OK
