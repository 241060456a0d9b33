"""Password hashing on a few low-priority threads, so sign-ins yield the CPU to pages.

A sign-in costs one Argon2id verification: with RFC 9106's low-memory profile
(t=3, m=64 MiB, p=4 lanes) libargon2 runs the four lanes on threads of its own
and keeps about 1.6 cores busy for about 140 ms. On a small server every page
in flight meanwhile waits for a core. :class:`LowPriorityHasher` wraps any
:class:`~portalkit.ports.PasswordHasher` and runs its computations (``hash``,
``verify``, ``verify_dummy``) on a small pool of threads that lower their own
scheduling priority once, when they start. The threads libargon2 creates
inherit it, so when pages and sign-ins want the CPU at the same moment the
kernel serves the pages first; a sign-in takes the cores nobody else wants.
The Argon2id parameters, the answers and the cost of each computation do not
change; only who waits when the CPU is short.

The pool has a fixed number of threads (``workers``, one by default): sign-ins
of one process run that many at a time, the rest wait their turn in the
queue. The queue holds one job per caller waiting for its answer, so it is
bounded by the server's request threads.

Priorities are per thread on Linux (``setpriority(PRIO_PROCESS, tid)``). On
other platforms a thread cannot lower only itself, so the pool still runs the
computations (at most ``workers`` at a time) but leaves the priority alone;
:attr:`LowPriorityHasher.lowers_priority` says which applies.

Example::

    from portalkit import Portal, PortalConfig
    from portalkit.adapters.crypto import Argon2idHasher
    from portalkit.adapters.hashing_pool import LowPriorityHasher

    hasher = LowPriorityHasher(Argon2idHasher(), niceness=19)
    portal = Portal.from_url(url, secret_key=key, config=PortalConfig(hasher=hasher))
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from portalkit.errors import ConfigurationError
from portalkit.ports import PasswordHasher

__all__ = [
    "DEFAULT_NICENESS",
    "MAX_NICENESS",
    "MAX_WORKERS",
    "LowPriorityHasher",
]

#: How much the pool's threads lower their priority by default (Linux nice
#: increment): a nice-19 thread gets about 1.5% of a core's time against a
#: nice-0 thread that wants it, and all of it when nobody else does.
DEFAULT_NICENESS = 19
#: The largest nice value Linux has.
MAX_NICENESS = 19
#: The most threads one pool may have (each computation may use several cores).
MAX_WORKERS = 64

T = TypeVar("T")

_PER_THREAD_PRIORITY = sys.platform.startswith("linux") and hasattr(os, "setpriority")


def _lower_own_priority(niceness: int) -> None:
    """Raise the calling thread's nice value by *niceness* (capped at 19); Linux only."""
    if not _PER_THREAD_PRIORITY or niceness == 0:
        return
    tid = threading.get_native_id()
    current = os.getpriority(os.PRIO_PROCESS, tid)
    os.setpriority(os.PRIO_PROCESS, tid, min(MAX_NICENESS, current + niceness))


class LowPriorityHasher:
    """A :class:`~portalkit.ports.PasswordHasher` computing on low-priority threads.

    Answers, errors and the cost of every computation are the inner hasher's:
    ``verify_dummy`` (the "no such user" path) still costs exactly one
    verification, as a wrong password does. Only ``needs_rehash``, which
    computes nothing, runs on the caller's thread.

    Args:
        inner: The hasher doing the work (e.g.
            :class:`~portalkit.adapters.crypto.Argon2idHasher`).
        workers: Threads in the pool: how many computations of this process
            run at once (1 to :data:`MAX_WORKERS`).
        niceness: How much each thread lowers its priority when it starts
            (0 to :data:`MAX_NICENESS`; 0 keeps the caller's priority).

    Raises:
        ConfigurationError: *workers* or *niceness* is out of range, or
            *inner* is not a password hasher.
    """

    def __init__(
        self, inner: PasswordHasher, *, workers: int = 1, niceness: int = DEFAULT_NICENESS
    ) -> None:
        problems = []
        if isinstance(workers, bool) or not isinstance(workers, int):
            problems.append(f"workers must be an integer, not {type(workers).__name__}")
        elif not 1 <= workers <= MAX_WORKERS:
            problems.append(f"workers={workers} (1 to {MAX_WORKERS})")
        if isinstance(niceness, bool) or not isinstance(niceness, int):
            problems.append(f"niceness must be an integer, not {type(niceness).__name__}")
        elif not 0 <= niceness <= MAX_NICENESS:
            problems.append(f"niceness={niceness} (0 to {MAX_NICENESS})")
        missing = [
            name for name in ("hash", "verify", "verify_dummy", "needs_rehash")
            if not callable(getattr(inner, name, None))
        ]
        if missing:
            problems.append(f"inner has no {', '.join(missing)} (not a PasswordHasher)")
        if problems:
            raise ConfigurationError(
                "Invalid low-priority password hasher: " + "; ".join(problems) + "."
            )
        self._inner = inner
        self._workers = workers
        self._niceness = niceness
        self._guard = threading.Lock()
        self._pool: ThreadPoolExecutor | None = None
        self._pid = 0

    @property
    def inner(self) -> PasswordHasher:
        """The hasher doing the work."""
        return self._inner

    @property
    def workers(self) -> int:
        """How many computations of this process run at once."""
        return self._workers

    @property
    def niceness(self) -> int:
        """How much the pool's threads lower their priority."""
        return self._niceness

    @property
    def lowers_priority(self) -> bool:
        """True where the pool's threads really lower their priority (Linux, niceness > 0)."""
        return _PER_THREAD_PRIORITY and self._niceness > 0

    def _executor(self) -> ThreadPoolExecutor:
        # Threads start on the first computation, in the process that needs
        # them: a pool made before a server forks its workers starts afresh in
        # each worker (threads do not survive fork).
        pid = os.getpid()
        with self._guard:
            if self._pool is None or self._pid != pid:
                self._pool = ThreadPoolExecutor(
                    max_workers=self._workers,
                    thread_name_prefix="portalkit-hasher",
                    initializer=_lower_own_priority,
                    initargs=(self._niceness,),
                )
                self._pid = pid
            return self._pool

    def _run(self, work: Callable[[], T]) -> T:
        return self._executor().submit(work).result()

    def hash(self, password: str) -> str:
        """A new encoded hash of *password* with a fresh salt (on the pool)."""
        return self._run(lambda: self._inner.hash(password))

    def verify(self, encoded: str, password: str) -> bool:
        """True if *password* matches *encoded*, as the inner hasher says (on the pool)."""
        return self._run(lambda: self._inner.verify(encoded, password))

    def verify_dummy(self, password: str) -> bool:
        """Cost exactly one verification and return False (on the pool)."""
        return self._run(lambda: self._inner.verify_dummy(password))

    def needs_rehash(self, encoded: str) -> bool:
        """True if *encoded* was made with other parameters (no computation, no pool)."""
        return self._inner.needs_rehash(encoded)

    def close(self) -> None:
        """Stop the pool's threads once queued computations are done; later calls restart it."""
        with self._guard:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True)
