"""Concurrent requests each get their own PortalRequest (the thread pool and the event loop)."""

from __future__ import annotations

import asyncio

import httpx

from .conftest import TestClient, World, bearer


def test_concurrent_requests_of_two_customers_never_mix(world: World) -> None:
    with TestClient(world.app) as client:
        tokens = {who: bearer(client, who) for who in ("ann", "bob")}

    async def main() -> list[tuple[str, list[str]]]:
        transport = httpx.ASGITransport(app=world.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:

            async def one(who: str) -> tuple[str, list[str]]:
                answer = await http.get("/api/documents?kind=invoice", headers=tokens[who])
                assert answer.status_code == 200, answer.text
                return who, [d["number"] for d in answer.json()["items"]]

            return await asyncio.gather(*(one(("ann", "bob")[n % 2]) for n in range(40)))

    for who, numbers in asyncio.run(main()):
        assert numbers == [f"INV-{who}"]
