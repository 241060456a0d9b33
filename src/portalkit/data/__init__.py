"""Data shipped inside the package, loaded lazily with :mod:`importlib.resources`.

``common-passwords.txt.gz`` is the list of 19,640 common passwords that Django
ships (``django/contrib/auth/common-passwords.txt.gz``, BSD-3-Clause, copyright
the Django Software Foundation and individual contributors; see
``common-passwords.LICENSE.txt`` beside it). Django built it from Royce Williams'
list of the 20,000 most common passwords (lower-cased and de-duplicated).
"""

from __future__ import annotations

import functools
import gzip
from importlib import resources

__all__ = ["COMMON_PASSWORDS", "CommonPasswords", "common_passwords"]

_BLOCKLIST = "common-passwords.txt.gz"


@functools.cache
def common_passwords() -> frozenset[str]:
    """The packaged common passwords, lower-cased; read once, on first use."""
    data = resources.files(__name__).joinpath(_BLOCKLIST).read_bytes()
    text = gzip.decompress(data).decode("utf-8")
    return frozenset(line.strip() for line in text.splitlines() if line.strip())


class CommonPasswords:
    """A container of the packaged common passwords that loads on first use.

    ``"password" in COMMON_PASSWORDS`` is True; creating it reads nothing.
    """

    def __contains__(self, item: object) -> bool:
        return item in common_passwords()

    def __len__(self) -> int:
        return len(common_passwords())

    def __repr__(self) -> str:
        return "CommonPasswords()"


#: The packaged blocklist; pass it as ``PasswordPolicy(blocklist=COMMON_PASSWORDS)``.
COMMON_PASSWORDS = CommonPasswords()
