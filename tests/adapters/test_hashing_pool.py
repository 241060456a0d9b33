"""LowPriorityHasher: the inner hasher's answers, computed on low-priority threads."""

from __future__ import annotations

import os
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from portalkit.adapters.crypto import Argon2idHasher
from portalkit.adapters.hashing_pool import (
    DEFAULT_NICENESS,
    MAX_NICENESS,
    MAX_WORKERS,
    LowPriorityHasher,
)
from portalkit.errors import ConfigurationError, InvalidInputError, PortalkitError

LINUX = sys.platform.startswith("linux")
linux_only = pytest.mark.skipif(not LINUX, reason="per-thread priorities are Linux's")

#: The cheapest Argon2id the crypto adapter accepts (the OWASP floor): fast tests.
FLOOR = {"time_cost": 2, "memory_kib": 19_456, "parallelism": 1}


class _Recorder:
    """A PasswordHasher that notes which thread ran each call and at what nice value.

    It also counts computations, and fails on demand with a typed error, so the
    tests see what reached the inner hasher and where it ran.
    """

    def __init__(self, inner: Argon2idHasher) -> None:
        self.inner = inner
        self.lock = threading.Lock()
        self.calls: list[tuple[str, int, int | None]] = []

    def _note(self, name: str) -> None:
        tid = threading.get_native_id()
        nice = os.getpriority(os.PRIO_PROCESS, tid) if LINUX else None
        with self.lock:
            self.calls.append((name, tid, nice))

    def hash(self, password: str) -> str:
        self._note("hash")
        if password == "raise":
            raise InvalidInputError("That password cannot be used.")
        return self.inner.hash(password)

    def verify(self, encoded: str, password: str) -> bool:
        self._note("verify")
        return self.inner.verify(encoded, password)

    def verify_dummy(self, password: str) -> bool:
        self._note("verify_dummy")
        return self.inner.verify_dummy(password)

    def needs_rehash(self, encoded: str) -> bool:
        self._note("needs_rehash")
        return self.inner.needs_rehash(encoded)


@pytest.fixture(scope="module")
def argon2() -> Argon2idHasher:
    """One floor-cost Argon2id hasher for the module."""
    return Argon2idHasher(**FLOOR)


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(password=st.text(max_size=40), other=st.text(max_size=40))
def test_answers_are_the_inner_hashers(argon2: Argon2idHasher, password: str, other: str) -> None:
    """For any passwords, hashes made through the pool verify with the inner hasher and
    back, a different password is refused by both, and needs_rehash agrees."""
    pool = LowPriorityHasher(argon2)
    try:
        through_pool = pool.hash(password)
        direct = argon2.hash(password)
        assert argon2.verify(through_pool, password)
        assert pool.verify(direct, password)
        assert pool.verify(through_pool, other) == argon2.verify(through_pool, other)
        assert pool.verify(through_pool, other) == (other == password)
        assert pool.verify("not a hash", password) is False
        assert pool.verify_dummy(password) is False
        assert pool.needs_rehash(through_pool) is argon2.needs_rehash(through_pool)
    finally:
        pool.close()


@linux_only
def test_pool_threads_run_at_the_raised_nice_value(argon2: Argon2idHasher) -> None:
    """Every computation runs on a pool thread whose nice value, read back with
    os.getpriority for its native id, is the caller's plus the niceness; the caller's
    own thread keeps its priority, and needs_rehash runs on the caller's thread."""
    caller = threading.get_native_id()
    before = os.getpriority(os.PRIO_PROCESS, caller)
    recorder = _Recorder(argon2)
    pool = LowPriorityHasher(recorder, niceness=7)
    try:
        encoded = pool.hash("lantern")
        assert pool.verify(encoded, "lantern")
        assert pool.verify_dummy("lantern") is False
        pool.needs_rehash(encoded)
    finally:
        pool.close()
    expected = min(MAX_NICENESS, before + 7)
    computed = [(tid, nice) for name, tid, nice in recorder.calls if name != "needs_rehash"]
    assert len(computed) == 3
    assert {tid for tid, _ in computed} != {caller}
    assert all(tid != caller and nice == expected for tid, nice in computed)
    assert recorder.calls[-1][:2] == ("needs_rehash", caller)
    assert os.getpriority(os.PRIO_PROCESS, caller) == before
    assert pool.lowers_priority


def _task_nice_values() -> dict[int, int]:
    """Nice value of every thread of this process, from /proc (field 19 of stat)."""
    values = {}
    for task in Path("/proc/self/task").iterdir():
        try:
            text = (task / "stat").read_text()
        except OSError:  # the thread ended meanwhile
            continue
        fields = text[text.rindex(")") + 2 :].split()
        values[int(task.name)] = int(fields[16])
    return values


@linux_only
def test_libargon2_lane_threads_inherit_the_nice_value() -> None:
    """With four lanes, libargon2 starts threads of its own from the pool thread:
    sampled from /proc while verifications run, more than one thread of this process
    runs at the raised nice value (the pool thread and the lanes it started)."""
    four_lanes = Argon2idHasher(time_cost=3, memory_kib=32 * 1024, parallelism=4)
    encoded = four_lanes.hash("lantern")
    base = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    expected = min(MAX_NICENESS, base + 11)
    pool = LowPriorityHasher(four_lanes, niceness=11)
    seen: set[int] = set()
    done = threading.Event()

    def work() -> None:
        for _ in range(4):
            pool.verify(encoded, "lantern")
        done.set()

    worker = threading.Thread(target=work)
    worker.start()
    try:
        while not done.is_set():
            seen.update(tid for tid, nice in _task_nice_values().items() if nice == expected)
            time.sleep(0.0005)
    finally:
        worker.join()
        pool.close()
    assert len(seen) > 1


