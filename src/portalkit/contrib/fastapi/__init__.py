"""FastAPI integration and a JSON API: ``portalkit.contrib.fastapi``.

::

    from fastapi import FastAPI
    from portalkit import Portal
    from portalkit.contrib import fastapi as pk

    portal = Portal.from_url("sqlite:///portal.db", secret_key="...")
    app = FastAPI()
    pk.install(app, portal, tenant="acme")
    app.include_router(pk.api_router(), prefix="/api")   # the JSON API

    @app.get("/my/jobs")
    def my_jobs(req: pk.PortalRequestDep) -> dict[str, int]:
        return {"jobs": len(req.jobs.list())}            # this request's PortalRequest

What it does (the rules are :mod:`portalkit.web`'s, shared with Flask and Django):

- :data:`PortalRequestDep` gives each request its :class:`~portalkit.PortalRequest`:
  the session from ``Authorization: Bearer`` (apps) or the session cookie
  (browsers), the client address behind trusted proxies; its one unit of
  work commits after the endpoint returned, before the answer is sent, and
  rolls back when it raised. portalkit is synchronous: write endpoints with
  ``def``, not ``async def``, so FastAPI runs them in its thread pool;
- a ``Portal-Organization: <id>`` header narrows a request to one of the
  user's organizations (:data:`ORGANIZATION_HEADER`);
- a cookie session's POST/PUT/PATCH/DELETE needs its CSRF token
  (:func:`csrf_token`) in the ``X-CSRF-Token`` header; a bearer token needs none;
- every error is an ``application/problem+json`` answer (RFC 9457) from the
  one error table, with portalkit's stable error code; "not yours" and
  "not there" are the same 404, byte for byte;
- the security headers of :func:`portalkit.web.security_headers` on every
  answer, an HttpOnly SameSite=Lax session cookie, a body size limit (413).
"""

from __future__ import annotations

from fastapi import APIRouter

from portalkit.contrib.fastapi._api_account import router as _account
from portalkit.contrib.fastapi._api_action_types import (
    AppointmentBody,
    AppointmentOut,
    ApproveBody,
    CallOffBody,
    CallOffLine,
    CallOffOut,
    ChangesBody,
    ContractOut,
    DeclineBody,
    MeterOut,
    MeterReadingBody,
    MeterReadingOut,
    PasswordBody,
    PasswordChanged,
    ProfileBody,
    QuoteDecisionOut,
    RentalItemOut,
    ServiceRequestBody,
    ServiceRequestOut,
    SlotOut,
)
from portalkit.contrib.fastapi._api_actions import router as _actions
from portalkit.contrib.fastapi._api_identity import router as _identity
from portalkit.contrib.fastapi._api_records import router as _records
from portalkit.contrib.fastapi._api_types import (
    AccountOut,
    AssetDetail,
    AssetRef,
    DocumentOut,
    DocumentsPage,
    DownloadUrl,
    FieldOut,
    LookupOut,
    Me,
    MessageOut,
    OrganizationOut,
    RowOut,
    RowsPage,
    SectionOut,
    SessionOut,
    SignInBody,
    TokenOut,
    UserOut,
)
from portalkit.contrib.fastapi._integration import (
    PortalRequestDep,
    csrf_token,
    install,
    portal_from,
    portal_request,
)
from portalkit.contrib.fastapi._middleware import PortalMiddleware
from portalkit.contrib.fastapi._problems import PROBLEM_JSON, FieldProblem, Problem
from portalkit.contrib.fastapi._schema import json_body, json_response, json_schema
from portalkit.contrib.fastapi._state import CSRF_HEADER, ORGANIZATION_HEADER, SESSION_COOKIE

__all__ = [
    "CSRF_HEADER",
    "ORGANIZATION_HEADER",
    "PROBLEM_JSON",
    "SESSION_COOKIE",
    "AccountOut",
    "AppointmentBody",
    "AppointmentOut",
    "ApproveBody",
    "AssetDetail",
    "AssetRef",
    "CallOffBody",
    "CallOffLine",
    "CallOffOut",
    "ChangesBody",
    "ContractOut",
    "DeclineBody",
    "DocumentOut",
    "DocumentsPage",
    "DownloadUrl",
    "FieldOut",
    "FieldProblem",
    "LookupOut",
    "Me",
    "MessageOut",
    "MeterOut",
    "MeterReadingBody",
    "MeterReadingOut",
    "OrganizationOut",
    "PasswordBody",
    "PasswordChanged",
    "PortalMiddleware",
    "PortalRequestDep",
    "Problem",
    "ProfileBody",
    "QuoteDecisionOut",
    "RentalItemOut",
    "RowOut",
    "RowsPage",
    "SectionOut",
    "ServiceRequestBody",
    "ServiceRequestOut",
    "SessionOut",
    "SignInBody",
    "SlotOut",
    "TokenOut",
    "UserOut",
    "api_router",
    "csrf_token",
    "install",
    "json_body",
    "json_response",
    "json_schema",
    "portal_from",
    "portal_request",
]


def api_router() -> APIRouter:
    """The JSON API as a router: include it under the prefix of your choice.

    Sign-in (``POST /session`` for a browser, ``POST /tokens`` for an app),
    ``GET``/``DELETE /session``, ``/sessions``, ``/organizations``,
    ``/lookup``, ``/assets``, ``/assets/{id}``, ``/jobs``, ``/documents`` (keyset
    pages, single-use download addresses), ``/account``, ``/messages``, and the
    actions: meters and ``/meter-readings``, ``/service-requests``,
    ``/appointments`` (with an asset's ``/slots``), ``/contracts``, ``/items-out``
    and ``/call-offs``, quote decisions and ``/profile``.
    Every body is an attrs class (exported here); errors are problems.
    """
    router = APIRouter()
    router.include_router(_identity)
    router.include_router(_records)
    router.include_router(_actions)
    router.include_router(_account)
    return router
