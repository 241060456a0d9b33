"""Real-browser tests: Debian's Chromium driven by Playwright through pytest-playwright.

No browser is downloaded: Playwright launches the system Chromium
(``/usr/bin/chromium``, or ``PORTALKIT_CHROMIUM``) through the
``browser_type_launch_args`` override. One browser and one server per session.
When Chromium is missing the tests skip, except in CI (``CI=true`` or
``PORTALKIT_REQUIRE_BROWSER=1``), where they fail.

The example portal runs with werkzeug's ``make_server`` on 127.0.0.1 (any free
port) in a thread, on a fresh SQLite file with the demo data; its mail goes
to a real aiosmtpd server on loopback.
"""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from examples.flask_app import create_app
from werkzeug.serving import make_server

from portalkit.adapters.smtp import SmtpMailer
from portalkit.demo import DEMO_TENANT
from tests.smtp_fixtures import Outbox, SmtpServer, running_server

CHROMIUM = os.environ.get("PORTALKIT_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "e2e"
SECRET = "e2e-secret-key-for-the-example-portal-0123456789"


def _required() -> bool:
    return os.environ.get("CI", "").lower() == "true" or os.environ.get(
        "PORTALKIT_REQUIRE_BROWSER"
    ) == "1"


@pytest.fixture(scope="session", autouse=True)
def _chromium_present() -> None:
    """Skip without Chromium, unless CI requires the browser tests (then fail)."""
    if Path(CHROMIUM).exists():
        return
    message = f"Chromium not found at {CHROMIUM}: apt-get install chromium"
    if _required():
        pytest.fail(message + " (required: CI / PORTALKIT_REQUIRE_BROWSER=1)")
    pytest.skip(message)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    """Launch the system Chromium instead of a Playwright download."""
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def smtp() -> Iterator[SmtpServer]:
    """A real SMTP server on loopback catching the portal's emails."""
    with running_server(Outbox()) as server:
        yield server


@pytest.fixture(scope="session")
def portal_app(tmp_path_factory: pytest.TempPathFactory, smtp: SmtpServer) -> Any:
    """The example portal over a fresh SQLite database with the demo data."""
    db = tmp_path_factory.mktemp("e2e") / "portal.db"
    mailer = SmtpMailer(smtp.host, smtp.port, security="none", timeout=5)
    # As the example runs for real: queued mail is sent by the background sender.
    with pytest.MonkeyPatch.context() as env:
        env.setenv("PORTALKIT_MAIL_DELIVERY", "background")
        app = create_app(f"sqlite:///{db}", secret_key=SECRET, mailer=mailer)
    assert app.extensions["portalkit"].portal.mail_queue.delivery == "background"
    yield app
    app.extensions["portalkit"].portal.close()
    mailer.close()


@pytest.fixture(scope="session")
def flask_server(portal_app: Any) -> Iterator[str]:
    """The portal served on 127.0.0.1 (a free port) in a thread; yields its base URL."""
    server = make_server("127.0.0.1", 0, portal_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_port}"
    portal = portal_app.extensions["portalkit"].portal
    with portal.admin(DEMO_TENANT) as admin:
        admin.update_settings(base_url=base)  # links in emails point here
    try:
        yield base
    finally:
        server.shutdown()
        thread.join(timeout=5)


@pytest.fixture
def shot(page: Any) -> Any:
    """Save a full-page screenshot under test-artifacts/e2e/<name>.png."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)

    def take(name: str) -> Path:
        path = ARTIFACTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take
