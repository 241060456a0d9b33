"""bench/pages.py in quick mode: both sides show the same data, the JSON has its fields.

Timings are never asserted here (the bench reports them; a shared machine
makes them noise).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
PAGES = ("home", "lookup", "asset", "invoices", "jobs")
PAGE_FIELDS = (
    "portalkit_ms", "handwritten_ms", "ratio", "portalkit_statements",
    "handwritten_statements", "extra_statements", "portalkit_transactions",
    "handwritten_transactions", "mismatches",
)

pytestmark = pytest.mark.slow


def _run(tmp_path: Path, *args: str) -> dict[str, Any]:
    out = tmp_path / "pages.json"
    env = {k: v for k, v in os.environ.items() if k != "PORTALKIT_BENCH_DATABASE_URL"}
    env.pop("PORTALKIT_TEST_DATABASE_URL", None)
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "pages.py"), "--quick", "--json", str(out), *args],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600, check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    result: dict[str, Any] = json.loads(out.read_text())
    return result


def _check_pages(result: dict[str, Any], backend: str) -> None:
    assert result["name"] == "pages"
    assert result["quick"] is True
    assert result["mismatches"] == 0, result.get("differences")
    pages = result["results"]["pages"][backend]
    assert set(pages) == set(PAGES)
    for name, page in pages.items():
        for field in PAGE_FIELDS:
            assert field in page, (name, field)
        assert page["mismatches"] == 0
        assert page["status"] == {
            "portalkit": 302 if name == "lookup" else 200,
            "handwritten": 302 if name == "lookup" else 200,
        }
        assert page["handwritten_transactions"] == 1
    for key in ("portalkit_over_handwritten", "extra_statements_max"):
        assert isinstance(result["ratios"][key], (int, float))
    assert isinstance(result["results"]["portalkit"]["transactions_max"], int)
    assert set(result["targets"]) >= {
        "portalkit_over_handwritten", "extra_statements_max", "transactions_max"
    }


def test_quick_run_on_sqlite(tmp_path: Path) -> None:
    """Pages, throughput and the write lock on SQLite: same answers, every field."""
    result = _run(tmp_path, "--sqlite-only")
    _check_pages(result, "sqlite")
    throughput = result["results"]["throughput_sqlite_pages_per_s"]
    for side in ("portalkit", "handwritten"):
        assert set(throughput[side]) == {"1", "2", "4"}
    lock = result["results"]["write_lock_sqlite"]
    assert lock["handwritten"]["status"] == 200
    assert {"status", "ms", "answered_under_50ms"} <= set(lock["portalkit"])


@pytest.mark.postgres
def test_quick_run_on_postgres(tmp_path: Path, postgres_url: str) -> None:
    """The pages on PostgreSQL (in a schema of the bench's own): same answers."""
    result = _run(tmp_path, "--postgres-only", "--parts", "pages", "--postgres", postgres_url)
    _check_pages(result, "postgresql")
