"""Tests for portalkit.domain.invitations: lifecycle rules, email and name checks."""

from __future__ import annotations

import datetime as dt

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from portalkit.domain.invitations import (
    MAX_CONTACT_NAME_LENGTH,
    MAX_ERROR_LENGTH,
    Invitation,
    InvitationStatus,
    accept,
    check_acceptable,
    mark_failed,
    mark_sent,
    normalize_email,
    reissue,
    revoke,
    validate_contact_name,
)
from portalkit.errors import (
    AlreadyUsedError,
    ConflictError,
    InvalidInputError,
    InvalidTokenError,
    TokenExpiredError,
)

NOW = dt.datetime(2026, 3, 1, 9, 0, tzinfo=dt.timezone.utc)
LATER = NOW + dt.timedelta(days=14)


def pending(**changes: object) -> Invitation:
    """A pending invitation created at NOW, expiring at LATER."""
    invitation = Invitation(
        id=1,
        tenant_id=1,
        email="ann@example.com",
        contact_name="Ann",
        nonce="n1",
        created_at=NOW,
        expires_at=LATER,
    )
    return attrs.evolve(invitation, **changes)


def test_new_invitation_is_pending_and_unsent() -> None:
    """A fresh invitation is pending, unsent, never tried."""
    invitation = pending()
    assert invitation.status is InvitationStatus.PENDING
    assert invitation.unsent
    assert invitation.send_attempts == 0


def test_status_at_turns_expired_at_the_expiry() -> None:
    """Pending before expires_at, expired from it on; other statuses never change."""
    invitation = pending()
    assert invitation.status_at(LATER - dt.timedelta(seconds=1)) is InvitationStatus.PENDING
    assert invitation.status_at(LATER) is InvitationStatus.EXPIRED
    assert revoke(invitation, NOW).status_at(LATER) is InvitationStatus.REVOKED


def test_sent_and_failed_marks() -> None:
    """mark_sent clears the error; mark_failed keeps it pending+unsent with a short error."""
    failed = mark_failed(pending(), "550  no\r\nsuch user " + "x" * 1000)
    assert failed.status is InvitationStatus.PENDING
    assert failed.unsent
    assert failed.last_error is not None
    assert "\n" not in failed.last_error
    assert len(failed.last_error) == MAX_ERROR_LENGTH
    sent = mark_sent(failed, NOW)
    assert (sent.unsent, sent.last_error, sent.sent_at, sent.send_attempts) == (False, None, NOW, 2)


def test_reissue_changes_nonce_and_expiry_and_kills_old_tokens() -> None:
    """Resending draws a new nonce; the old nonce no longer passes check_acceptable."""
    sent = mark_sent(pending(), NOW)
    fresh = reissue(sent, nonce="n2", now=LATER, expires_at=LATER + dt.timedelta(days=14))
    assert (fresh.nonce, fresh.status, fresh.unsent) == ("n2", InvitationStatus.PENDING, True)
    with pytest.raises(InvalidTokenError):
        check_acceptable(fresh, "n1", LATER)
    check_acceptable(fresh, "n2", LATER)
    with pytest.raises(ValueError):
        reissue(fresh, nonce="n2", now=LATER, expires_at=LATER + dt.timedelta(days=1))
    with pytest.raises(InvalidInputError):
        reissue(fresh, nonce="n3", now=LATER, expires_at=LATER)


def test_accepted_or_revoked_cannot_be_reissued() -> None:
    """Only pending or expired invitations can be sent again."""
    done = accept(pending(), nonce="n1", now=NOW, user_id=5)
    with pytest.raises(ConflictError):
        reissue(done, nonce="n2", now=NOW, expires_at=LATER)
    with pytest.raises(ConflictError):
        reissue(revoke(pending(), NOW), nonce="n2", now=NOW, expires_at=LATER)
    expired = pending(status=InvitationStatus.EXPIRED)
    assert (
        reissue(expired, nonce="n2", now=NOW, expires_at=LATER).status is InvitationStatus.PENDING
    )


