"""A small app client of the example API: sign in, look up a plate, record a meter reading.

``python -m examples.fastapi_app.client --api http://127.0.0.1:8000/api
--email ann@cityfleet.example --plate "CF0 200" --reading 12345``
(the password comes from ``--password`` or the demo's).
"""

from __future__ import annotations

import argparse
import uuid
from typing import Any, Protocol

import httpx

from portalkit.demo import DEMO_PASSWORD


class Http(Protocol):
    """What the client needs of an HTTP client (``httpx.Client`` and FastAPI's TestClient)."""

    def get(self, url: str, **kwargs: Any) -> Any: ...

    def post(self, url: str, **kwargs: Any) -> Any: ...


class ApiError(Exception):
    """The API answered with a problem; the message is its code and detail."""


def _json(answer: Any) -> Any:
    if answer.status_code >= 400:
        problem = answer.json()
        raise ApiError(f"{problem['code']}: {problem['detail']}")
    return answer.json()


def record_reading(
    http: Http, api: str, *, email: str, password: str, plate: str, reading: float
) -> str:
    """Sign in, find the asset by *plate*, record *reading* on its first meter; a report."""
    token = _json(http.post(f"{api}/tokens", json={"identifier": email, "password": password}))
    auth = {"Authorization": f"Bearer {token['access_token']}"}
    found = _json(http.get(f"{api}/lookup", params={"q": plate}, headers=auth))
    if found["result"] == "ambiguous":  # ask which organization, then look up again
        chosen = found["candidates"][0]["id"]
        found = _json(http.get(f"{api}/lookup", params={"q": plate, "organization": chosen},
                               headers=auth))
    asset = found["asset"]
    meters = _json(http.get(f"{api}/assets/{asset['id']}/meters", headers=auth))
    if not meters:
        raise ApiError(f"asset {asset['number']} has no meter to record")
    meter = meters[0]
    # The same key on a retry records the reading once.
    headers = auth | {"Idempotency-Key": f"reading-{uuid.uuid4()}"}
    saved = _json(http.post(f"{api}/meter-readings", headers=headers,
                            json={"meter": meter["id"], "value": reading}))
    return (f"Signed in as {token['user']['name']}; {plate} is asset {asset['number']}; "
            f"{meter['name']} now reads {saved['value']:g} {saved['unit']}.")


def main(argv: list[str] | None = None) -> None:
    """Parse the options and run :func:`record_reading` against a running API."""
    parser = argparse.ArgumentParser(description="record a meter reading through the API")
    parser.add_argument("--api", default="http://127.0.0.1:8000/api")
    parser.add_argument("--email", default="ann@cityfleet.example")
    parser.add_argument("--password", default=DEMO_PASSWORD)
    parser.add_argument("--plate", default="CF0 200")
    parser.add_argument("--reading", type=float, required=True)
    args = parser.parse_args(argv)
    with httpx.Client(timeout=30) as http:
        try:
            print(record_reading(http, args.api, email=args.email, password=args.password,
                                 plate=args.plate, reading=args.reading))
        except ApiError as error:
            raise SystemExit(f"The API refused: {error}") from error


if __name__ == "__main__":
    main()