def test_unknown_user_costs_one_computation_like_a_wrong_password(
    argon2: Argon2idHasher,
) -> None:
    """verify_dummy reaches the inner hasher exactly once, as verify does, and
    takes about as long as a wrong password (the no-such-user path does not show)."""
    recorder = _Recorder(argon2)
    pool = LowPriorityHasher(recorder)
    encoded = argon2.hash("lantern")
    try:
        pool.verify(encoded, "wrong")  # warm the pool
        recorder.calls.clear()
        assert pool.verify_dummy("wrong") is False
        assert [name for name, _, _ in recorder.calls] == ["verify_dummy"]
        wrong, unknown = [], []
        for _ in range(5):
            start = time.perf_counter()
            pool.verify(encoded, "wrong")
            wrong.append(time.perf_counter() - start)
            start = time.perf_counter()
            pool.verify_dummy("wrong")
            unknown.append(time.perf_counter() - start)
    finally:
        pool.close()
    assert 0.5 < min(unknown) / min(wrong) < 2.0


def test_errors_of_the_inner_hasher_reach_the_caller_typed(argon2: Argon2idHasher) -> None:
    """A typed error raised on a pool thread reaches the caller as the same class, with
    its code and message, and the pool keeps working afterwards."""
    pool = LowPriorityHasher(_Recorder(argon2))
    try:
        with pytest.raises(InvalidInputError) as caught:
            pool.hash("raise")
        assert isinstance(caught.value, PortalkitError)
        assert caught.value.code == InvalidInputError.code
        assert "cannot be used" in str(caught.value)
        assert pool.verify(pool.hash("after"), "after")
    finally:
        pool.close()


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"workers": 0}, "workers=0"),
        ({"workers": MAX_WORKERS + 1}, f"workers={MAX_WORKERS + 1}"),
        ({"workers": 2.0}, "workers must be an integer"),
        ({"workers": True}, "workers must be an integer"),
        ({"niceness": -1}, "niceness=-1"),
        ({"niceness": MAX_NICENESS + 1}, f"niceness={MAX_NICENESS + 1}"),
        ({"niceness": "19"}, "niceness must be an integer"),
    ],
)
def test_bad_configuration_is_refused_typed(
    argon2: Argon2idHasher, kwargs: dict[str, object], fragment: str
) -> None:
    """Out-of-range or mistyped workers and niceness raise ConfigurationError naming them."""
    with pytest.raises(ConfigurationError, match=fragment):
        LowPriorityHasher(argon2, **kwargs)  # type: ignore[arg-type]


def test_an_inner_that_is_not_a_hasher_is_refused() -> None:
    """Wrapping something without the PasswordHasher methods fails at construction."""
    with pytest.raises(ConfigurationError, match="not a PasswordHasher"):
        LowPriorityHasher(object())  # type: ignore[arg-type]


def test_defaults_and_properties(argon2: Argon2idHasher) -> None:
    """One worker and the default niceness unless told; niceness 0 changes no priority."""
    pool = LowPriorityHasher(argon2)
    assert (pool.inner, pool.workers, pool.niceness) == (argon2, 1, DEFAULT_NICENESS)
    assert pool.lowers_priority is LINUX
    assert LowPriorityHasher(argon2, niceness=0).lowers_priority is False


def test_many_threads_verifying_at_once_get_their_own_answers(argon2: Argon2idHasher) -> None:
    """Sixteen caller threads verifying right and wrong passwords at once, through a
    two-thread pool, each get the right answer for their own password, and no more
    than two computations ever run at the same time."""
    users = {f"user{i}": argon2.hash(f"password-{i}") for i in range(4)}
    running = 0
    peak = 0
    gauge = threading.Lock()

    class Gauge(_Recorder):
        def verify(self, encoded: str, password: str) -> bool:
            nonlocal running, peak
            with gauge:
                running += 1
                peak = max(peak, running)
            try:
                return super().verify(encoded, password)
            finally:
                with gauge:
                    running -= 1

    pool = LowPriorityHasher(Gauge(argon2), workers=2)
    cases = [
        (users[f"user{i % 4}"], f"password-{(i * 3) % 4}", (i * 3) % 4 == i % 4)
        for i in range(32)
    ]

    def check(case: tuple[str, str, bool]) -> bool:
        encoded, password, expected = case
        return pool.verify(encoded, password) is expected

    try:
        with ThreadPoolExecutor(max_workers=16) as callers:
            outcomes = list(callers.map(check, cases))
    finally:
        pool.close()
    assert all(outcomes)
    assert 1 <= peak <= 2


def test_a_closed_pool_starts_again_on_the_next_computation(argon2: Argon2idHasher) -> None:
    """close() stops the threads; the next call starts a fresh pool and answers."""
    pool = LowPriorityHasher(argon2)
    encoded = pool.hash("lantern")
    pool.close()
    pool.close()  # twice is fine
    assert pool.verify(encoded, "lantern")
    pool.close()


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_a_forked_child_gets_threads_of_its_own(argon2: Argon2idHasher) -> None:
    """A pool used before a fork (a server preloading the app) still computes in the
    child, which starts threads of its own rather than waiting on the parent's."""
    pool = LowPriorityHasher(argon2)
    encoded = pool.hash("lantern")
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child reports through the pipe
        try:
            ok = pool.verify(encoded, "lantern") and not pool.verify(encoded, "x")
            os.write(write, b"1" if ok else b"0")
        finally:
            os._exit(0)
    os.close(write)
    try:
        with os.fdopen(read, "rb") as pipe:
            answer = pipe.read()
    finally:
        os.waitpid(pid, 0)
        pool.close()
    assert answer == b"1"
