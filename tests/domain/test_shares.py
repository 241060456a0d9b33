"""Share links: secrets, keyed hashes, lifetimes, actions and recipients."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from portalkit.domain.shares import (
    DEFAULT_LIFETIME,
    MAX_LIFETIME,
    SHARE_ACTIONS,
    ShareLink,
    hash_secret,
    new_secret,
    normalize_recipient,
    validate_actions,
    validate_lifetime,
)
from portalkit.errors import InvalidInputError

UTC = dt.timezone.utc
NOW = dt.datetime(2026, 1, 1, 9, 0, tzinfo=UTC)


def _link(**changes: object) -> ShareLink:
    values: dict[str, object] = {
        "id": 1,
        "tenant_id": 1,
        "document_id": 5,
        "recipient": "bob@example.org",
        "actions": frozenset({"view"}),
        "secret_hash": "0" * 64,
        "created_by": 2,
        "created_at": NOW,
        "expires_at": NOW + DEFAULT_LIFETIME,
    }
    values.update(changes)
    return ShareLink(**values)  # type: ignore[arg-type]


def test_secrets_carry_128_random_bits() -> None:
    """A secret is 22 URL-safe characters (16 random bytes) and never repeats."""
    secrets = {new_secret() for _ in range(1000)}
    assert len(secrets) == 1000
    for secret in secrets:
        assert len(secret) == 22
        assert secret.replace("-", "").replace("_", "").isalnum()


@given(secret=st.text(min_size=1, max_size=64))
def test_hash_is_keyed_and_deterministic(secret: str) -> None:
    """The stored hash depends on the key; the same key and secret give the same hash."""
    one = hash_secret(b"a" * 32, secret)
    assert one == hash_secret(b"a" * 32, secret)
    assert one != hash_secret(b"b" * 32, secret)
    assert len(one) == 64
    assert secret not in one or len(secret) < 8


@given(offset=st.integers(-10_000, 10_000))
def test_live_until_expiry_and_not_after_revocation(offset: int) -> None:
    """A link is live strictly before expires_at and never once revoked."""
    now = NOW + dt.timedelta(minutes=offset)
    link = _link(expires_at=NOW)
    assert link.is_live(now) is (now < NOW)
    assert not _link(revoked_at=NOW - dt.timedelta(days=1)).is_live(NOW - dt.timedelta(days=2))


def test_allows_only_named_actions() -> None:
    """A view-only link does not allow download."""
    link = _link(actions=frozenset({"view"}))
    assert link.allows("view", NOW)
    assert not link.allows("download", NOW)
    assert not link.allows("view", NOW + DEFAULT_LIFETIME)


def test_actions_are_validated() -> None:
    """Actions are a non-empty subset of view/download; a bare string counts as one."""
    assert validate_actions(["view", "download"]) == SHARE_ACTIONS
    assert validate_actions("view") == frozenset({"view"})
    for bad in ([], ["edit"], ["view", "delete"]):
        with pytest.raises(InvalidInputError) as caught:
            validate_actions(bad)
        assert "actions" in caught.value.fields


def test_lifetime_is_bounded() -> None:
    """A lifetime is positive and at most 90 days."""
    assert validate_lifetime(MAX_LIFETIME) == MAX_LIFETIME
    for bad in (dt.timedelta(0), dt.timedelta(seconds=-1), MAX_LIFETIME + dt.timedelta(seconds=1)):
        with pytest.raises(InvalidInputError):
            validate_lifetime(bad)


def test_recipient_is_a_normalized_email() -> None:
    """Recipients are trimmed and lowercased; non-addresses are refused."""
    assert normalize_recipient("  Bob@Example.ORG ") == "bob@example.org"
    for bad in ("", "bob", "bob@", "@example.org", "a b@example.org", None, "a@b"):
        with pytest.raises(InvalidInputError) as caught:
            normalize_recipient(bad)
        assert "recipient" in caught.value.fields


# Rules pinned for mutation testing ----------------------------------------------------


def test_hash_is_hmac_sha256_of_the_utf8_secret() -> None:
    """The stored hash is HMAC-SHA256 (hex) of the secret's UTF-8 bytes: a fixed vector."""
    assert hash_secret(b"portal key", "s\u00e9cret") == (
        "1318383952eccc414773cc91d6acf0100b4d1d7b2a9f8d69e7f6883462760bb1")


def test_any_positive_lifetime_up_to_the_maximum_is_accepted() -> None:
    """One second and exactly MAX_LIFETIME are fine; zero and one microsecond more are not."""
    assert validate_lifetime(dt.timedelta(seconds=1)) == dt.timedelta(seconds=1)
    assert validate_lifetime(MAX_LIFETIME) == MAX_LIFETIME
    for bad in (dt.timedelta(0), MAX_LIFETIME + dt.timedelta(microseconds=1)):
        with pytest.raises(InvalidInputError) as caught:
            validate_lifetime(bad)
        assert caught.value.fields == {"expires_in": "A link can live for at most 90 days."}


def test_bad_actions_and_recipients_say_what_to_enter() -> None:
    """The actions and recipient errors carry their customer-facing text on their field."""
    with pytest.raises(InvalidInputError) as actions:
        validate_actions(["print"])
    assert actions.value.fields == {
        "actions": "Choose what the link allows: view, download or both."}
    with pytest.raises(InvalidInputError) as recipient:
        normalize_recipient("not an address")
    assert recipient.value.fields == {"recipient": "Enter a valid email address."}
