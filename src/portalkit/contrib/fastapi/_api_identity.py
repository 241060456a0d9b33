"""The JSON API's sign-in, sessions and organizations."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from portalkit import PortalRequest
from portalkit.contrib.fastapi._api_types import (
    Me,
    OrganizationOut,
    SessionOut,
    SignInBody,
    TokenOut,
    UserOut,
)
from portalkit.contrib.fastapi._integration import PortalRequestDep, csrf_token
from portalkit.contrib.fastapi._schema import json_body, json_response, request_body, responses
from portalkit.contrib.fastapi._state import exchange_of
from portalkit.errors import AuthenticationError

router = APIRouter()
_NO_CONTENT = {204: {"description": "Done"}, **responses(None)}


def signed_in(req: PortalRequestDep) -> PortalRequest:
    """The request, when a user is signed in (401 otherwise)."""
    if not req.signed_in:
        raise AuthenticationError("Sign in to continue.")
    return req


def customer(req: PortalRequestDep) -> PortalRequest:
    """The request, unless the tenant requires a sign-in and nobody is signed in (401)."""
    if req.must_sign_in:
        raise AuthenticationError("Sign in to continue.")
    return req


SignedIn = Annotated[PortalRequest, Depends(signed_in)]
Customer = Annotated[PortalRequest, Depends(customer)]
SignInJson = Annotated[SignInBody, Depends(json_body(SignInBody))]


def user_out(req: PortalRequest) -> UserOut:
    """The signed-in user of *req* as the API shows it."""
    user = req.user
    assert user is not None
    return UserOut(id=user.id, name=user.name, email=user.email)


def _me(request: Request, req: PortalRequest) -> Me:
    if req.user is None:
        return Me(signed_in=False)
    return Me(
        signed_in=True, user=user_out(req), csrf_token=csrf_token(request, req),
        organization=req.organization,
    )


@router.post(
    "/session", responses=responses(Me), openapi_extra=request_body(SignInBody),
    summary="Sign in (browser): the session cookie and a CSRF token",
)
def sign_in(
    request: Request, req: PortalRequestDep, body: SignInJson
) -> Response:
    """Sign in; the session lives in an HttpOnly cookie, writes need ``csrf_token``."""
    req.sign_in(body.identifier, body.password)
    return json_response(_me(request, req))


@router.post(
    "/tokens", responses=responses(TokenOut), openapi_extra=request_body(SignInBody),
    summary="Sign in (app): a bearer token",
)
def issue_token(
    request: Request, req: PortalRequestDep, body: SignInJson
) -> Response:
    """Sign in; send ``access_token`` as ``Authorization: Bearer`` (no cookie, no CSRF)."""
    exchange_of(request).bearer = True
    result = req.sign_in(body.identifier, body.password)
    return json_response(TokenOut(access_token=result.session, user=user_out(req)))


@router.get("/session", responses=responses(Me), summary="Who is signed in")
def whoami(request: Request, req: PortalRequestDep) -> Response:
    """The signed-in user (and a fresh CSRF token), or ``signed_in: false``."""
    return json_response(_me(request, req))


@router.delete("/session", status_code=204, responses=_NO_CONTENT, summary="Sign out")
def sign_out(req: PortalRequestDep) -> Response:
    """End this session on the server (the cookie or token stops working at once)."""
    req.sign_out()
    return Response(status_code=204)


@router.get("/sessions", responses=responses(list[SessionOut]), summary="Where you're signed in")
def sessions(req: SignedIn) -> Response:
    """The user's live sessions; ``current`` marks this one."""
    return json_response([
        SessionOut(
            id=s.id, label=s.label, created_at=s.created_at, last_seen_at=s.last_seen_at,
            current=s.current,
        )
        for s in req.sessions()
    ])


@router.delete(
    "/sessions/{session_id}", status_code=204, responses=_NO_CONTENT, summary="End a session"
)
def end_session(session_id: int, req: SignedIn) -> Response:
    """End one of the user's sessions (ending this one signs out)."""
    req.end_session(session_id)
    return Response(status_code=204)


@router.get(
    "/organizations", responses=responses(list[OrganizationOut]),
    summary="The organizations to choose from",
)
def organizations(req: SignedIn) -> Response:
    """The organizations the user can act in, by name (pass one as ``organization``)."""
    return json_response([OrganizationOut(id=o.id, name=o.name) for o in req.organizations()])
