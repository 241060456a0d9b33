"""Password hashing that leaves the pages a core: one Argon2id at a time.

A sign-in costs one Argon2id computation: about 200 ms of one core, 64 MiB.
On a small server several sign-ins at once take every core, and every page
queued behind them waits. :class:`OneAtATimeHasher` lets at most one
computation run at a time across every worker process that shares its lock
file (``fcntl.flock``; a thread lock where there is none): sign-ins queue
behind each other instead of behind pages. The Argon2id parameters are not
changed; only how many computations run at once.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

from portalkit.ports import PasswordHasher

try:
    import fcntl

    _FLOCK = True
except ImportError:  # pragma: no cover - not on POSIX
    _FLOCK = False

__all__ = ["OneAtATimeHasher"]

T = TypeVar("T")


class OneAtATimeHasher:
    """A :class:`~portalkit.ports.PasswordHasher` running one computation at a time.

    Args:
        inner: The hasher doing the work (Argon2id with its own parameters).
        lock_path: A file every worker process of the server opens; created
            if missing.
    """

    def __init__(self, inner: PasswordHasher, lock_path: str | Path) -> None:
        self._inner = inner
        self._path = Path(lock_path)
        self._threads = threading.Lock()  # threads of one process queue here first

    @contextlib.contextmanager
    def _turn(self) -> Iterator[None]:
        with self._threads:
            if not _FLOCK:  # pragma: no cover - not on POSIX
                yield
                return
            with self._path.open("a") as handle:
                fcntl.flock(handle, fcntl.LOCK_EX)
                try:
                    yield
                finally:
                    fcntl.flock(handle, fcntl.LOCK_UN)

    def _one(self, work: Callable[[], T]) -> T:
        with self._turn():
            return work()

    def hash(self, password: str) -> str:
        """A new encoded hash of *password* (waits for its turn)."""
        return self._one(lambda: self._inner.hash(password))

    def verify(self, encoded: str, password: str) -> bool:
        """True if *password* matches *encoded* (waits for its turn)."""
        return self._one(lambda: self._inner.verify(encoded, password))

    def verify_dummy(self, password: str) -> bool:
        """Cost exactly one verification and return False (waits for its turn)."""
        return self._one(lambda: self._inner.verify_dummy(password))

    def needs_rehash(self, encoded: str) -> bool:
        """True if *encoded* was made with other parameters (no computation)."""
        return self._inner.needs_rehash(encoded)
