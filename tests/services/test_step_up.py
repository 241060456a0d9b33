"""Step-up: sensitive actions need a second-factor check within the last minutes.

On the world of ``test_second_factors`` (memory, SQLite, PostgreSQL): a
sign-in with a code counts as a check; after the window (15 minutes) the
sensitive actions raise ReauthenticationRequired until ``step_up(code)``.
"""

from __future__ import annotations

import pyotp
import pytest

from portalkit.domain.tenants import MfaPolicy
from portalkit.errors import InvalidInputError, InvalidTokenError, ReauthenticationRequired
from tests.services.test_second_factors import (
    ANN,
    BOB,
    CLIENT,
    PASSWORD,
    STORAGES,
    World,
    make_world,
)


@pytest.fixture(params=STORAGES)
def world(request: pytest.FixtureRequest) -> World:
    """The world of ``test_second_factors`` on each storage adapter, MFA optional."""
    return make_world(request)


def _signed_in_with_code(world: World) -> tuple[pyotp.TOTP, str]:
    totp, _ = world.enrol()
    cookie = world.complete(world.pending().pending, totp.at(world.clock.now()))
    return totp, cookie


def test_a_sign_in_with_a_code_allows_sensitive_actions_for_15_minutes(world: World) -> None:
    """Within the window: allowed; after it: ReauthenticationRequired naming the action."""
    _, cookie = _signed_in_with_code(world)
    with world.portal.request("acme", session=cookie, client=CLIENT) as req:
        req.second_factors.regenerate_recovery_codes()
    world.clock.advance(minutes=15, seconds=1)
    with world.portal.request("acme", session=cookie, client=CLIENT) as req:
        with pytest.raises(ReauthenticationRequired) as asked:
            req.second_factors.regenerate_recovery_codes()
        assert asked.value.action == "second_factors.manage"
        with pytest.raises(ReauthenticationRequired):
            req.profile.change_password(PASSWORD, PASSWORD + "-x", PASSWORD + "-x")


def test_step_up_with_a_code_opens_the_window_again(world: World) -> None:
    """A wrong code changes nothing; a right one allows the action; it is audited."""
    totp, cookie = _signed_in_with_code(world)
    world.clock.advance(minutes=20)
    with world.portal.request("acme", session=cookie, client=CLIENT) as req:
        try:
            req.second_factors.step_up("000000")
        except InvalidInputError as exc:
            wrong = exc
        with pytest.raises(ReauthenticationRequired):
            req.second_factors.regenerate_recovery_codes()
        req.second_factors.step_up(totp.at(world.clock.now()))
        assert len(req.second_factors.regenerate_recovery_codes().codes) == 10
    assert set(wrong.fields) == {"code"}
    assert world.audit("mfa.step_up") == ["failed", "success"]


def test_a_step_up_belongs_to_its_session(world: World) -> None:
    """Another browser's fresh sign-in does not let a stale session through."""
    totp, stale = _signed_in_with_code(world)
    world.clock.advance(minutes=20)
    fresh = world.complete(world.pending().pending, totp.at(world.clock.now()))
    with world.portal.request("acme", session=fresh, client=CLIENT) as req:
        req.second_factors.regenerate_recovery_codes()
    with world.portal.request("acme", session=stale, client=CLIENT) as req, pytest.raises(
        ReauthenticationRequired
    ):
        req.second_factors.regenerate_recovery_codes()


def test_only_a_new_email_is_sensitive(world: World) -> None:
    """A name change goes through; a new email needs a recent check."""
    _, cookie = _signed_in_with_code(world)
    world.clock.advance(minutes=20)
    with world.portal.request("acme", session=cookie, client=CLIENT) as req:
        req.profile.update(first_name="Ann", last_name="Smith", email=ANN)
        with pytest.raises(ReauthenticationRequired) as asked:
            req.profile.update(first_name="Ann", last_name="Smith", email="ann@new.example",
                               current_password=PASSWORD)
    assert asked.value.action == "email.change"


def test_nothing_to_step_up_without_a_factor_or_with_the_policy_off(world: World) -> None:
    """A password-only user, or any user under policy off, is never asked."""
    bob = world.sign_in(BOB)
    world.clock.advance(minutes=20)
    with world.portal.request("acme", session=bob, client=CLIENT) as req:
        req.profile.update(first_name="Bob", last_name="Roe", email="bob@new.example",
                           current_password=PASSWORD)
    _, cookie = _signed_in_with_code(world)
    world.clock.advance(minutes=20)
    world.policy(MfaPolicy.OFF)
    with world.portal.request("acme", session=cookie, client=CLIENT) as req:
        req.profile.update(first_name="Ann", last_name="Lee", email="ann@new.example",
                           current_password=PASSWORD)


def test_step_up_needs_the_users_own_live_session(world: World) -> None:
    """Hostile: the service refuses a session value that is not the user's."""
    totp, _ = _signed_in_with_code(world)
    bob = world.sign_in(BOB)
    tenant = world.portal.tenant("acme")
    for session in (bob, "forged", ""):
        with pytest.raises(InvalidTokenError):
            world.portal.second_factors.step_up(
                tenant, world.user_id(), session, totp.at(world.clock.now())
            )
