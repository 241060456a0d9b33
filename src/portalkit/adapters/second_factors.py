"""Second-factor adapters: AES-GCM sealing of secrets, and TOTP with pyotp and segno.

Both need ``pip install portalkit[mfa]`` (pyotp, segno, cryptography). The
libraries are imported on first use, so ``import portalkit`` works without
them; using a second factor without them raises
:class:`~portalkit.errors.ConfigurationError` naming the extra.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import importlib
import secrets
from collections.abc import Sequence
from types import ModuleType

from portalkit.domain.second_factors import TOTP_DIGITS, TOTP_PERIOD
from portalkit.errors import ConfigurationError, InvalidTokenError

__all__ = ["AesGcmSecretBox", "PyotpTotp", "require_mfa_extra"]

_EXTRA = "Second factors need the mfa extra: install it with `pip install portalkit[mfa]`."
_NONCE = 12
_VERSION = "v1"


def require_mfa_extra(module: str) -> ModuleType:
    """Import *module* of the mfa extra, or raise ConfigurationError naming the extra."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise ConfigurationError(_EXTRA) from exc


def _box_key(secret: bytes) -> bytes:
    return hmac.new(secret, b"portalkit/mfa/secret-box", hashlib.sha256).digest()


class AesGcmSecretBox:
    """A :class:`~portalkit.ports.SecretBox`: AES-256-GCM under keys derived from the portal's.

    Each portal secret key gives one 256-bit key (HMAC-SHA256 with a fixed
    label, so the box never uses the portal key itself). ``seal`` uses the
    newest key and a random 96-bit nonce; the *context* (for a TOTP secret:
    its tenant and user) is authenticated data, so a sealed value copied to
    another user's row does not open. ``open`` tries every key, newest first.

    Args:
        secret_keys: The portal's secret keys, newest first.
    """

    def __init__(self, secret_keys: Sequence[bytes]) -> None:
        if not secret_keys:
            raise ConfigurationError("A secret key is required.")
        self._keys = [_box_key(key) for key in secret_keys]

    def _aead(self, key: bytes) -> object:
        aead = require_mfa_extra("cryptography.hazmat.primitives.ciphers.aead")
        return aead.AESGCM(key)

    def seal(self, plaintext: bytes, context: str) -> str:
        """*plaintext* encrypted with the newest key and bound to *context*."""
        nonce = secrets.token_bytes(_NONCE)
        box = self._aead(self._keys[0])
        sealed = box.encrypt(nonce, plaintext, context.encode())  # type: ignore[attr-defined]
        return f"{_VERSION}:{base64.urlsafe_b64encode(nonce + sealed).decode()}"

    def open(self, sealed: str, context: str) -> bytes:
        """The plaintext, decrypted with whichever configured key sealed it."""
        version, _, body = sealed.partition(":")
        try:
            raw = base64.urlsafe_b64decode(body.encode())
        except ValueError:
            raw = b""
        if version != _VERSION or len(raw) <= _NONCE:
            raise InvalidTokenError()
        invalid_tag = require_mfa_extra("cryptography.exceptions").InvalidTag
        for key in self._keys:
            try:
                opened: bytes = self._aead(key).decrypt(  # type: ignore[attr-defined]
                    raw[:_NONCE], raw[_NONCE:], context.encode()
                )
            except invalid_tag:
                continue
            return opened
        raise InvalidTokenError()


class PyotpTotp:
    """A :class:`~portalkit.ports.TotpAlgorithm`: pyotp codes, segno QR codes as SVG.

    Six digits, 30-second steps, SHA-1: what every authenticator app reads.
    """

    def new_secret(self) -> str:
        """A random 160-bit secret in base32 (RFC 4226's recommended length)."""
        pyotp = require_mfa_extra("pyotp")
        return str(pyotp.random_base32(length=32))

    def code_at(self, secret: str, step: int) -> str:
        """The code of *secret* at time step *step*."""
        pyotp = require_mfa_extra("pyotp")
        totp = pyotp.TOTP(secret, digits=TOTP_DIGITS, interval=TOTP_PERIOD)
        return str(totp.generate_otp(step))

    def uri(self, secret: str, *, account: str, issuer: str) -> str:
        """The ``otpauth://`` URI of *secret* for *account* at *issuer*."""
        pyotp = require_mfa_extra("pyotp")
        totp = pyotp.TOTP(secret, digits=TOTP_DIGITS, interval=TOTP_PERIOD)
        return str(totp.provisioning_uri(name=account, issuer_name=issuer))

    def qr_svg(self, uri: str) -> str:
        """A QR code of *uri* as an SVG document without an XML declaration (inline HTML)."""
        segno = require_mfa_extra("segno")
        qr = segno.make(uri, error="m")
        return str(qr.svg_inline(scale=4, title="QR code for your authenticator app"))
