"""The Django example in a real browser: Debian's Chromium driven by Playwright.

The example runs exactly as documented, as a separate process:
``manage.py migrate`` then ``manage.py runserver --noreload`` on 127.0.0.1 (a
free port), over a fresh SQLite file holding Django's tables and the portal's
(the Django ORM storage, demo data loaded on first use), so this process never
configures Django. No browser is downloaded: Playwright
launches the system Chromium (``/usr/bin/chromium``, or
``PORTALKIT_CHROMIUM``). Without Chromium the tests skip, except in CI
(``CI=true`` or ``PORTALKIT_REQUIRE_BROWSER=1``), where they fail.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = os.environ.get("PORTALKIT_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
MANAGE = Path(__file__).resolve().parents[2] / "examples" / "django_project" / "manage.py"
SECRET = "e2e-django-secret-key-for-the-example-0123456789"


def _required() -> bool:
    return os.environ.get("CI", "").lower() == "true" or os.environ.get(
        "PORTALKIT_REQUIRE_BROWSER"
    ) == "1"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="session")
def chromium_path() -> str:
    """The system Chromium; skip without it, unless CI requires the browser tests (fail)."""
    if Path(CHROMIUM).exists():
        return CHROMIUM
    message = f"Chromium not found at {CHROMIUM}: apt-get install chromium"
    if _required():
        pytest.fail(message + " (required: CI / PORTALKIT_REQUIRE_BROWSER=1)")
    pytest.skip(message)


#: Where the running example writes its log (and, through the console mailer, its emails).
_LOG: dict[str, Path] = {}


@pytest.fixture(scope="session")
def django_example(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The example project served by ``manage.py runserver``; yields its base URL."""
    folder = tmp_path_factory.mktemp("django-example")
    port = _free_port()
    env = {
        **os.environ,
        "PORTALKIT_SECRET_KEY": SECRET,
        "PORTALKIT_STORAGE": "django",
        "PORTALKIT_DJANGO_DB": str(folder / "django.sqlite3"),
        "PORTALKIT_BASE_URL": f"http://127.0.0.1:{port}",  # links in emails
        "PYTHONUNBUFFERED": "1",
    }
    subprocess.run(
        [sys.executable, str(MANAGE), "migrate", "-v", "0"], env=env, check=True, timeout=120
    )
    _LOG["server"] = folder / "server.log"
    log = (folder / "server.log").open("wb")
    server = subprocess.Popen(
        [sys.executable, str(MANAGE), "runserver", f"127.0.0.1:{port}", "--noreload"],
        env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{base}/login/", timeout=30):
                    break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    log.flush()
                    raise RuntimeError(
                        "The example did not start:\n" + (folder / "server.log").read_text()
                    ) from None
                time.sleep(0.3)
        yield base
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()


@pytest.fixture(scope="session")
def browser(chromium_path: str, playwright: Any) -> Iterator[Any]:
    """One headless system Chromium for the session.

    It is launched from pytest-playwright's session ``playwright`` (one sync
    Playwright per process: the Flask browser tests share it).
    """
    browser = playwright.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
    yield browser
    browser.close()


@pytest.fixture
def page(browser: Any, django_example: str) -> Iterator[Any]:
    """A fresh browser context (no cookies) with the example's base URL."""
    context = browser.new_context(base_url=django_example)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def server_log(django_example: str) -> Path:
    """The example's log: the console mailer prints every email there."""
    return _LOG["server"]


@pytest.fixture
def phone(browser: Any, django_example: str) -> Iterator[Any]:
    """A fresh phone-size (390x844) browser context with the example's base URL."""
    context = browser.new_context(
        base_url=django_example, viewport={"width": 390, "height": 844}, is_mobile=True
    )
    page = context.new_page()
    yield page
    context.close()