def test_accept_rules() -> None:
    """Accept needs pending, the current nonce and time before expiry; once only."""
    invitation = pending()
    done = accept(invitation, nonce="n1", now=NOW, user_id=5)
    assert (done.status, done.user_id, done.accepted_at) == (InvitationStatus.ACCEPTED, 5, NOW)
    with pytest.raises(AlreadyUsedError):
        accept(done, nonce="n1", now=NOW, user_id=6)
    with pytest.raises(InvalidTokenError):
        accept(invitation, nonce="other", now=NOW, user_id=5)
    with pytest.raises(TokenExpiredError):
        accept(invitation, nonce="n1", now=LATER, user_id=5)
    with pytest.raises(InvalidTokenError):
        accept(revoke(invitation, NOW), nonce="n1", now=NOW, user_id=5)


def test_revoke_rules() -> None:
    """Revoke is immediate and idempotent; an accepted invitation cannot be revoked."""
    revoked = revoke(pending(), NOW)
    assert (revoked.status, revoked.revoked_at) == (InvitationStatus.REVOKED, NOW)
    assert revoke(revoked, LATER) is revoked
    with pytest.raises(ConflictError):
        revoke(accept(pending(), nonce="n1", now=NOW, user_id=1), NOW)


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("Ann.Lee@Example.COM", "ann.lee@example.com"),
        ("  bob+tag@sub.example.org ", "bob+tag@sub.example.org"),
        ("Jürgen@Bücher.example", "jürgen@bücher.example"),
        ("ann@bücher.example", "ann@bücher.example"),
        ("ann@XN--BCHER-KVA.example", "ann@bücher.example"),
        ("ann@xn--zz-.example", None),  # not IDNA
    ],
)
def test_normalize_email(given: str, expected: str | None) -> None:
    """Addresses are trimmed and lower-cased, exactly as accounts store them: an IDN
    domain keeps its Unicode form, and its xn-- spelling is the same address."""
    if expected is None:
        with pytest.raises(InvalidInputError):
            normalize_email(given)
    else:
        assert normalize_email(given) == expected


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "plain",
        "@example.com",
        "ann@",
        "ann@@example.com",
        "ann@localhost",
        "a..b@example.com",
        ".a@example.com",
        "ann@-x.example",
        "ann lee@example.com",
        "ann@example.com\r\nBcc: x@y.z",
        "x" * 65 + "@example.com",
        None,
        42,
    ],
)
def test_bad_emails_are_refused(bad: object) -> None:
    """Malformed addresses raise InvalidInputError on the email field."""
    with pytest.raises(InvalidInputError) as info:
        normalize_email(bad)
    assert "email" in info.value.fields


@given(st.one_of(st.text(max_size=300), st.emails()))
def test_normalize_email_never_crashes(text: str) -> None:
    """Any text gives a normalized address without line breaks, or InvalidInputError."""
    try:
        address = normalize_email(text)
    except InvalidInputError:
        return
    assert address == address.strip().lower()
    assert address.count("@") == 1
    assert not any(ch in address for ch in "\r\n\x00 ")
    assert normalize_email(address) == address


@given(st.text(max_size=MAX_CONTACT_NAME_LENGTH + 50))
def test_contact_names_are_one_line_and_bounded(name: str) -> None:
    """A contact name is accepted only if non-empty, one line and short enough."""
    try:
        checked = validate_contact_name(name)
    except InvalidInputError:
        return
    assert checked == name.strip()
    assert checked
    assert len(checked) <= MAX_CONTACT_NAME_LENGTH
    assert not any(ch in checked for ch in "\r\n\x00\u2028")


# Rules pinned for mutation testing ----------------------------------------------------

EMAIL_ERROR = {"email": "Enter a valid email address."}


def _address(length: int, *, domain_tail: str = "example.com") -> str:
    """A valid-looking address of exactly *length* characters (local part up to 64)."""
    local = "a" * 64
    filler = length - len(local) - 1 - len(domain_tail) - 1
    labels = []
    while filler > 0:
        size = min(63, filler)
        labels.append("b" * size)
        filler -= size + 1
    domain = ".".join([*labels, domain_tail]) if labels else domain_tail
    address = f"{local}@{domain}"
    assert len(address) == length, len(address)
    return address


def test_an_address_of_254_characters_is_the_longest_accepted() -> None:
    """254 characters in all is accepted; 255 is refused."""
    assert normalize_email(_address(254)) == _address(254)
    with pytest.raises(InvalidInputError) as caught:
        normalize_email(_address(255))
    assert caught.value.fields == EMAIL_ERROR


