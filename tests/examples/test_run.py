"""``make demo`` (``python -m examples.flask_app``): the database it names, --fresh, --guest."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from portalkit import Portal
from portalkit.demo import DEMO_PASSWORD
from tests.smtp_fixtures import free_port

REPO = Path(__file__).resolve().parents[2]
SECRET = "run-test-secret-key-run-test-secret-key-0123"


def _serve(database: Path, *options: str) -> tuple[str, str]:
    """Start the demo, fetch / once it answers, stop it; (its output, the page's URL)."""
    port = free_port()
    environment = {k: v for k, v in os.environ.items() if not k.startswith("PORTALKIT_")}
    environment["PYTHONPATH"] = str(REPO)
    child = subprocess.Popen(
        [sys.executable, "-m", "examples.flask_app", "--port", str(port),
         "--database", f"sqlite:///{database}", *options],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=REPO, env=environment,
    )
    landed = ""
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and child.poll() is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as page:
                    landed = page.geturl()
                break
            except urllib.error.HTTPError as exc:
                landed = exc.geturl()
                break
            except OSError:
                time.sleep(0.3)
    finally:
        child.send_signal(signal.SIGINT)
        output, _ = child.communicate(timeout=30)
    return output, landed


def test_fresh_guest_demo_names_its_database(tmp_path: Path) -> None:
    """The demo prints its database; --guest lets visitors in; --fresh restores the password."""
    database = tmp_path / "demo.db"
    output, landed = _serve(database, "--guest")
    assert f"Demo database: {database}" in output
    assert "Guest mode: on" in output
    assert "/login" not in landed, landed  # a guest sees the portal, not the sign-in page
    url = f"sqlite:///{database}"
    with Portal.from_url(url, secret_key=SECRET) as portal, portal.admin("demo") as admin:
        ann = admin.uow.users.get_by_email(admin.tenant.id, "ann@cityfleet.example")
        assert ann is not None
        admin.set_password(ann, "a-changed-password-for-ann-1")
    output, landed = _serve(database)
    assert "Guest mode: off" in output
    assert "/login" in landed
    output, _ = _serve(database, "--fresh")
    with Portal.from_url(f"sqlite:///{database}", secret_key=SECRET) as portal:
        assert portal.login("ann@cityfleet.example", DEMO_PASSWORD, tenant="demo")
