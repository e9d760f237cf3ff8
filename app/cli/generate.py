"""``ailt-migrate generate``: write a realistic sample AI Log Trail database."""

from __future__ import annotations

import argparse
from pathlib import Path

from app.cli.types import file_size
from app.core.errors import BadInput, ExitCode


def add_parser(sub: argparse._SubParsersAction) -> None:
    """Add ``generate`` to the sub-commands."""
    description = "Write a realistic sample AI Log Trail database (never overwrites a file)."
    gen = sub.add_parser(
        "generate", help="write a realistic sample AI Log Trail database", description=description
    )
    gen.add_argument("out", type=Path, help="the new SQLite file to write (must not exist)")
    gen.add_argument(
        "--size",
        type=file_size,
        default="10MB",
        help="approximate file size, e.g. 100MB, 1GB, 500kB (default 10MB)",
    )
    gen.add_argument(
        "--seed",
        type=int,
        default=0,
        help="random seed: the same seed and size give the same file (default 0)",
    )
    gen.add_argument("--older", action="store_true", help="the older 9-table layout")
    gen.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    """Generate the file (never overwriting one) and print one summary line."""
    from app.sample.generator import generate

    out = Path(args.out)
    if not out.parent.is_dir():
        raise BadInput(
            f"The folder {out.parent} does not exist: create it first, or choose another path."
        )
    try:
        stats = generate(
            out, target_bytes=args.size, seed=args.seed, with_redactions=not args.older
        )
    except FileExistsError:
        raise BadInput(f"{out} already exists: choose a new file name.") from None
    except OSError as exc:
        raise BadInput(
            f"Cannot write {out} ({exc.strerror or exc}): choose another path."
        ) from None
    print(
        f"Wrote {stats.path} ({stats.file_bytes:,} bytes, "
        f"{sum(stats.rows.values()):,} rows) in {stats.elapsed_s:.1f} s"
    )
    return ExitCode.OK
