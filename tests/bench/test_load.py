"""bench/load.py's CPU accounting: where the CPU of a load run went (Linux /proc)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
import load

pytestmark = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc")


def test_tree_cpu_counts_a_busy_child() -> None:
    """A child that burns CPU shows in its parent's tree total; an unknown pid is None."""
    before = load.tree_cpu(os.getpid())
    child = subprocess.Popen(
        [sys.executable, "-c", "import time\nend = time.process_time() + 0.3\n"
         "while time.process_time() < end: pass\ntime.sleep(5)"]
    )
    try:
        deadline = time.monotonic() + 10
        while (load.tree_cpu(child.pid) or 0) < 0.25 and time.monotonic() < deadline:
            time.sleep(0.05)
        mine = load.tree_cpu(os.getpid())
        assert before is not None
        assert mine is not None
        assert mine - before >= 0.25
    finally:
        child.kill()
        child.wait()
    assert load.tree_cpu(2**22 + 12345) is None


def test_machine_cpu_grows() -> None:
    """The machine's busy and total CPU seconds only grow, busy never above total."""
    first = load.machine_cpu()
    end = time.process_time() + 0.1
    while time.process_time() < end:
        pass
    second = load.machine_cpu()
    assert first is not None
    assert second is not None
    assert second[0] >= first[0]
    assert second[1] > first[1]
    assert second[0] <= second[1]


def test_cpu_figures_per_request_and_sign_in_share() -> None:
    """CPU per request divides by every request; the Argon2id share counts sign-ins only."""
    figures = {"requests": 100, "routes": {"POST /login": {"count": 5}, "GET /": {"count": 95}}}
    out = load.cpu_figures({"server_cpu_s": 2.0, "window_s": 10.0}, figures, argon2_ms=200.0)
    assert out["server_cpu_ms_per_request"] == 20.0
    assert out["argon2_share_of_server_cpu"] == 0.5
    assert out["argon2_verify_cpu_ms"] == 200.0
    assert "server_cpu_ms_per_request" not in load.cpu_figures({}, figures, argon2_ms=200.0)
