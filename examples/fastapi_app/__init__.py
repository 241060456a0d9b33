"""The example JSON API: FastAPI, portalkit's API router and the demo data.

``python -m examples.fastapi_app [--port 8000]`` serves it with uvicorn;
``python -m examples.fastapi_app.client`` is a small app that signs in, looks
up a plate and records a meter reading against it. The interactive
description is at ``/docs`` (the OpenAPI document at ``/openapi.json``).
"""

from __future__ import annotations

import os
import secrets

from fastapi import FastAPI

from portalkit import Document, Portal, PortalConfig
from portalkit.contrib import fastapi as pk
from portalkit.demo import DEMO_TENANT, load_demo
from portalkit.errors import AuthenticationError

__all__ = ["create_app"]


class DemoFiles:
    """The host's document store: here a one-line text file per document."""

    def read(self, document: Document) -> bytes:
        """The document's file."""
        return f"{document.kind} {document.number}: {document.title}\n".encode()


def create_app(
    database_url: str = "sqlite:///portalkit-api-demo.db",
    *,
    secret_key: str | None = None,
    config: PortalConfig | None = None,
) -> FastAPI:
    """The example API over *database_url*, migrated and loaded with the demo data."""
    key = secret_key or os.environ.get("PORTALKIT_SECRET_KEY") or secrets.token_urlsafe(48)
    portal = Portal.from_url(
        database_url, secret_key=key,
        config=config or PortalConfig(default_tenant=DEMO_TENANT),
        document_source=DemoFiles(),
    )
    portal.upgrade()
    load_demo(portal)
    app = FastAPI(title="Northwind customer API", version="1")
    pk.install(app, portal, tenant=DEMO_TENANT)
    app.include_router(pk.api_router(), prefix="/api")

    @app.get("/api/summary")
    def summary(req: pk.PortalRequestDep) -> dict[str, int]:
        """A host's own endpoint: the same request object as the router's (sync: thread pool)."""
        if not req.signed_in:
            raise AuthenticationError("Sign in to continue.")  # a 401 problem
        return {"documents": req.documents.count(), "unread": req.messages.unread_count()}

    return app