def test_the_length_limit_applies_to_the_text_as_typed_and_as_stored() -> None:
    """255 typed characters are refused even if IDNA drops one; 255 after IDNA too."""
    typed = _address(255, domain_tail="ex\u00adample.com")  # the soft hyphen goes
    with pytest.raises(InvalidInputError):
        normalize_email(typed)
    stored = _address(248, domain_tail="b\u00fccher.com")  # +7 once encoded: 255
    with pytest.raises(InvalidInputError) as caught:
        normalize_email(stored)
    assert caught.value.fields == EMAIL_ERROR


@pytest.mark.parametrize(
    "address",
    [None, "a" * 65 + "@example.com", "ann.@example.com", "ann@a..com", "ann@-x.com",
     "ann@example"],
)
def test_every_refused_address_is_the_same_email_field_error(address: object) -> None:
    """Non-text, a long or dotted local part, a bad or one-label domain: one message."""
    with pytest.raises(InvalidInputError) as caught:
        normalize_email(address)
    assert caught.value.fields == EMAIL_ERROR


def test_a_local_part_of_64_characters_is_accepted() -> None:
    """64 characters before the @ is the longest local part."""
    assert normalize_email("A" * 64 + "@Example.COM") == "a" * 64 + "@example.com"


def test_contact_name_rules_and_their_messages() -> None:
    """A valid name is trimmed; each refusal has its message on the contact_name field."""
    assert validate_contact_name("  Ann Lee ") == "Ann Lee"
    assert validate_contact_name("x" * MAX_CONTACT_NAME_LENGTH) == "x" * MAX_CONTACT_NAME_LENGTH
    cases = [
        (7, "The contact name must be text."),
        ("   ", "The contact name is required."),
        ("Ann\u2028Lee", "The contact name must be on one line."),
        ("x" * (MAX_CONTACT_NAME_LENGTH + 1), "The contact name is longer than 200 characters."),
    ]
    for value, message in cases:
        with pytest.raises(InvalidInputError) as caught:
            validate_contact_name(value)
        assert caught.value.fields == {"contact_name": message}


def test_a_failed_send_keeps_the_error_on_one_line_and_marks_unsent() -> None:
    """After a sent token, a failed send marks it unsent again; the error keeps its words."""
    failed = mark_failed(mark_sent(pending(), NOW), "550  mailbox\n unavailable")
    assert failed.unsent
    assert failed.last_error == "550 mailbox unavailable"
    assert failed.send_attempts == 2
    assert mark_failed(pending(), " \n ").last_error == "Sending failed."


def test_reissue_clears_sent_at_and_explains_refusals() -> None:
    """A reissued invitation is unsent with no send time; refusals carry their text."""
    again = reissue(mark_sent(pending(), NOW), nonce="n2", now=NOW, expires_at=LATER)
    assert again.sent_at is None
    assert again.unsent
    with pytest.raises(ConflictError) as gone:
        reissue(pending(status=InvitationStatus.REVOKED), nonce="n2", now=NOW,
                expires_at=LATER)
    assert gone.value.message == "This invitation was revoked; it cannot be sent again."
    with pytest.raises(InvalidInputError) as past:
        reissue(pending(), nonce="n2", now=NOW, expires_at=NOW)
    assert past.value.fields == {"expires_at": "The expiry must be in the future."}
    with pytest.raises(ValueError, match=r"^a reissued invitation needs a new nonce$"):
        reissue(pending(), nonce="n1", now=NOW, expires_at=LATER)


def test_refusals_to_accept_or_revoke_say_why() -> None:
    """Used, expired and accepted-then-revoked invitations each say what to do."""
    accepted = pending(status=InvitationStatus.ACCEPTED)
    with pytest.raises(AlreadyUsedError) as used:
        check_acceptable(accepted, "n1", NOW)
    assert used.value.message == "This invitation has already been used to sign up."
    with pytest.raises(TokenExpiredError) as expired:
        check_acceptable(pending(), "n1", LATER)
    assert expired.value.message == "This invitation has expired; ask for a new one."
    with pytest.raises(ConflictError) as conflict:
        revoke(accepted, NOW)
    assert conflict.value.message == (
        "This invitation was already accepted; disable the user instead.")
