"""bench/api.py, briefly: both sides give the same answers and the JSON has its fields.

Timings are never asserted here (a shared machine makes them noise).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.slow


def test_the_api_bench_compares_equal_answers(tmp_path: Path) -> None:
    out = tmp_path / "api.json"
    env = {k: v for k, v in os.environ.items() if not k.startswith("PORTALKIT_")}
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "api.py"), "--requests", "3", "--sqlite-only",
         "--json", str(out)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600, check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    result = json.loads(out.read_text())
    assert result["mismatches"] == 0
    assert result["ratios"]["portalkit_over_handwritten"] > 0
    assert set(result["backends"]["sqlite"]["ms"]) == {"asset", "invoices"}
