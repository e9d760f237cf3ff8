"""Step 2: where to copy to. The connection form, "remember the password", and a test.

The form (:class:`~app.ui.widgets.connection_form.ConnectionForm`) keeps the DSN and the fields
in sync; this step forgets an earlier test whenever the form says the connection changed.
"""

from __future__ import annotations

from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.widgets import Button, Checkbox, Static

from app.core.connect import PasswordSource, check_connection, create_database
from app.core.credentials import lookup_for_connect
from app.core.dsn import Target
from app.core.errors import ConnectFailed, ConnectKind, MigrateError
from app.ui.jobs import describe
from app.ui.messages import ConnectionTested, DatabaseCreated, PasswordSaved, StoreStatus
from app.ui.screens.base import WizardScreen
from app.ui.widgets.connection_form import ConnectionForm
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
        self._advance_after_test = False

    def compose_body(self) -> ComposeResult:
        """The form."""
        yield ConnectionForm(id="connection")
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
        state = self.wizard.state
        if state.target_form is not None:  # back again: what the user entered last time
            dsn, password = state.target_form
        else:
            config_dsn = self.wizard.config.postgres_dsn if self.wizard.config else None
            dsn, password = deps.initial_dsn or config_dsn or "", deps.initial_password or ""
        form = self.query_one(ConnectionForm)
        form.prefill(dsn, password)
        form.focus_dsn()
        self._check_store()

    @on(ConnectionForm.Changed)
    def _form_changed(self) -> None:
        self._forget_test()
        self.wizard.state.target_form = self.query_one(ConnectionForm).entered()

    def _forget_test(self) -> None:
        self.wizard.state.target = None
        if self.is_mounted:
            self.query_one("#create-db").display = False

    # --- testing ------------------------------------------------------------------------------

    def _target(self) -> Target | None:
        """The target the form describes, or None after showing why there is none."""
        form = self.query_one(ConnectionForm)
        try:
            return form.target()
        except MigrateError as exc:
            self.query_one(StatusLine).show(str(exc), "error")
            form.focus_dsn()
            return None

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
            self.query_one(ConnectionForm).focus_password()

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
        """Said under the checkbox, not in a toast: the save finishes as step 3 opens, and a
        toast there covered Back and Next for seconds. A failure is still worth a toast."""
        self.query_one("#store-status", Static).update(message.error or message.sentence)
        if message.error:
            self.notify(message.error, severity="warning", timeout=10)

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
