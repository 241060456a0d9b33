"""Signed, expiring, purpose-bound tokens (the links in portalkit's emails).

:class:`ItsdangerousTokenSigner` implements the
:class:`~portalkit.ports.TokenSigner` port with itsdangerous'
``URLSafeTimedSerializer``:

* one salt per :class:`~portalkit.ports.TokenPurpose`, so an invitation token
  never verifies as a password-reset or download token;
* a lifetime per purpose that is always applied (there is no "no expiry");
* secret-key rotation: a list of keys, the first signs and every key verifies,
  so an old key can be phased out after the longest lifetime has passed;
* a token carries only an opaque record id and a nonce, never an email, phone
  or name;
* time comes from the :class:`~portalkit.ports.Clock` port, and a token dated
  in the future (beyond a small clock skew) is refused.

Every failure is one of two typed errors: :class:`~portalkit.errors.TokenExpiredError`
for a genuine token past its lifetime, :class:`~portalkit.errors.InvalidTokenError`
for anything else (tampered, truncated, another purpose, a rotated-out key,
future-dated).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from itsdangerous import BadData, TimestampSigner, URLSafeTimedSerializer
from itsdangerous.encoding import base64_decode, base64_encode

from portalkit.adapters.clock import SystemClock
from portalkit.errors import ConfigurationError, InvalidTokenError, TokenExpiredError
from portalkit.ports import Clock, TokenClaims, TokenPurpose

__all__ = ["DEFAULT_MAX_AGES", "MIN_SECRET_BYTES", "ItsdangerousTokenSigner"]

#: The shortest secret key accepted; shorter keys are guessable.
MIN_SECRET_BYTES = 32

#: How long a token of each purpose lives unless configured otherwise.
DEFAULT_MAX_AGES: Mapping[TokenPurpose, dt.timedelta] = {
    TokenPurpose.INVITE: dt.timedelta(days=30),
    TokenPurpose.RESET: dt.timedelta(hours=1),
    TokenPurpose.DOWNLOAD: dt.timedelta(minutes=15),
    TokenPurpose.EMAIL_PROOF: dt.timedelta(days=1),
    TokenPurpose.SHARE: dt.timedelta(days=30),
}

#: Longest accepted token (a genuine one is well under 200 characters).
MAX_TOKEN_LENGTH = 512

_NONCE_MAX = 64


def _keys(secret_keys: str | bytes | Sequence[str | bytes]) -> list[bytes]:
    keys = [secret_keys] if isinstance(secret_keys, (str, bytes)) else list(secret_keys)
    if not keys:
        raise ConfigurationError("A secret key is required.")
    encoded = [k.encode() if isinstance(k, str) else bytes(k) for k in keys]
    if any(len(k) < MIN_SECRET_BYTES for k in encoded):
        raise ConfigurationError(
            f"Every secret key must be at least {MIN_SECRET_BYTES} bytes long."
        )
    return encoded


def _is_canonical(token: str) -> bool:
    """Each dot-separated part is base64 that re-encodes to itself.

    URL-safe base64 without padding leaves spare bits in the last character;
    refusing non-canonical spellings means a changed character is always a
    refused token.
    """
    try:
        return all(
            base64_encode(base64_decode(part)).decode("ascii") == part
            for part in token.lstrip(".").split(".")
        )
    except (BadData, ValueError, UnicodeError):
        return False


class _ClockTimestampSigner(TimestampSigner):
    clock: ClassVar[Clock] = SystemClock()

    def get_timestamp(self) -> int:
        return int(self.clock.now().timestamp())


class ItsdangerousTokenSigner:
    """The :class:`~portalkit.ports.TokenSigner` built on itsdangerous.

    Args:
        secret_keys: One key, or a list (newest first): the first signs, all
            verify. Each must be at least 32 bytes.
        clock: Where "now" comes from (the system clock by default).
        max_ages: Lifetimes per purpose, overriding :data:`DEFAULT_MAX_AGES`.
        clock_skew: How far in the future a token's date may be (servers'
            clocks differ slightly); later dates are refused.
        namespace: Prefix of every salt; two applications sharing a key but
            using different namespaces never accept each other's tokens.

    Raises:
        ConfigurationError: No key, a key shorter than 32 bytes, or a lifetime
            that is not positive.
    """

    def __init__(
        self,
        secret_keys: str | bytes | Sequence[str | bytes],
        *,
        clock: Clock | None = None,
        max_ages: Mapping[TokenPurpose, dt.timedelta] | None = None,
        clock_skew: dt.timedelta = dt.timedelta(seconds=30),
        namespace: str = "portalkit",
    ) -> None:
        keys = _keys(secret_keys)
        self._clock: Clock = clock or SystemClock()
        self._max_ages = {**DEFAULT_MAX_AGES, **(max_ages or {})}
        if any(age <= dt.timedelta(0) for age in self._max_ages.values()):
            raise ConfigurationError("Token lifetimes must be positive.")
        self._skew = clock_skew
        signer = type("_Signer", (_ClockTimestampSigner,), {"clock": self._clock})
        # itsdangerous signs with the *last* key of its list; ours is newest first.
        self._serializers = {
            purpose: URLSafeTimedSerializer(
                list(reversed(keys)), salt=f"{namespace}.{purpose.value}", signer=signer
            )
            for purpose in TokenPurpose
        }

    def max_age(self, purpose: TokenPurpose) -> dt.timedelta:
        """The configured lifetime of *purpose*'s tokens."""
        return self._max_ages[TokenPurpose(purpose)]

    def sign(self, purpose: TokenPurpose, id: int, nonce: str) -> str:
        """A URL-safe token for record *id* with *nonce*, dated now."""
        if not isinstance(id, int) or isinstance(id, bool) or id < 0:
            raise ValueError("id must be a non-negative integer")
        if not isinstance(nonce, str) or not 0 < len(nonce) <= _NONCE_MAX:
            raise ValueError(f"nonce must be 1-{_NONCE_MAX} characters")
        token = self._serializers[TokenPurpose(purpose)].dumps([id, nonce])
        return str(token)

    def verify(
        self, purpose: TokenPurpose, token: str, *, max_age: dt.timedelta | None = None
    ) -> TokenClaims:
        """The claims of a genuine, unexpired *token* made for *purpose*.

        *max_age* shortens the purpose's lifetime; it never lengthens it.

        Raises:
            TokenExpiredError: The token is genuine but older than its lifetime.
            InvalidTokenError: Anything else: malformed, tampered, truncated,
                for another purpose, signed with a key no longer listed, or
                dated in the future.
        """
        serializer = self._serializers[TokenPurpose(purpose)]
        if not isinstance(token, str) or not 0 < len(token) <= MAX_TOKEN_LENGTH:
            raise InvalidTokenError()
        if not token.isascii() or not _is_canonical(token):
            raise InvalidTokenError()
        try:
            payload, signed_at = serializer.loads(token, return_timestamp=True)
        except (BadData, ValueError, TypeError, OverflowError, OSError) as exc:
            raise InvalidTokenError() from exc
        claims = _claims(payload, signed_at)
        limit = self._max_ages[TokenPurpose(purpose)]
        if max_age is not None:
            limit = min(limit, max_age)
        age = self._clock.now() - claims.signed_at
        if age < -self._skew:
            raise InvalidTokenError()
        if age > limit:
            raise TokenExpiredError()
        return claims


def _claims(payload: Any, signed_at: Any) -> TokenClaims:
    """Check the shape of a verified payload (a key holder could sign anything)."""
    if (
        not isinstance(payload, list)
        or len(payload) != 2
        or not isinstance(payload[0], int)
        or isinstance(payload[0], bool)
        or payload[0] < 0
        or not isinstance(payload[1], str)
        or not 0 < len(payload[1]) <= _NONCE_MAX
        or not isinstance(signed_at, dt.datetime)
    ):
        raise InvalidTokenError()
    return TokenClaims(id=payload[0], nonce=payload[1], signed_at=signed_at)
