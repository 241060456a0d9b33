"""Without Chromium the browser tests skip locally but fail in CI."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _run(**env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in ("CI", "PORTALKIT_REQUIRE_BROWSER")}
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
         "tests/e2e/test_portal_flows.py::test_sign_in_dashboard"],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
        env={**clean, "PORTALKIT_CHROMIUM": "/nonexistent/chromium", **env},
        check=False,
    )


@pytest.mark.parametrize("env", [{"CI": "true"}, {"PORTALKIT_REQUIRE_BROWSER": "1"}])
def test_missing_chromium_fails_when_required(env: dict[str, str]) -> None:
    """In CI (or when required) a missing browser is an error, never a skip."""
    result = _run(**env)
    assert result.returncode != 0
    assert "required" in result.stdout
    assert "skipped" not in result.stdout.splitlines()[-1]


def test_missing_chromium_skips_otherwise() -> None:
    """On a developer machine without Chromium the browser tests skip."""
    result = _run()
    assert result.returncode == 0, result.stdout
    assert "1 skipped" in result.stdout.splitlines()[-1]
