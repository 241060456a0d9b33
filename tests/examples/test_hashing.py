"""The example's hashers: OneAtATimeHasher (one at a time) and create_app's hashing options."""

from __future__ import annotations

import itertools
import threading
import time
from pathlib import Path

import pytest
from examples.flask_app import create_app
from examples.flask_app.hashing import OneAtATimeHasher

from portalkit.adapters.crypto import Argon2idHasher
from portalkit.adapters.hashing_pool import LowPriorityHasher
from portalkit.demo import DEMO_PASSWORD
from portalkit.errors import ConfigurationError


class _Timed:
    """A PasswordHasher that takes a while and notes when each call ran."""

    def __init__(self) -> None:
        self.spans: list[tuple[float, float]] = []
        self._lock = threading.Lock()

    def _work(self) -> None:
        start = time.monotonic()
        time.sleep(0.05)
        with self._lock:
            self.spans.append((start, time.monotonic()))

    def hash(self, password: str) -> str:
        self._work()
        return "h:" + password

    def verify(self, encoded: str, password: str) -> bool:
        self._work()
        return encoded == "h:" + password

    def verify_dummy(self, password: str) -> bool:
        self._work()
        return False

    def needs_rehash(self, encoded: str) -> bool:
        return False


def test_answers_are_the_inner_hashers(tmp_path: Path) -> None:
    """Hash, verify, the dummy and needs_rehash answer as Argon2id itself does."""
    inner = Argon2idHasher(time_cost=2, memory_kib=19_456, parallelism=1)
    hasher = OneAtATimeHasher(inner, tmp_path / "argon2.lock")
    encoded = hasher.hash("lantern-harbour-42")
    assert hasher.verify(encoded, "lantern-harbour-42")
    assert not hasher.verify(encoded, "wrong")
    assert hasher.verify_dummy("anything") is False
    assert hasher.needs_rehash(encoded) is inner.needs_rehash(encoded)


def test_computations_never_overlap_across_hashers_sharing_the_lock(tmp_path: Path) -> None:
    """Eight threads over two hashers (two workers' worth) sharing one lock file
    run their computations one after another, never two at once."""
    inner = _Timed()
    path = tmp_path / "argon2.lock"
    hashers = [OneAtATimeHasher(inner, path), OneAtATimeHasher(inner, path)]
    threads = [
        threading.Thread(target=hashers[n % 2].verify, args=("h:x", "x")) for n in range(8)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    spans = sorted(inner.spans)
    assert len(spans) == 8
    assert all(earlier[1] <= later[0] for earlier, later in itertools.pairwise(spans))


def test_create_app_hashes_on_a_low_priority_thread(tmp_path: Path) -> None:
    """create_app(hash_niceness=...) wraps Argon2id (and the lock, if given) in a
    LowPriorityHasher; signing in through the app works with the right password and
    is refused with a wrong one or an unknown account."""

    app = create_app(
        f"sqlite:///{tmp_path / 'portal.db'}",
        secret_key="hashing-example-test-secret-key-0123456789-abcdef",
        config={"PORTALKIT_CSRF": False},
        hash_lock=str(tmp_path / "argon2.lock"),
        hash_niceness=5,
    )
    portal = app.extensions["portalkit"].portal
    try:
        assert isinstance(portal.hasher, LowPriorityHasher)
        assert isinstance(portal.hasher.inner, OneAtATimeHasher)
        assert portal.hasher.niceness == 5
        who = "ann@cityfleet.example"
        for password, status in ((DEMO_PASSWORD, 302), ("wrong-password-1", 401)):
            answer = app.test_client().post(
                "/login", data={"identifier": who, "password": password}
            )
            assert answer.status_code == status
        unknown = app.test_client().post(
            "/login", data={"identifier": "nobody@cityfleet.example", "password": "x" * 12}
        )
        assert unknown.status_code == 401
    finally:
        portal.hasher.close()
        portal.close()


def test_create_app_refuses_an_out_of_range_niceness(tmp_path: Path) -> None:
    """A niceness outside 0-19 stops the app at start-up with a ConfigurationError."""

    with pytest.raises(ConfigurationError, match="niceness=25"):
        create_app(f"sqlite:///{tmp_path / 'portal.db'}", demo=False, hash_niceness=25)
