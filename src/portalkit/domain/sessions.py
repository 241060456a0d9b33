"""Pure rules of server-side sessions: the stored record, its lifetime, its label.

A sign-in creates one :class:`Session` record. The browser keeps only an
opaque random token (``secrets.token_urlsafe(32)``); the record keeps the
SHA-256 of it (:func:`token_hash`), so a copy of the table signs nobody in.
Nothing in the token is trusted: it only names the record.

A session is live (:meth:`Session.is_live`) while it is neither idle for longer
than the idle timeout (measured from ``last_seen_at``) nor older than the
absolute timeout (from ``created_at``). It also carries the user's security
stamp at sign-in: any stamp rotation (password change or reset, disabling the
user, "sign out everywhere") ends every session of the user, with no other
code path, because the service refuses a record whose stamp differs from the
user's.

Ending a session (sign-out, "end this session", "sign out everywhere")
deletes its record: there is no "ended" state to check or to forget to check.
Records that ended by a timeout or a stamp change are deleted at the user's
next sign-in.

"Last seen" is written at most once per touch interval
(:meth:`Session.touch_due`), so a read-only page stays read-only most of the
time.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import string

import attrs

__all__ = [
    "MAX_LABEL_CHARS",
    "MAX_TOKEN_CHARS",
    "Session",
    "SessionSummary",
    "session_label",
    "token_hash",
]

#: The longest token accepted (``token_urlsafe(32)`` gives 43 characters).
MAX_TOKEN_CHARS = 128
#: The longest session label stored.
MAX_LABEL_CHARS = 60
#: How much of a User-Agent header is looked at.
_MAX_USER_AGENT_CHARS = 512
_TOKEN_CHARS = frozenset(string.ascii_letters + string.digits + "-_")

# First match wins: Edge and Opera also say "Chrome", Chrome also says "Safari";
# iOS also says "Mac OS X", Android also says "Linux".
_BROWSERS = (
    ("Edg/", "Edge"),
    ("EdgiOS/", "Edge"),
    ("OPR/", "Opera"),
    ("Firefox/", "Firefox"),
    ("FxiOS/", "Firefox"),
    ("Chrome/", "Chrome"),
    ("CriOS/", "Chrome"),
    ("Safari/", "Safari"),
)
_SYSTEMS = (
    ("Windows", "Windows"),
    ("Android", "Android"),
    ("iPhone", "iOS"),
    ("iPad", "iPadOS"),
    ("CrOS", "ChromeOS"),
    ("Mac OS X", "macOS"),
    ("Linux", "Linux"),
)


def token_hash(token: object) -> str | None:
    """The stored form of a session token (SHA-256, hex), or None if it is malformed.

    A well-formed token is a string of at most :data:`MAX_TOKEN_CHARS` URL-safe
    base64 characters; anything else can never name a session. The token has
    256 random bits, so an unkeyed hash is enough: it cannot be guessed from
    the hash.
    """
    if not isinstance(token, str) or not 0 < len(token) <= MAX_TOKEN_CHARS:
        return None
    if not _TOKEN_CHARS.issuperset(token):
        return None
    return hashlib.sha256(token.encode()).hexdigest()  # URL-safe base64: ASCII


def session_label(user_agent: object) -> str:
    """A short, printable label for a User-Agent header ("Firefox on Windows").

    Known browsers and systems are named; anything else is reduced to
    printable ASCII, its whitespace collapsed, cut at :data:`MAX_LABEL_CHARS`.
    Not a string (or nothing usable) gives ``""``. The header is the client's
    own claim: the label helps a user recognize a session, it proves nothing.
    """
    if not isinstance(user_agent, str):
        return ""
    text = user_agent[:_MAX_USER_AGENT_CHARS]
    browser = next((name for marker, name in _BROWSERS if marker in text), None)
    system = next((name for marker, name in _SYSTEMS if marker in text), None)
    if browser and system:
        return f"{browser} on {system}"
    named = browser or system
    if named:
        return named
    printable = "".join(ch if ch.isascii() and ch.isprintable() else " " for ch in text)
    return " ".join(printable.split())[:MAX_LABEL_CHARS].rstrip()


@attrs.frozen(kw_only=True)
class Session:
    """One sign-in, stored server-side.

    Attributes:
        id: The record's id (shown to its user to end it; not a secret).
        tenant_id, user_id: Whose session it is.
        token_hash: :func:`token_hash` of the token in the cookie; the token
            itself is never stored.
        created_at: When the user signed in (the absolute timeout counts from here).
        last_seen_at: The last recorded activity (the idle timeout counts from here).
        label: :func:`session_label` of the User-Agent at sign-in.
        security_stamp: The user's security stamp at sign-in; a session whose
            stamp is no longer the user's has ended.
    """

    id: int
    tenant_id: int
    user_id: int
    token_hash: str = attrs.field(repr=False)
    created_at: dt.datetime
    last_seen_at: dt.datetime
    label: str = ""
    security_stamp: str = attrs.field(repr=False)

    def expires_at(self, *, idle: dt.timedelta, absolute: dt.timedelta) -> dt.datetime:
        """When the session ends unless it is seen again: the earlier of both timeouts."""
        return min(self.last_seen_at + idle, self.created_at + absolute)

    def is_live(self, now: dt.datetime, *, idle: dt.timedelta, absolute: dt.timedelta) -> bool:
        """Whether neither timeout has passed at *now* (the stamp is the caller's check)."""
        return now < self.expires_at(idle=idle, absolute=absolute)

    def touch_due(self, now: dt.datetime, interval: dt.timedelta) -> bool:
        """Whether "last seen" should be written at *now* (at most once per *interval*)."""
        return now - self.last_seen_at >= interval

    def ended_by_stamp(self, current_stamp: str) -> bool:
        """Whether the user's security stamp changed since this sign-in."""
        return not _same(self.security_stamp, current_stamp)


def _same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


@attrs.frozen(kw_only=True)
class SessionSummary:
    """What a user sees of one of their live sessions (no token, no hash).

    Attributes:
        current: True for the session of the request that asked.
    """

    id: int
    created_at: dt.datetime
    last_seen_at: dt.datetime
    label: str
    current: bool
