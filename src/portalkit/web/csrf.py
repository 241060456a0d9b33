"""CSRF tokens bound to one session, for any integration.

A session holds a random secret (:func:`new_session_secret`); every form of
that session carries a token made from it with the portal's secret key
(HMAC-SHA-256 under a key derived for this purpose only). A token is good only
for the session it was issued to, only until it is :attr:`CsrfTokens.max_age`
old, and only with an unaltered MAC; the comparison is constant-time. A new
session (sign-in) has a new secret, so tokens from before it are worthless::

    >>> from portalkit.web import CsrfTokens, new_session_secret
    >>> tokens = CsrfTokens("a secret key of at least thirty-two bytes")
    >>> mine, theirs = new_session_secret(), new_session_secret()
    >>> token = tokens.issue(mine)
    >>> tokens.is_valid(mine, token), tokens.is_valid(theirs, token)
    (True, False)

:class:`~portalkit.Portal` offers one made from its secret keys as
``portal.csrf``.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import secrets
from collections.abc import Sequence

from portalkit.errors import InvalidTokenError, TokenExpiredError
from portalkit.ports import Clock

__all__ = ["CSRF_MAX_AGE", "CsrfTokens", "new_session_secret"]

#: How long a form's token stays good: a working day, so a form left open over
#: lunch still posts, while a token lifted from an old page soon is not.
CSRF_MAX_AGE = dt.timedelta(hours=12)
#: Tokens issued this far in the "future" still pass (clocks of several workers).
_SKEW = dt.timedelta(minutes=5)
_PURPOSE = b"portalkit.web.csrf"
_MAC_BYTES = 32


def new_session_secret() -> str:
    """A fresh random secret to keep in a new session (32 random bytes, URL-safe)."""
    return secrets.token_urlsafe(32)


class _SystemClock:
    def now(self) -> dt.datetime:
        return dt.datetime.now(dt.timezone.utc)


def _as_bytes(key: str | bytes) -> bytes:
    return key.encode("utf-8") if isinstance(key, str) else key


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class CsrfTokens:
    """Issue and check the CSRF tokens of one portal.

    Args:
        secret_keys: The portal's secret key, or several (newest first) while
            rotating: tokens are made with the first and accepted with any.
        max_age: How long a token is accepted after it was issued.
        clock: Where time comes from (the system clock when None).
    """

    def __init__(
        self,
        secret_keys: str | bytes | Sequence[str | bytes],
        *,
        max_age: dt.timedelta = CSRF_MAX_AGE,
        clock: Clock | None = None,
    ) -> None:
        keys = [secret_keys] if isinstance(secret_keys, str | bytes) else list(secret_keys)
        if not keys or not all(keys):
            raise ValueError("CsrfTokens needs at least one non-empty secret key.")
        self._keys = tuple(
            hmac.new(_as_bytes(key), _PURPOSE, hashlib.sha256).digest() for key in keys
        )
        self.max_age = max_age
        self._clock: Clock = clock or _SystemClock()

    def __repr__(self) -> str:
        return f"CsrfTokens(max_age={self.max_age!r})"

    def _mac(self, key: bytes, session_secret: str, issued: int) -> bytes:
        message = b"\0".join((session_secret.encode("utf-8"), str(issued).encode("ascii")))
        return hmac.new(key, message, hashlib.sha256).digest()

    def issue(self, session_secret: str) -> str:
        """A token for a form of the session whose secret is *session_secret*."""
        if not session_secret:
            raise ValueError("A CSRF token needs the session's secret.")
        issued = int(self._clock.now().timestamp())
        return f"{issued:x}.{_b64(self._mac(self._keys[0], session_secret, issued))}"

    def verify(self, session_secret: str | None, token: object) -> None:
        """Check *token* against the session's secret; return quietly when good.

        Raises:
            InvalidTokenError: no session secret, a malformed or altered token,
                or one issued to another session or with an unknown key.
            TokenExpiredError: a genuine token older than :attr:`max_age`.
        """
        if not session_secret or not isinstance(token, str) or len(token) > 200:
            raise InvalidTokenError(_REFUSED)
        issued_text, _, mac_text = token.partition(".")
        try:
            issued = int(issued_text, 16)
            mac = _unb64(mac_text)
        except ValueError as exc:
            raise InvalidTokenError(_REFUSED) from exc
        if len(mac) != _MAC_BYTES or not any(
            hmac.compare_digest(mac, self._mac(key, session_secret, issued)) for key in self._keys
        ):
            raise InvalidTokenError(_REFUSED)
        age = self._clock.now() - dt.datetime.fromtimestamp(issued, dt.timezone.utc)
        if age > self.max_age or age < -_SKEW:
            raise TokenExpiredError(_EXPIRED)

    def is_valid(self, session_secret: str | None, token: object) -> bool:
        """Whether :meth:`verify` accepts *token*."""
        try:
            self.verify(session_secret, token)
        except InvalidTokenError:
            return False
        return True


_REFUSED = "This form could not be accepted. Reload the page and try again."
_EXPIRED = "This form has expired. Reload the page and try again."
