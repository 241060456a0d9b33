"""The command line: demo, db upgrade, check, and its errors."""

from __future__ import annotations

from pathlib import Path

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


SECRET = "cli-test-secret-key-cli-test-secret-key-0123"


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A migrated SQLite database file and the secret in the environment."""
    monkeypatch.setenv("PORTALKIT_SECRET_KEY", SECRET)
    url = f"sqlite:///{tmp_path / 'portal.db'}"
    assert main(["--url", url, "db", "upgrade"]) == 0
    return url


def _csv(path: Path, text: str) -> str:
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_import_customers_then_assets_is_idempotent(
    database: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Importing a customers file and an assets file twice adds nothing the second time."""
    customers = _csv(
        tmp_path / "customers.csv",
        "external_key,name,email,postal_code,portal_enabled,contract_count\n"
        "C1,City Fleet,ap@city.example,20001,yes,2\n"
        "C2,Green Acres,,M5V 3L9,no,0\n",
    )
    assets = _csv(
        tmp_path / "assets.csv",
        "external_key,number,plate,scope_key,last_test_date\n"
        "A1,FL-1,ABC 123,C1,2026-03-04\nA2,FL-2,,C2,\n",
    )
    assert main(["--url", database, "import", "customers", customers]) == 0
    assert main(["--url", database, "import", "assets", assets]) == 0
    assert "Imported 2 assets: 2 new, 0 updated" in capsys.readouterr().out
    assert main(["--url", database, "import", "assets", assets]) == 0
    assert "Imported 2 assets: 0 new, 2 updated" in capsys.readouterr().out


def test_bad_row_names_its_line_and_keeps_earlier_batches(
    database: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A malformed row stops the import with its line number; earlier batches stay."""
    lines = ["external_key,name,contract_count"] + [f"C{i},Customer {i},1" for i in range(5)]
    lines[4] = "C3,Customer 3,many"
    path = _csv(tmp_path / "customers.csv", "\n".join(lines) + "\n")
    assert main(["--url", database, "import", "customers", path, "--batch-size", "2"]) == 1
    err = capsys.readouterr().err
    assert "line 5" in err
    assert "contract_count" in err
    assert main(["--url", database, "import", "customers", path, "--batch-size", "10"]) == 1
    capsys.readouterr()
    fixed = _csv(tmp_path / "fixed.csv", "\n".join(lines[:4]) + "\n")
    assert main(["--url", database, "import", "customers", fixed]) == 0
    # The first batch (C0, C1) was committed by the failed run; C2 was not.
    assert "1 new, 2 updated" in capsys.readouterr().out


def test_unknown_column_and_missing_file(
    database: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An unknown column is a row error; a missing file is a clear message; both exit 1."""
    path = _csv(tmp_path / "assets.csv", "external_key,number,colour\nA1,FL-1,red\n")
    assert main(["--url", database, "import", "assets", path]) == 1
    assert "Unknown columns: colour" in capsys.readouterr().err
    assert main(["--url", database, "import", "assets", str(tmp_path / "nope.csv")]) == 1
    assert "No such file" in capsys.readouterr().err
