"""Tests for portalkit.adapters.crypto: the Argon2id password hasher."""

from __future__ import annotations

import argon2
import pytest

from portalkit.adapters.crypto import Argon2idHasher
from portalkit.errors import ConfigurationError

#: The OWASP floor: the cheapest configuration accepted, to keep tests fast.
FAST = {"time_cost": 2, "memory_kib": 19 * 1024, "parallelism": 1}


@pytest.fixture(scope="module")
def hasher() -> Argon2idHasher:
    """A hasher at the OWASP floor."""
    return Argon2idHasher(**FAST)


def test_defaults_are_rfc9106_low_memory_profile() -> None:
    """Without arguments: Argon2id, t=3, m=64 MiB, p=4."""
    params = Argon2idHasher().parameters
    assert params.type is argon2.Type.ID
    assert (params.time_cost, params.memory_cost, params.parallelism) == (3, 65536, 4)


@pytest.mark.parametrize(
    "changes",
    [
        {"memory_kib": 19 * 1024 - 1},
        {"time_cost": 1},
        {"parallelism": 0},
        {"variant": "i"},
        {"variant": "d"},
        {"salt_len": 8},
    ],
)
def test_configurations_below_the_owasp_floor_are_refused(changes: dict[str, object]) -> None:
    """Weaker parameters or another variant raise ConfigurationError at construction."""
    with pytest.raises(ConfigurationError, match="OWASP floor"):
        Argon2idHasher(**{**FAST, **changes})  # type: ignore[arg-type]


def test_hash_and_verify(hasher: Argon2idHasher) -> None:
    """A hash verifies its password only, and is salted (two hashes differ)."""
    encoded = hasher.hash("correct horse battery staple")
    assert encoded.startswith("$argon2id$")
    assert hasher.verify(encoded, "correct horse battery staple")
    assert not hasher.verify(encoded, "correct horse battery stapler")
    assert hasher.hash("x" * 15) != hasher.hash("x" * 15)


def test_broken_hashes_verify_false(hasher: Argon2idHasher) -> None:
    """A malformed stored hash is a failed verification, not an exception."""
    assert not hasher.verify("not a hash", "anything")
    assert not hasher.verify("$argon2id$v=19$m=1,t=1,p=1$broken", "anything")


def test_dummy_verification_is_always_false(hasher: Argon2idHasher) -> None:
    """verify_dummy never succeeds, whatever the password."""
    assert hasher.verify_dummy("") is False
    assert hasher.verify_dummy("correct horse battery staple") is False


def test_needs_rehash_when_parameters_or_variant_change(hasher: Argon2idHasher) -> None:
    """Hashes from other parameters, another variant, or garbage need a rehash."""
    own = hasher.hash("correct horse battery staple")
    assert not hasher.needs_rehash(own)
    stronger = Argon2idHasher(**{**FAST, "time_cost": 3})
    assert stronger.needs_rehash(own)
    argon2i = argon2.PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1,
                                    type=argon2.Type.I).hash("pw")
    assert hasher.needs_rehash(argon2i)
    assert hasher.verify(argon2i, "pw")
    assert hasher.needs_rehash("garbage")
