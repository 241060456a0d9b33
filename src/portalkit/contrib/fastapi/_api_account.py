"""The JSON API's rentals (contracts, items out, call-off), quote decisions and profile."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from portalkit import CallOff, QuoteDecision
from portalkit.contrib.fastapi._api_action_types import (
    ApproveBody,
    CallOffBody,
    CallOffOut,
    ChangesBody,
    ContractOut,
    DeclineBody,
    PasswordBody,
    PasswordChanged,
    ProfileBody,
    QuoteDecisionOut,
    RentalItemOut,
)
from portalkit.contrib.fastapi._api_actions import IdempotencyKey
from portalkit.contrib.fastapi._api_identity import Customer, SignedIn
from portalkit.contrib.fastapi._api_types import UserOut
from portalkit.contrib.fastapi._integration import csrf_token
from portalkit.contrib.fastapi._schema import json_body, json_response, request_body, responses
from portalkit.contrib.fastapi._state import exchange_of

router = APIRouter()


def _call_off(c: CallOff) -> CallOffOut:
    return CallOffOut(
        id=c.id, rental_item_id=c.rental_item_id, request_ref=c.request_ref,
        contract_number=c.contract_number, quantity=c.quantity, pickup_on=c.pickup_on,
        notes=c.notes,
    )


def _decision(d: QuoteDecision) -> QuoteDecisionOut:
    return QuoteDecisionOut(
        id=d.id, document_id=d.document_id, decision=d.decision, signer_name=d.signer_name,
        message=d.message,
    )


@router.get("/contracts", responses=responses(list[ContractOut]), summary="Rental contracts")
def contracts(req: Customer, organization: int | None = None) -> Response:
    """The contracts of one of the principal's organizations, by number."""
    return json_response([
        ContractOut(id=c.id, number=c.number, status=c.status, items_out=c.items_out,
                    started_on=c.started_on)
        for c in req.accounts.contracts(organization=organization)
    ])


@router.get("/items-out", responses=responses(list[RentalItemOut]), summary="Items out on rent")
def items_out(req: Customer) -> Response:
    """The items still out (not fully called off or returned) the principal may see."""
    return json_response([
        RentalItemOut(
            id=i.id, contract_number=i.contract_number, item_number=i.item_number,
            description=i.description, quantity_out=i.quantity_out,
            quantity_called_off=i.quantity_called_off, quantity_returned=i.quantity_returned,
            out_since=i.out_since,
        )
        for i in req.rentals.items_out()
    ])


@router.post(
    "/call-offs", status_code=201, responses=responses(list[CallOffOut], 409, status=201),
    openapi_extra=request_body(CallOffBody), summary="Call items off rent",
)
def call_off(
    req: Customer,
    body: Annotated[CallOffBody, Depends(json_body(CallOffBody))],
    idempotency_key: IdempotencyKey = None,
) -> Response:
    """Ask for items to be picked up; one line per item."""
    lines = req.rentals.call_off(
        items=[(line.item, line.quantity) for line in body.items], pickup_on=body.pickup_on,
        notes=body.notes or "", idempotency_key=idempotency_key,
    )
    return json_response([_call_off(c) for c in lines], 201)


@router.get(
    "/quotes/{document_id}/decisions", responses=responses(list[QuoteDecisionOut]),
    summary="A quote's decisions",
)
def decisions(document_id: int, req: Customer) -> Response:
    """The decisions recorded on a quote the principal can see, oldest first."""
    return json_response([_decision(d) for d in req.quotes.decisions(document_id)])


@router.post(
    "/quotes/{document_id}/approve", responses=responses(QuoteDecisionOut, 403, 409),
    openapi_extra=request_body(ApproveBody), summary="Approve a quote",
)
def approve(
    document_id: int, req: Customer,
    body: Annotated[ApproveBody, Depends(json_body(ApproveBody))],
    idempotency_key: IdempotencyKey = None,
) -> Response:
    """Approve with a typed signature and the signer's name."""
    decided = req.quotes.approve(
        document_id, signer_name=body.signer_name, signature=body.signature,
        idempotency_key=idempotency_key,
    )
    return json_response(_decision(decided))


@router.post(
    "/quotes/{document_id}/decline", responses=responses(QuoteDecisionOut, 403, 409),
    openapi_extra=request_body(DeclineBody), summary="Decline a quote",
)
def decline(
    document_id: int, req: Customer,
    body: Annotated[DeclineBody, Depends(json_body(DeclineBody))],
    idempotency_key: IdempotencyKey = None,
) -> Response:
    """Decline with a reason."""
    decided = req.quotes.decline(document_id, reason=body.reason, idempotency_key=idempotency_key)
    return json_response(_decision(decided))


@router.post(
    "/quotes/{document_id}/changes", responses=responses(QuoteDecisionOut, 403, 409),
    openapi_extra=request_body(ChangesBody), summary="Ask for changes to a quote",
)
def request_changes(
    document_id: int, req: Customer,
    body: Annotated[ChangesBody, Depends(json_body(ChangesBody))],
    idempotency_key: IdempotencyKey = None,
) -> Response:
    """Ask for changes with a message; the quote stays open."""
    decided = req.quotes.request_changes(
        document_id, message=body.message, idempotency_key=idempotency_key
    )
    return json_response(_decision(decided))


@router.put(
    "/profile", responses=responses(UserOut), openapi_extra=request_body(ProfileBody),
    summary="Update my profile",
)
def update_profile(
    req: SignedIn, body: Annotated[ProfileBody, Depends(json_body(ProfileBody))]
) -> Response:
    """New name and contact details (a new email or phone needs ``current_password``)."""
    user = req.profile.update(
        first_name=body.first_name, last_name=body.last_name, email=body.email,
        phone=body.phone, current_password=body.current_password,
    )
    return json_response(UserOut(id=user.id, name=user.name, email=user.email))


@router.post(
    "/profile/password", responses=responses(PasswordChanged),
    openapi_extra=request_body(PasswordBody), summary="Change my password",
)
def change_password(
    request: Request, req: SignedIn,
    body: Annotated[PasswordBody, Depends(json_body(PasswordBody))],
) -> Response:
    """Change the password; every other session ends, this one goes on with a new one."""
    result = req.profile.change_password(
        body.current_password, body.new_password, body.confirmation
    )
    if exchange_of(request).bearer:
        return json_response(PasswordChanged(access_token=result.session, csrf_token=None))
    return json_response(PasswordChanged(access_token=None, csrf_token=csrf_token(request, req)))
