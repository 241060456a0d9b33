"""The FastAPI example: its app on the demo data and its command-line client."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from examples.fastapi_app import create_app
from examples.fastapi_app.client import ApiError, record_reading
from fastapi.testclient import TestClient

from portalkit import PortalConfig
from portalkit.adapters.crypto import Argon2idHasher
from portalkit.demo import DEMO_PASSWORD, DEMO_TENANT
from tests.smtp_fixtures import free_port

REPO = Path(__file__).resolve().parents[2]

FAST = Argon2idHasher(time_cost=2, memory_kib=19 * 1024, parallelism=1)


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> TestClient:
    database = tmp_path_factory.mktemp("fastapi-example") / "api.db"
    app = create_app(
        f"sqlite:///{database}", secret_key="example-test-secret-key-0123456789abcdef",
        config=PortalConfig(default_tenant=DEMO_TENANT, hasher=FAST),
    )
    return TestClient(app)


def test_the_client_signs_in_looks_up_a_plate_and_records_a_reading(client: TestClient) -> None:
    report = record_reading(
        client, "/api", email="ann@cityfleet.example", password=DEMO_PASSWORD,
        plate="cf0-200", reading=12_345,
    )
    assert report == (
        "Signed in as Ann Lee; cf0-200 is asset CF-100; odometer now reads 12345 km."
    )


def test_the_client_reports_the_apis_refusal(client: TestClient) -> None:
    with pytest.raises(ApiError, match=r"^authentication_failed: "):
        record_reading(client, "/api", email="ann@cityfleet.example", password="wrong",
                       plate="CF0 200", reading=1)
    with pytest.raises(ApiError, match=r"^not_found: "):
        record_reading(client, "/api", email="bob@greenacres.example", password=DEMO_PASSWORD,
                       plate="CF0 200", reading=1)


def test_the_hosts_own_endpoint_and_the_description(client: TestClient) -> None:
    assert client.get("/api/summary").status_code == 401
    token = client.post(
        "/api/tokens", json={"identifier": "ann@cityfleet.example", "password": DEMO_PASSWORD}
    ).json()["access_token"]
    summary = client.get("/api/summary", headers={"Authorization": f"Bearer {token}"}).json()
    assert summary["documents"] > 0
    paths = client.get("/openapi.json").json()["paths"]
    assert {"/api/meter-readings", "/api/summary"} <= set(paths)


def test_the_example_serves_and_its_command_line_client_records_a_reading(
    tmp_path: Path,
) -> None:
    port = free_port()
    environment = {k: v for k, v in os.environ.items() if not k.startswith("PORTALKIT_")}
    environment["PYTHONPATH"] = str(REPO)
    server = subprocess.Popen(
        [sys.executable, "-m", "examples.fastapi_app", "--port", str(port),
         "--database", f"sqlite:///{tmp_path / 'api.db'}"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=REPO, env=environment,
    )
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and server.poll() is None:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/openapi.json", timeout=5).close()
                break
            except OSError:
                time.sleep(0.3)
        run = subprocess.run(
            [sys.executable, "-m", "examples.fastapi_app.client",
             "--api", f"http://127.0.0.1:{port}/api", "--reading", "12345"],
            capture_output=True, text=True, cwd=REPO, env=environment, timeout=120, check=False,
        )
    finally:
        server.send_signal(signal.SIGINT)
        output, _ = server.communicate(timeout=30)
    assert run.returncode == 0, (run.stderr, output)
    assert run.stdout.strip() == (
        "Signed in as Ann Lee; CF0 200 is asset CF-100; odometer now reads 12345 km."
    )
    assert "/docs" in output
