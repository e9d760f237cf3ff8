"""``ailt-migrate`` with no subcommand: run the wizard on the user's own config and keyring."""

from __future__ import annotations

from pathlib import Path

from app.core.credentials import KeyringStore
from app.ui.app import make_app


def run_wizard(config_path: Path, *, source: Path | None = None, dsn: str | None = None) -> int:
    """Run the wizard until the user quits; return the exit status."""
    app = make_app(
        config_path=config_path,
        credential_store=KeyringStore(),
        source_path=source,
        dsn=dsn,
        handle_signals=True,
    )
    code = app.run()
    return 0 if code is None else code
