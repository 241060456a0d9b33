"""The second-factor adapters: AES-GCM sealing and the pyotp/segno TOTP."""

from __future__ import annotations

import sys
from collections.abc import Callable

import pyotp
import pytest

from portalkit.adapters.second_factors import AesGcmSecretBox, PyotpTotp
from portalkit.errors import ConfigurationError, InvalidTokenError


def test_sealing_round_trips_and_is_bound_to_its_context() -> None:
    """Another context, key or a changed byte does not open; every seal differs."""
    box = AesGcmSecretBox([b"k" * 32])
    sealed = box.seal(b"JBSWY3DPEHPK3PXP", "totp:1:2")
    assert sealed != box.seal(b"JBSWY3DPEHPK3PXP", "totp:1:2")
    assert b"JBSWY3DPEHPK3PXP".decode() not in sealed
    assert box.open(sealed, "totp:1:2") == b"JBSWY3DPEHPK3PXP"
    with pytest.raises(InvalidTokenError):
        box.open(sealed, "totp:1:3")
    with pytest.raises(InvalidTokenError):
        AesGcmSecretBox([b"x" * 32]).open(sealed, "totp:1:2")
    tampered = sealed[:-2] + ("A" if sealed[-2] != "A" else "B") + sealed[-1]
    for bad in (tampered, "v1:", "v2:" + sealed[3:], "garbage", "v1:!!!"):
        with pytest.raises(InvalidTokenError):
            box.open(bad, "totp:1:2")


def test_rotation_opens_with_any_configured_key() -> None:
    """A seal of the old key opens once a new key is first; new seals use the new key."""
    old = AesGcmSecretBox([b"old" * 11])
    rotated = AesGcmSecretBox([b"new" * 11, b"old" * 11])
    sealed = old.seal(b"secret", "c")
    assert rotated.open(sealed, "c") == b"secret"
    with pytest.raises(InvalidTokenError):
        old.open(rotated.seal(b"secret", "c"), "c")


def test_totp_matches_rfc_6238_as_pyotp_computes_it() -> None:
    """Codes, the URI and the QR code of a fresh secret."""
    totp = PyotpTotp()
    secret = totp.new_secret()
    assert len(secret) == 32
    assert totp.new_secret() != secret
    assert totp.code_at(secret, 1000) == pyotp.TOTP(secret).at(1000 * 30)
    uri = totp.uri(secret, account="ann@city.example", issuer="Acme")
    assert uri.startswith("otpauth://totp/Acme:ann%40city.example?secret=")
    svg = totp.qr_svg(uri)
    assert svg.startswith("<svg")
    assert svg.endswith("</svg>")


USES: dict[str, Callable[[], object]] = {
    "pyotp": lambda: PyotpTotp().new_secret(),
    "segno": lambda: PyotpTotp().qr_svg("otpauth://totp/x"),
    "cryptography.hazmat.primitives.ciphers.aead": (
        lambda: AesGcmSecretBox([b"k" * 32]).seal(b"x", "c")
    ),
}


@pytest.mark.parametrize("module", sorted(USES))
def test_without_the_extra_a_configuration_error_names_it(
    module: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A missing package of the mfa extra is a ConfigurationError that says what to install."""
    monkeypatch.setitem(sys.modules, module, None)
    use = USES[module]
    with pytest.raises(ConfigurationError) as missing:
        use()
    assert "portalkit[mfa]" in str(missing.value)
