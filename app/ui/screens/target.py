"""Step 2: where to copy to. A DSN or separate fields (kept in sync), a masked password, a test.

The password never appears in the DSN text: pasted there, it moves into the masked field.
"""

from __future__ import annotations

from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.widgets import Button, Checkbox, Input, Label, Select, Static

from app.core.connect import PasswordSource, check_connection, create_database
from app.core.credentials import lookup_for_connect
from app.core.dsn import Target
from app.core.errors import ConnectFailed, ConnectKind, MigrateError
from app.ui.jobs import describe
from app.ui.messages import ConnectionTested, DatabaseCreated, PasswordSaved, StoreStatus
from app.ui.screens.base import WizardScreen
from app.ui.widgets.connection_form import (
    SSL_MODES,
    build_target,
    dsn_text,
    fields_of,
    is_url,
    split_password,
    with_field,
)
from app.ui.widgets.status_line import StatusLine

SOURCE_NAMES = {
    PasswordSource.DSN: "the password field",
    PasswordSource.LIBPQ: "PGPASSWORD or ~/.pgpass",
    PasswordSource.KEYRING: "the system keyring",
    PasswordSource.PROMPT: "the prompt",
    PasswordSource.NONE: "none needed",
}


class TargetScreen(WizardScreen):
    """Connection settings, "remember the password", and Test connection."""

    STEP = 2
    STEP_NAME = "Target"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+n", "next", "Next: dry run"),
        Binding("ctrl+t", "test", "Test connection"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self._params: dict[str, str] = {}
        self._last_dsn = ""
        self._advance_after_test = False

    def compose_body(self) -> ComposeResult:
        """The form."""
        yield Label("Paste a DSN, or fill in the fields; the two stay in sync.")
        with Horizontal(classes="row"):
            yield Label("DSN", classes="field-label")
            yield Input(
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
        yield Checkbox("Save the password in the system keyring", True, id="remember", compact=True)
        yield Static("", id="store-status", markup=False)
        with Horizontal(classes="row buttons"):
            yield Button("Test connection", id="test", compact=True)
            yield Button("Create database", id="create-db", compact=True, variant="warning")
        yield StatusLine(id="target-status")

    def on_mount(self) -> None:
        """Pre-fill from the command line or the config, and ask the store if it works."""
        self.allow_next(True)
        self.query_one("#create-db").display = False
        deps = self.wizard.deps
        initial = deps.initial_dsn or (
            self.wizard.config.postgres_dsn if self.wizard.config else None
        )
        if initial:
            self.query_one("#dsn", Input).value = initial
            self._sync_from_dsn(initial, move_password=True)
        if deps.initial_password:
            self.query_one("#password", Input).value = deps.initial_password
        self.query_one("#dsn", Input).focus()
        self._check_store()

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
            self._forget_test()
            return
        try:
            params, password = split_password(text)
        except MigrateError:
            self._forget_test()
            return  # shown when the user tests; typing a DSN passes through invalid states
        if params == self._params and password is None:
            return  # nothing changed (e.g. the field just lost focus)
        self._forget_test()
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
        self._forget_test()

    def _rebuild_dsn(self) -> None:
        self._forget_test()
        current = self.query_one("#dsn", Input).value
        with self.prevent(Input.Changed):
            self._set_dsn(dsn_text(self._params, is_url(current) or not current.strip()))

    def _forget_test(self) -> None:
        self.wizard.state.target = None
        if self.is_mounted:
            self.query_one("#create-db").display = False

    # --- testing ------------------------------------------------------------------------------

    def _target(self) -> Target | None:
        """The target the form describes, or None after showing why there is none."""
        text = self.query_one("#dsn", Input).value
        if text.strip():
            try:
                split_password(text)
            except MigrateError as exc:
                self.query_one(StatusLine).show(str(exc), "error")
                self.query_one("#dsn", Input).focus()
                return None
            self._sync_from_dsn(text, move_password=True)
        return build_target(self._params, self.query_one("#password", Input).value)

    @on(Button.Pressed, "#test")
    def action_test(self) -> None:
        """Connect once and report the server version or a plain reason."""
        target = self._target()
        if target is None:
            self._advance_after_test = False
            return
        self.query_one(StatusLine).show(f"Connecting to {target.key}…", "busy")
        self.query_one("#test", Button).disabled = True
        self._test(target)

    @work(thread=True, exit_on_error=False, group="connect", exclusive=True)
    def _test(self, target: Target) -> None:
        message = ConnectionTested(target)
        try:
            lookup = lookup_for_connect(self.wizard.deps.credential_store)
            connected = check_connection(target, keyring_lookup=lookup)
            try:
                version = connected.server_version
            finally:
                connected.conn.close()
            message = ConnectionTested(connected.target, version, connected.password_source)
        except ConnectFailed as exc:
            message = ConnectionTested(target, error=str(exc), kind=exc.kind)
        except Exception as exc:
            error = describe(exc, target.secrets())
            message = ConnectionTested(target, error=error, kind=ConnectKind.OTHER)
        finally:
            self.post_message(message)

    @on(ConnectionTested)
    def _tested(self, message: ConnectionTested) -> None:
        self.query_one("#test", Button).disabled = False
        status = self.query_one(StatusLine)
        target = message.target
        if message.error is not None or target is None:
            self._advance_after_test = False
            status.show(message.error or "The connection failed.", "error")
            self._offer_fix(message.kind, target)
            return
        state = self.wizard.state
        state.target, state.server_version = target, message.server_version
        state.password_source = message.password_source or PasswordSource.NONE
        source = SOURCE_NAMES[state.password_source]
        status.show(
            f"Connected: PostgreSQL {message.server_version} at {target.key} (password: {source}).",
            "ok",
        )
        if self._advance_after_test:
            self._advance_after_test = False
            self._advance()

    def _offer_fix(self, kind: ConnectKind | None, target: Target | None) -> None:
        create = self.query_one("#create-db", Button)
        create.display = kind == ConnectKind.NO_DATABASE and target is not None
        if create.display and target is not None:
            create.label = f"Create database {target.dbname}"
            create.focus()
        elif kind in (ConnectKind.AUTH, ConnectKind.NO_PASSWORD):
            self.query_one("#password", Input).focus()

    @on(Button.Pressed, "#create-db")
    def _create_pressed(self) -> None:
        target = self._target()
        if target is not None:
            self.query_one(StatusLine).show(f"Creating database {target.dbname}…", "busy")
            self._create(target)

    @work(thread=True, exit_on_error=False, group="connect", exclusive=True)
    def _create(self, target: Target) -> None:
        error: str | None = None
        try:
            create_database(target, lookup_for_connect(self.wizard.deps.credential_store))
        except Exception as exc:
            error = describe(exc, target.secrets())
        finally:
            self.post_message(DatabaseCreated(error))

    @on(DatabaseCreated)
    def _created(self, message: DatabaseCreated) -> None:
        self.query_one("#create-db").display = False
        if message.error:
            self.query_one(StatusLine).show(message.error, "error")
        else:
            self.action_test()

    # --- the keyring --------------------------------------------------------------------------

    @work(thread=True, exit_on_error=False, group="keyring")
    def _check_store(self) -> None:
        usable, sentence = True, "The password is kept in memory for this run only."
        try:
            usable, sentence = self.wizard.deps.credential_store.status()
        except Exception as exc:  # a store of someone else's making; never a traceback
            usable, sentence = False, describe(exc)
        finally:
            self.post_message(StoreStatus(usable, sentence))

    @on(StoreStatus)
    def _store_status(self, message: StoreStatus) -> None:
        remember = self.query_one("#remember", Checkbox)
        if not message.usable:
            remember.value = False
            remember.disabled = True
        self.query_one("#store-status", Static).update(message.sentence)

    @work(thread=True, exit_on_error=False, group="keyring")
    def _save_password(self, target: Target, password: str) -> None:
        message = PasswordSaved(error="The password could not be saved.")
        store = self.wizard.deps.credential_store
        try:
            store.set(target, password)
            message = PasswordSaved(f"The password for {target.key} is kept {store.where}.")
        except Exception as exc:
            message = PasswordSaved(error=describe(exc, [password]))
        finally:
            self.post_message(message)

    @on(PasswordSaved)
    def _saved(self, message: PasswordSaved) -> None:
        if message.error:
            self.notify(message.error, severity="warning", timeout=10)
        else:
            self.notify(message.sentence, timeout=4)

    # --- next ---------------------------------------------------------------------------------

    def action_next(self) -> None:
        """Test first if needed, then go on to the dry run."""
        if self.wizard.state.target is None:
            self._advance_after_test = True
            self.action_test()
        else:
            self._advance()

    def _advance(self) -> None:
        state = self.wizard.state
        target = state.target
        remember = self.query_one("#remember", Checkbox)
        if (
            target is not None
            and target.password
            and remember.value
            and not remember.disabled
            and state.password_source == PasswordSource.DSN
        ):
            self._save_password(target, target.password)
        self.wizard.advance(self.STEP)
