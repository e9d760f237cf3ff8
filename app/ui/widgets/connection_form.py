"""Step 2's connection form: a DSN and separate fields kept in sync, and a masked password.

The form holds libpq parameters (never the password, which has its own masked field): a valid
DSN replaces them, an edited field changes one and the DSN text is rebuilt in the same style
(URL or ``key=value``) that the user pasted, through the engine's own DSN parser. A password
pasted inside the DSN moves into the masked field. Whenever the connection it describes may have
changed, the form posts :class:`ConnectionForm.Changed`.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Input, Label, Select

from app.core.dsn import Target, parse_dsn, to_url
from app.core.errors import MigrateError
from app.ui.widgets.dsn_input import DsnInput

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


class ConnectionForm(Vertical):
    """The DSN, host, port, database, user, password and SSL mode of the target."""

    DEFAULT_CSS = """
    ConnectionForm {
        height: auto;
    }
    """

    @dataclass
    class Changed(Message):
        """The connection the form describes may have changed: an earlier test no longer holds."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._params: dict[str, str] = {}
        self._last_dsn = ""

    def compose(self) -> ComposeResult:
        """The DSN line, then the fields two by two."""
        yield Label("Paste a DSN, or fill in the fields; the two stay in sync.")
        with Horizontal(classes="row"):
            yield Label("DSN", classes="field-label")
            yield DsnInput(
                id="dsn", compact=True, placeholder="postgresql://user@host:5432/ai_log_trail"
            )
        with Horizontal(classes="row"):
            yield Label("Host", classes="field-label")
            yield Input(id="host", compact=True, placeholder="localhost")
            yield Label("Port", classes="field-label-short")
            yield Input(
                id="port", compact=True, placeholder="5432", restrict=r"\d*", classes="short"
            )
        with Horizontal(classes="row"):
            yield Label("Database", classes="field-label")
            yield Input(id="dbname", compact=True, placeholder="ai_log_trail")
            yield Label("User", classes="field-label-short")
            yield Input(id="user", compact=True)
        with Horizontal(classes="row"):
            yield Label("Password", classes="field-label")
            yield Input(
                id="password",
                password=True,
                compact=True,
                placeholder="blank: ~/.pgpass, PGPASSWORD or keyring",
            )
            yield Label("SSL", classes="field-label-short")
            yield Select(
                [(m, m) for m in SSL_MODES],
                id="sslmode",
                compact=True,
                prompt="default",
                classes="short",
            )

    def prefill(self, dsn: str | None, password: str | None) -> None:
        """Fill in a DSN (its password moves to the masked field) and a password."""
        if dsn:
            self.query_one("#dsn", Input).value = dsn
            self._sync_from_dsn(dsn, move_password=True)
        if password:
            self.query_one("#password", Input).value = password

    def entered(self) -> tuple[str, str]:
        """What the user entered: the DSN text and the password (kept in memory by the
        wizard, so going back to step 1 and forward again does not blank the form)."""
        return self.query_one("#dsn", Input).value, self.query_one("#password", Input).value

    def focus_dsn(self) -> None:
        """Put the cursor in the DSN."""
        self.query_one("#dsn", Input).focus()

    def focus_password(self) -> None:
        """Put the cursor in the password (after it was missing or rejected)."""
        self.query_one("#password", Input).focus()

    def target(self) -> Target:
        """The target the form describes; ``BadInput`` when the DSN text is malformed."""
        text = self.query_one("#dsn", Input).value
        if text.strip():
            split_password(text)  # raises the sentence to show
            self._sync_from_dsn(text, move_password=True)
        return build_target(self._params, self.query_one("#password", Input).value)

    # --- keeping the DSN and the fields in sync -----------------------------------------------

    @on(Input.Changed, "#dsn")
    def _dsn_changed(self, event: Input.Changed) -> None:
        pasted = len(event.value) - len(self._last_dsn) > 1
        self._sync_from_dsn(event.value, move_password=pasted)

    @on(Input.Submitted, "#dsn")
    @on(Input.Blurred, "#dsn")
    def _dsn_done(self, event: Input.Submitted | Input.Blurred) -> None:
        self._sync_from_dsn(event.value, move_password=True)

    def _sync_from_dsn(self, text: str, *, move_password: bool) -> None:
        self._last_dsn = text
        if not text.strip():
            self._changed()
            return
        try:
            params, password = split_password(text)
        except MigrateError:
            self._changed()
            return  # shown when the user tests; typing a DSN passes through invalid states
        if params == self._params and password is None:
            return  # nothing changed (e.g. the field just lost focus)
        self._changed()
        self._params = params
        with self.prevent(Input.Changed, Select.Changed):
            for key, value in fields_of(params).items():
                self._set_field(key, value)
            if password is not None and move_password:
                self.query_one("#password", Input).value = password
                self._set_dsn(dsn_text(params, is_url(text)))

    def _set_field(self, key: str, value: str) -> None:
        if key == "sslmode":
            select: Select[str] = self.query_one("#sslmode", Select)
            select.value = value if value in SSL_MODES else Select.NULL
        else:
            self.query_one(f"#{key}", Input).value = value

    def _set_dsn(self, text: str) -> None:
        self._last_dsn = text
        self.query_one("#dsn", Input).value = text

    @on(Input.Changed, "#host, #port, #dbname, #user")
    def _field_changed(self, event: Input.Changed) -> None:
        key = event.input.id or ""
        self._params = with_field(self._params, key, event.value)
        self._rebuild_dsn()

    @on(Select.Changed, "#sslmode")
    def _ssl_changed(self, event: Select.Changed) -> None:
        value = event.value if isinstance(event.value, str) else ""
        self._params = with_field(self._params, "sslmode", value)
        self._rebuild_dsn()

    @on(Input.Changed, "#password")
    def _password_changed(self) -> None:
        self._changed()

    def _rebuild_dsn(self) -> None:
        self._changed()
        current = self.query_one("#dsn", Input).value
        with self.prevent(Input.Changed):
            self._set_dsn(dsn_text(self._params, is_url(current) or not current.strip()))

    def _changed(self) -> None:
        self.post_message(self.Changed())
