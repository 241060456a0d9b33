"""Tests for portalkit.domain.sessions: token hashing, timeouts, touch rule, labels."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

import pytest
from hypothesis import given
from hypothesis import strategies as st

from portalkit.domain.sessions import (
    MAX_LABEL_CHARS,
    MAX_TOKEN_CHARS,
    Session,
    session_label,
    token_hash,
)

T0 = dt.datetime(2026, 1, 1, 9, 0, tzinfo=dt.timezone.utc)
IDLE = dt.timedelta(minutes=30)
ABSOLUTE = dt.timedelta(days=14)


def _session(**changes: object) -> Session:
    fields: dict[str, object] = {
        "id": 1, "tenant_id": 1, "user_id": 2, "token_hash": "h", "created_at": T0,
        "last_seen_at": T0, "label": "Firefox on Linux", "security_stamp": "stamp-1",
    }
    fields.update(changes)
    return Session(**fields)  # type: ignore[arg-type]


def test_token_hash_is_sha256_of_a_well_formed_token() -> None:
    """A token_urlsafe token hashes to its SHA-256; the hash never contains the token."""
    token = secrets.token_urlsafe(32)
    digest = token_hash(token)
    assert digest == hashlib.sha256(token.encode()).hexdigest()
    assert token not in (digest or "")


@pytest.mark.parametrize(
    "bad",
    [None, 7, b"abc", "", "a" * (MAX_TOKEN_CHARS + 1), "has space", "dot.ted", "naïve",
     "a\x00b", "v1.payload.signature"],
)
def test_malformed_tokens_have_no_hash(bad: object) -> None:
    """Anything but a short URL-safe string can never name a session."""
    assert token_hash(bad) is None


def test_idle_and_absolute_timeouts() -> None:
    """Live until idle for the idle timeout or older than the absolute timeout."""
    session = _session()
    assert session.is_live(T0 + IDLE - dt.timedelta(seconds=1), idle=IDLE, absolute=ABSOLUTE)
    assert not session.is_live(T0 + IDLE, idle=IDLE, absolute=ABSOLUTE)
    active = _session(last_seen_at=T0 + ABSOLUTE - dt.timedelta(minutes=1))
    assert active.is_live(T0 + ABSOLUTE - dt.timedelta(seconds=1), idle=IDLE, absolute=ABSOLUTE)
    assert not active.is_live(T0 + ABSOLUTE, idle=IDLE, absolute=ABSOLUTE)
    assert active.expires_at(idle=IDLE, absolute=ABSOLUTE) == T0 + ABSOLUTE
    assert session.expires_at(idle=IDLE, absolute=ABSOLUTE) == T0 + IDLE


def test_touch_is_due_once_per_interval() -> None:
    """"Last seen" is due when the last write is at least one interval old."""
    session = _session()
    minute = dt.timedelta(minutes=1)
    assert not session.touch_due(T0, minute)
    assert not session.touch_due(T0 + dt.timedelta(seconds=59), minute)
    assert session.touch_due(T0 + minute, minute)


def test_a_changed_stamp_ends_the_session() -> None:
    """The stamp at sign-in must still be the user's."""
    session = _session()
    assert not session.ended_by_stamp("stamp-1")
    assert session.ended_by_stamp("stamp-2")


def test_repr_shows_neither_hash_nor_stamp() -> None:
    """Logs of a session record carry no secret-derived value."""
    text = repr(_session(token_hash="secret-hash", security_stamp="secret-stamp"))
    assert "secret-hash" not in text
    assert "secret-stamp" not in text


@pytest.mark.parametrize(
    ("user_agent", "label"),
    [
        ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
         "Chrome/120.0 Safari/537.36 Edg/120.0", "Edge on Windows"),
        ("Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0",
         "Firefox on Linux"),
        ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 "
         "(KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1", "Safari on iOS"),
        ("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
         "Chrome/120.0 Mobile Safari/537.36", "Chrome on Android"),
        ("Mozilla/5.0 (Macintosh; Intel Mac OS X 14_1) AppleWebKit/605.1.15 (KHTML, like "
         "Gecko) Version/17.1 Safari/605.1.15", "Safari on macOS"),
        ("curl/8.4.0", "curl/8.4.0"),
        ("  evil\x00\u202e<script>\n tool ", "evil <script> tool"),
        (None, ""),
        (42, ""),
        ("", ""),
    ],
)
def test_session_labels(user_agent: object, label: str) -> None:
    """Known browsers and systems are named; anything else is cleaned up."""
    assert session_label(user_agent) == label


@given(st.text(max_size=2000))
def test_labels_are_short_and_printable(user_agent: str) -> None:
    """Whatever the header, the label is short printable ASCII without edge spaces."""
    label = session_label(user_agent)
    assert len(label) <= MAX_LABEL_CHARS
    assert all(" " <= ch <= "~" for ch in label)
    assert label == label.strip()


@pytest.mark.parametrize(
    ("user_agent", "label"),
    [
        pytest.param("Firefox/121.0", "Firefox", id="browser-only"),
        pytest.param("SomeTool (Windows NT 10.0)", "Windows", id="system-only"),
        pytest.param("tool~1 \u00e9t\u00e9\x7f", "tool~1 t", id="ascii-printable-only"),
        pytest.param("a" * 59 + " b", "a" * 59, id="cut-then-trailing-space-dropped"),
    ],
)
def test_a_label_names_what_it_knows_and_keeps_printable_ascii(
    user_agent: str, label: str
) -> None:
    """A browser or a system alone is named alone; other text keeps ASCII ' ' to '~'."""
    assert session_label(user_agent) == label


def test_tokens_of_1_to_max_characters_have_a_hash() -> None:
    """One character and MAX_TOKEN_CHARS characters are well formed; one more is not."""
    assert token_hash("a") == hashlib.sha256(b"a").hexdigest()
    assert token_hash("a" * MAX_TOKEN_CHARS) == hashlib.sha256(b"a" * MAX_TOKEN_CHARS).hexdigest()
    assert token_hash("a" * (MAX_TOKEN_CHARS + 1)) is None
    assert token_hash("") is None
