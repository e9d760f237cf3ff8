"""Keep step 2's DSN text and its separate fields in sync, through the engine's own DSN parser.

The form holds libpq parameters (never the password, which has its own masked field): a valid
DSN replaces them, an edited field changes one and the DSN text is rebuilt in the same style
(URL or ``key=value``) that the user pasted.
"""

from __future__ import annotations

from app.core.dsn import Target, parse_dsn, to_url

FIELD_KEYS = ("host", "port", "dbname", "user", "sslmode")
SSL_MODES = ("disable", "allow", "prefer", "require", "verify-ca", "verify-full")


def is_url(text: str) -> bool:
    """Whether the DSN is written as a ``postgresql://`` URL."""
    return text.strip().startswith(("postgresql://", "postgres://"))


def fields_of(params: dict[str, str]) -> dict[str, str]:
    """The values of the separate fields ("" when unset)."""
    return {key: params.get(key, "") for key in FIELD_KEYS}


def with_field(params: dict[str, str], key: str, value: str) -> dict[str, str]:
    """``params`` with one field set (or removed when blank)."""
    updated = dict(params)
    if value.strip():
        updated[key] = value.strip()
    else:
        updated.pop(key, None)
    return updated


def dsn_text(params: dict[str, str], url_style: bool = True) -> str:
    """The DSN for ``params``, without any password."""
    if not params:
        return ""
    target = Target(dict(params))
    return to_url(target) if url_style else target.conninfo


def split_password(text: str) -> tuple[dict[str, str], str | None]:
    """Parse a DSN into its parameters and its password (``BadInput`` when malformed)."""
    target = parse_dsn(text)
    return dict(target.params), target.password


def build_target(params: dict[str, str], password: str) -> Target:
    """The target to connect to: a blank password lets libpq and the keyring find one."""
    return Target(dict(params), password or None)
