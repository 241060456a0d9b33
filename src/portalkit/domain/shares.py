"""Share links: one document shared with one recipient, for named actions.

A staff user, or a customer allowed :data:`~portalkit.perms.DOCUMENT_SHARE`,
shares one document with one recipient (an email address). The link:

- carries a 128-bit random secret (:func:`new_secret`); only its keyed hash
  (HMAC-SHA256 with a key derived from the portal's secret, :func:`hash_secret`)
  is stored, so a copy of the database gives no usable links;
- expires (at most :data:`MAX_LIFETIME` after it was made) and can be revoked;
- allows only the actions named when it was made (:data:`SHARE_ACTIONS`);
- acts as a narrow principal that still passes the document visibility rules:
  a shared document that goes back to draft, or whose kind is switched off, is
  invisible through the link too.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
import secrets
from collections.abc import Iterable

import attrs

from portalkit.errors import InvalidInputError

__all__ = [
    "DEFAULT_LIFETIME",
    "MAX_LIFETIME",
    "SHARE_ACTIONS",
    "SHARE_DOWNLOAD",
    "SHARE_VIEW",
    "ShareLink",
    "hash_secret",
    "new_secret",
    "normalize_recipient",
    "validate_actions",
    "validate_lifetime",
]

SHARE_VIEW = "view"
SHARE_DOWNLOAD = "download"
#: The actions a share link can allow.
SHARE_ACTIONS: frozenset[str] = frozenset({SHARE_VIEW, SHARE_DOWNLOAD})
#: How long a link lives unless asked otherwise.
DEFAULT_LIFETIME = dt.timedelta(days=7)
#: The longest lifetime a link may have.
MAX_LIFETIME = dt.timedelta(days=90)

_SECRET_BYTES = 16  # 128 bits
_EMAIL_RE = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,255}\.[^@\s.]{1,63}$")


@attrs.frozen(kw_only=True)
class ShareLink:
    """A stored share link (never holds the secret itself).

    Attributes:
        document_id: The one document it opens.
        recipient: The recipient's normalized email address.
        actions: What the link allows, a subset of :data:`SHARE_ACTIONS`.
        secret_hash: HMAC-SHA256 (hex) of the secret.
        created_by: The user who made it.
        created_by_staff: Whether that user was staff (a customer's link also
            needs the customer to still see the document).
        expires_at, revoked_at: When it stops (revoked_at None while live).
    """

    id: int
    tenant_id: int
    document_id: int
    recipient: str
    actions: frozenset[str]
    secret_hash: str
    created_by: int
    created_by_staff: bool = False
    created_at: dt.datetime
    expires_at: dt.datetime
    revoked_at: dt.datetime | None = None

    def is_live(self, now: dt.datetime) -> bool:
        """Not revoked and not expired at *now*."""
        return self.revoked_at is None and now < self.expires_at

    def allows(self, action: str, now: dt.datetime) -> bool:
        """Whether the link, at *now*, allows *action*."""
        return self.is_live(now) and action in self.actions


def new_secret() -> str:
    """A fresh link secret: 128 random bits, URL-safe (22 characters)."""
    return secrets.token_urlsafe(_SECRET_BYTES)


def hash_secret(key: bytes, secret: str) -> str:
    """The stored form of *secret*: HMAC-SHA256 under *key*, as hex."""
    return hmac.new(key, secret.encode(), hashlib.sha256).hexdigest()


def normalize_recipient(recipient: object) -> str:
    """The recipient's email, trimmed and lowercased; InvalidInputError if malformed."""
    if not isinstance(recipient, str) or not _EMAIL_RE.match(recipient.strip()):
        raise InvalidInputError.for_field("recipient", "Enter a valid email address.")
    return recipient.strip().lower()


def validate_actions(actions: Iterable[str]) -> frozenset[str]:
    """The actions as a frozenset if they are non-empty and all known."""
    wanted = frozenset(actions) if not isinstance(actions, str) else frozenset({actions})
    if not wanted or not wanted <= SHARE_ACTIONS:
        raise InvalidInputError.for_field(
            "actions", "Choose what the link allows: view, download or both."
        )
    return wanted


def validate_lifetime(lifetime: dt.timedelta) -> dt.timedelta:
    """*lifetime* if it is positive and at most :data:`MAX_LIFETIME`."""
    if not isinstance(lifetime, dt.timedelta) or not dt.timedelta(0) < lifetime <= MAX_LIFETIME:
        raise InvalidInputError.for_field(
            "expires_in", f"A link can live for at most {MAX_LIFETIME.days} days."
        )
    return lifetime
