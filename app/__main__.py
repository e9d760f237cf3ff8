"""``python -m app`` is the same as the ``ailt-migrate`` command."""

import sys

try:  # Ctrl+C while the modules load: nothing has started, so no traceback either
    from app.cli import main
except KeyboardInterrupt:
    print("ailt-migrate: Cancelled before anything started.", file=sys.stderr)
    raise SystemExit(130) from None

raise SystemExit(main())
