"""The Portal's small defaults: secret keys as bytes, and the mailer of a portal without one."""

from __future__ import annotations

from collections.abc import Sequence
from email.message import EmailMessage

from portalkit.errors import ConfigurationError

__all__ = ["MIN_SECRET_BYTES", "NoMailer", "secret_keys"]

#: The shortest secret key accepted (signing keys shorter than this are guessable).
MIN_SECRET_BYTES = 32


def secret_keys(secret_key: str | bytes | Sequence[str | bytes]) -> tuple[bytes, ...]:
    """Normalize the secret key (or a list, newest first, for rotation) to bytes."""
    keys = [secret_key] if isinstance(secret_key, (str, bytes)) else list(secret_key)
    if not keys:
        raise ConfigurationError("A secret key is required.")
    encoded = tuple(k.encode() if isinstance(k, str) else bytes(k) for k in keys)
    for key in encoded:
        if len(key) < MIN_SECRET_BYTES:
            raise ConfigurationError(
                f"The secret key must be at least {MIN_SECRET_BYTES} bytes long; "
                "generate one with `python -c 'import secrets; print(secrets.token_urlsafe(48))'`."
            )
    return encoded


class NoMailer:
    """The mailer of a portal configured without one: sending is a configuration error."""

    def send(self, message: EmailMessage) -> None:
        raise ConfigurationError(
            "This portal has no mailer: pass config=PortalConfig(mailer=SmtpMailer(...)) "
            "to Portal or from_url()."
        )
