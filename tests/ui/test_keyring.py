"""Step 2's "save the password" box against the credential store (never a real keychain)."""

from __future__ import annotations

from collections.abc import Callable

from keyring.backends import null
from textual.widgets import Checkbox, Static

from app.core.credentials import KeyringStore
from app.core.dsn import parse_dsn
from app.ui.app import WizardApp
from tests.keyring_helpers import MemoryKeyring
from tests.postgres import CANARY_PASSWORD, TargetDb
from tests.ui.helpers import SIZE, status, through_source, wait_for, wait_step


async def test_remember_saves_after_a_good_connection(
    wizard: Callable[..., WizardApp], target_db: TargetDb
) -> None:
    """The box is on by default; Next tests, then saves under ``user@host:port/db``."""
    store = KeyringStore(backend=MemoryKeyring())
    app = wizard(credential_store=store, dsn=target_db.url, password=CANARY_PASSWORD)
    async with app.run_test(size=SIZE) as pilot:
        await through_source(pilot, app)
        box = app.screen.query_one("#remember", Checkbox)
        note = app.screen.query_one("#store-status", Static)
        await wait_for(pilot, lambda: "system keyring" in str(note.render()), what="status")
        assert box.value and not box.disabled
        await pilot.press("ctrl+n")
        await wait_step(pilot, app, "3/8")
        target = parse_dsn(target_db.url)
        await wait_for(pilot, lambda: store.get(target) == CANARY_PASSWORD, what="the save")


async def test_saved_password_is_used_when_the_field_is_blank(
    wizard: Callable[..., WizardApp], target_db: TargetDb
) -> None:
    """A password saved earlier lets the connection work without typing it."""
    store = KeyringStore(backend=MemoryKeyring())
    store.set(parse_dsn(target_db.url), CANARY_PASSWORD)
    app = wizard(credential_store=store, dsn=target_db.url)
    async with app.run_test(size=SIZE) as pilot:
        await through_source(pilot, app)
        await pilot.press("ctrl+t")
        await wait_for(pilot, lambda: app.state.target is not None, what="the connection")
        assert "(password: the system keyring)" in status(app, "#target-status")


async def test_no_keyring_turns_the_box_off_and_says_why(
    wizard: Callable[..., WizardApp],
) -> None:
    """An unusable backend: the box is off and disabled, with the engine's sentence."""
    app = wizard(credential_store=KeyringStore(backend=null.Keyring()))
    async with app.run_test(size=SIZE) as pilot:
        await through_source(pilot, app)
        box = app.screen.query_one("#remember", Checkbox)
        await wait_for(pilot, lambda: box.disabled, what="the keyring check")
        assert not box.value
        note = str(app.screen.query_one("#store-status", Static).render())
        assert "No keyring backend is available" in note
