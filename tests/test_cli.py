"""The command line: demo, db upgrade, check, and its errors."""

from __future__ import annotations

import pytest

from portalkit.cli import main


def test_demo_loads_once(capsys: pytest.CaptureFixture[str]) -> None:
    """``portalkit demo`` loads the demo data and prints a summary."""
    assert main(["--url", "memory://", "demo"]) == 0
    out = capsys.readouterr().out
    assert "Loaded the demo data set." in out
    assert "organizations   3" in out


def test_missing_configuration_is_a_clear_error(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without a URL or secret the command fails with a message and status 1."""
    monkeypatch.delenv("PORTALKIT_DATABASE_URL", raising=False)
    monkeypatch.delenv("PORTALKIT_SECRET_KEY", raising=False)
    assert main(["db", "upgrade"]) == 1
    assert "PORTALKIT_DATABASE_URL" in capsys.readouterr().err
    assert main(["--url", "memory://", "check"]) == 1
    assert "PORTALKIT_SECRET_KEY" in capsys.readouterr().err


def test_short_secret_from_environment(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A short secret in the environment is refused before anything runs."""
    monkeypatch.setenv("PORTALKIT_SECRET_KEY", "short")
    assert main(["--url", "memory://", "check"]) == 1
    assert "32 bytes" in capsys.readouterr().err
