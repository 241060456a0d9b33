"""``make demo`` (``python -m examples.flask_app``): the database it names, --fresh, --guest."""

from __future__ import annotations

import os
import re
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


def _form(opener: urllib.request.OpenerDirector, url: str, fields: dict[str, str]) -> str:
    """GET *url*'s form, POST *fields* with its CSRF token; the final URL after redirects."""
    import urllib.parse  # noqa: PLC0415

    with opener.open(url, timeout=10) as page:
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.read().decode())
    assert token, url
    body = urllib.parse.urlencode({"csrf_token": token.group(1), **fields}).encode()
    with opener.open(url, body, timeout=30) as answer:
        return str(answer.geturl())


def test_a_newcomer_registers_by_phone_in_the_demo(tmp_path: Path) -> None:
    """Issue 21: the demo as `make demo` runs it; register by phone, email and ZIP, read the
    code the console mailer prints, choose a password, land signed in."""
    import http.cookiejar  # noqa: PLC0415

    port = free_port()
    environment = {k: v for k, v in os.environ.items() if not k.startswith("PORTALKIT_")}
    environment["PYTHONPATH"] = str(REPO)
    log = tmp_path / "demo.log"
    with log.open("w") as sink:
        child = subprocess.Popen(
            [sys.executable, "-m", "examples.flask_app", "--port", str(port),
             "--database", f"sqlite:///{tmp_path / 'demo.db'}"],
            stdout=sink, stderr=subprocess.STDOUT, text=True, cwd=REPO, env=environment,
        )
        try:
            base = f"http://127.0.0.1:{port}"
            opener = urllib.request.build_opener(
                urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
            )
            deadline = time.monotonic() + 120
            while True:
                try:
                    opener.open(f"{base}/login", timeout=5).close()
                    break
                except OSError:
                    assert child.poll() is None, log.read_text()
                    assert time.monotonic() < deadline, log.read_text()
                    time.sleep(0.3)
            landed = _form(opener, f"{base}/register", {
                "phone": "(202) 555-0143", "email": "fleet@cityfleet.example",
                "postal_code": "20001",
            })
            assert landed.endswith("/register/finish"), landed
            code = None
            for _ in range(50):
                found = re.findall(r"finish registering for .* is (\d{6})", log.read_text())
                if found:
                    code = found[-1]
                    break
                time.sleep(0.1)
            assert code, log.read_text()
            password = "a brand new passphrase 77"
            landed = _form(opener, f"{base}/register/finish", {
                "code": code, "password": password, "password_again": password,
            })
            assert landed == f"{base}/", landed
            with opener.open(f"{base}/", timeout=10) as home:
                assert "Welcome" in home.read().decode()
        finally:
            child.send_signal(signal.SIGINT)
            child.wait(timeout=30)
