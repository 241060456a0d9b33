"""The Django tutorial's project runs as the page tells a reader to run it.

``tests/contrib/django/test_tutorial.py`` walks the pages inside the test
suite's Django; this runs the project itself, with its own ``settings.py``,
in fresh processes: ``manage.py migrate``, ``setup_data.py``, then
``manage.py check`` with warnings as failures (the portal is ready: schema
migrated, tenant created).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.examples.tutorials import DJANGO_TUTORIAL

pytest.importorskip("django")


def _run(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DJANGO_DB": str(project / "db.sqlite3")}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    return subprocess.run(
        [sys.executable, *args], cwd=project, env=env, capture_output=True, text=True,
        check=False, timeout=120,
    )


def test_migrate_setup_and_check(tmp_path: Path) -> None:
    """migrate, then setup_data.py, then a clean ``manage.py check``, as the page says."""
    project = tmp_path / "tutorial"
    shutil.copytree(DJANGO_TUTORIAL, project, ignore=shutil.ignore_patterns("*.sqlite3"))
    migrate = _run(project, "manage.py", "migrate")
    assert migrate.returncode == 0, migrate.stderr
    assert "portalkit.W001" not in migrate.stderr  # nothing to say while migrating
    setup = _run(project, "setup_data.py")
    assert setup.returncode == 0, setup.stderr
    assert "ann@cityfleet.example" in setup.stdout
    check = _run(project, "manage.py", "check", "--fail-level", "WARNING")
    assert check.returncode == 0, check.stderr
    assert "no issues" in check.stdout
