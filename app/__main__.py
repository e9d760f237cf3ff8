"""``python -m app`` is the same as the ``ailt-migrate`` command."""

from app.cli import main

raise SystemExit(main())
