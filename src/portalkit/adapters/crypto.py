"""Password hashing with Argon2id (argon2-cffi), implementing the PasswordHasher port.

Defaults are RFC 9106's second recommended ("low-memory") profile: t=3
iterations, m=64 MiB, p=4 lanes, 16-byte salt, 32-byte tag. Anything weaker
than the OWASP Password Storage Cheat Sheet's floor (m=19 MiB, t=2, p=1), and
any variant but Argon2id, is refused when the hasher is built, so a bad
configuration stops the application at start-up rather than weakening stored
hashes.

:meth:`Argon2idHasher.verify_dummy` runs one verification against a hash of a
random secret made with the same parameters, so the "no such user" path of a
login costs exactly what a wrong password costs.
"""

from __future__ import annotations

import secrets

import argon2
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from portalkit.errors import ConfigurationError

__all__ = [
    "DEFAULT_MEMORY_KIB",
    "DEFAULT_PARALLELISM",
    "DEFAULT_TIME_COST",
    "FLOOR_MEMORY_KIB",
    "FLOOR_PARALLELISM",
    "FLOOR_TIME_COST",
    "Argon2idHasher",
]

#: RFC 9106 section 4, second recommended option.
DEFAULT_TIME_COST = 3
DEFAULT_MEMORY_KIB = 64 * 1024
DEFAULT_PARALLELISM = 4
#: OWASP Password Storage Cheat Sheet, Argon2id minimum.
FLOOR_TIME_COST = 2
FLOOR_MEMORY_KIB = 19 * 1024
FLOOR_PARALLELISM = 1


class Argon2idHasher:
    """Hashes and verifies passwords with Argon2id.

    Args:
        time_cost: Iterations (t); at least 2.
        memory_kib: Memory in KiB (m); at least 19,456 (19 MiB).
        parallelism: Lanes (p); at least 1.
        hash_len: Tag length in bytes; at least 16.
        salt_len: Salt length in bytes; at least 16.
        variant: Must be ``"id"``; other Argon2 variants are refused.

    Raises:
        ConfigurationError: A parameter is below the floor or the variant is not id.
    """

    def __init__(
        self,
        *,
        time_cost: int = DEFAULT_TIME_COST,
        memory_kib: int = DEFAULT_MEMORY_KIB,
        parallelism: int = DEFAULT_PARALLELISM,
        hash_len: int = 32,
        salt_len: int = 16,
        variant: str = "id",
    ) -> None:
        problems = []
        if variant != "id":
            problems.append(f"variant Argon2{variant} (only Argon2id is allowed)")
        if time_cost < FLOOR_TIME_COST:
            problems.append(f"time_cost={time_cost} (at least {FLOOR_TIME_COST})")
        if memory_kib < FLOOR_MEMORY_KIB:
            problems.append(f"memory_kib={memory_kib} (at least {FLOOR_MEMORY_KIB})")
        if parallelism < FLOOR_PARALLELISM:
            problems.append(f"parallelism={parallelism} (at least {FLOOR_PARALLELISM})")
        if hash_len < 16 or salt_len < 16:
            problems.append("hash_len and salt_len must be at least 16 bytes")
        if problems:
            raise ConfigurationError(
                "Refusing a password hashing configuration below the OWASP floor "
                "(Argon2id, m=19 MiB, t=2, p=1): " + "; ".join(problems) + "."
            )
        self._hasher = argon2.PasswordHasher(
            time_cost=time_cost,
            memory_cost=memory_kib,
            parallelism=parallelism,
            hash_len=hash_len,
            salt_len=salt_len,
            type=argon2.Type.ID,
        )
        # Made once at start-up, never compared with anything a user can know.
        self._dummy = self._hasher.hash(secrets.token_urlsafe(32))

    @property
    def parameters(self) -> argon2.Parameters:
        """The Argon2 parameters new hashes are made with."""
        return argon2.extract_parameters(self._dummy)

    def hash(self, password: str) -> str:
        """A new encoded Argon2id hash (PHC string) of *password*, with a fresh salt."""
        return self._hasher.hash(password)

    def verify(self, encoded: str, password: str) -> bool:
        """True if *password* matches *encoded*; False for a mismatch or a broken hash."""
        try:
            return self._hasher.verify(encoded, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    def verify_dummy(self, password: str) -> bool:
        """Spend exactly one verification, as for a real user; always False."""
        self.verify(self._dummy, password)
        return False

    def needs_rehash(self, encoded: str) -> bool:
        """True if *encoded* was made with other parameters or another variant."""
        try:
            return self._hasher.check_needs_rehash(encoded)
        except (InvalidHashError, ValueError):
            return True
