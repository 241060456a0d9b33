"""The JSON API's records: lookup, assets, jobs, documents, the account and messages.

Every answer comes from the request's capabilities, which decide what the
principal may see: another customer's record is the same 404 as a missing one.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from portalkit import Ambiguous, Document, Found, NoAccess
from portalkit.contrib.fastapi._api_identity import Customer, SignedIn
from portalkit.contrib.fastapi._api_types import (
    AccountOut,
    AssetDetail,
    AssetRef,
    DocumentOut,
    DocumentsPage,
    DownloadUrl,
    FieldOut,
    LookupOut,
    MessageOut,
    OrganizationOut,
    RowOut,
    RowsPage,
    SectionOut,
)
from portalkit.contrib.fastapi._schema import json_response, responses
from portalkit.contrib.fastapi._state import exchange_of
from portalkit.errors import InvalidInputError, NotFoundError, PermissionDeniedError
from portalkit.locale import Msg
from portalkit.services import MessageView

router = APIRouter()

Size = Annotated[int, Query(ge=1, le=100)]
Cursor = Annotated[str | None, Query(max_length=500)]
Text = Annotated[str, Query(min_length=1, max_length=200)]


@router.get("/lookup", responses=responses(LookupOut), summary="Find an asset by number or plate")
def lookup(req: Customer, q: Text, organization: int | None = None) -> Response:
    """One asset, or the organizations it was found in: ask again with ``organization``."""
    try:
        result = req.assets.resolve(q, organization=organization)
    except InvalidInputError:
        raise
    except ValueError as exc:  # not one of the principal's organizations
        raise InvalidInputError.for_field("organization", Msg("field.not_a_choice")) from exc
    if isinstance(result, Found):
        asset = AssetRef(id=result.asset.id, number=result.asset.number)
        return json_response(LookupOut(result="found", asset=asset))
    if isinstance(result, Ambiguous):
        candidates = [
            OrganizationOut(id=c.organization_id, name=c.name) for c in result.candidates
        ]
        return json_response(LookupOut(result="ambiguous", candidates=candidates))
    raise NotFoundError


@router.get("/assets", responses=responses(RowsPage), summary="My assets")
def assets(
    req: Customer, q: str | None = None, cursor: Cursor = None, size: Size = 20
) -> Response:
    """The assets the principal may see, a page at a time, with the fields the tenant shows."""
    page = req.accounts.assets(number=q or None, size=size, cursor=cursor)
    rows = req.accounts.project_assets(page.items)
    return json_response(RowsPage(items=rows, next_cursor=page.next_cursor))


@router.get(
    "/assets/{asset_id}", responses=responses(AssetDetail, 403), summary="An asset's page"
)
def asset(asset_id: int, req: Customer) -> Response:
    """The sections of the asset page the principal may see, and the asset's visible fields."""
    found = req.assets.get(asset_id)
    sections = req.assets.sections(found)
    if isinstance(sections, NoAccess):
        raise PermissionDeniedError
    keys = sections.keys
    fields = req.assets.fields(found) if "identification" in keys else []
    return json_response(AssetDetail(
        id=found.id,
        number=found.number,
        sections=[
            SectionOut(key=s.key, title=s.section.title, actions=sorted(s.actions))
            for s in sections.items
        ],
        fields=[FieldOut(label=label, value=value) for label, value in fields],
    ))


@router.get("/jobs", responses=responses(RowsPage), summary="Jobs")
def jobs(
    req: Customer, asset: int | None = None, cursor: Cursor = None, size: Size = 20
) -> Response:
    """The jobs the principal may see, newest first, with the fields the tenant shows."""
    page = req.jobs.list(asset=asset, size=size, cursor=cursor)
    return json_response(RowsPage(items=req.jobs.project(page.items), next_cursor=page.next_cursor))


@router.get("/jobs/{job_id}", responses=responses(RowOut), summary="A job")
def job(job_id: int, req: Customer) -> Response:
    """One job the principal may see, with the fields the tenant shows."""
    return json_response(RowOut(item=req.jobs.project([req.jobs.get(job_id)])[0]))


def _document(d: Document) -> DocumentOut:
    return DocumentOut(
        id=d.id, kind=d.kind, status=d.status, number=d.number, title=d.title,
        issued_on=d.issued_on, total_cents=d.total_cents, currency=d.currency,
        filename=d.filename,
    )


@router.get("/documents", responses=responses(DocumentsPage), summary="Documents")
def documents(
    req: Customer, kind: str | None = None, cursor: Cursor = None, size: Size = 20
) -> Response:
    """The documents the principal may see, newest first; keyset pages (``next_cursor``)."""
    page = req.documents.list(kind=kind, size=size, cursor=cursor)
    items = [_document(d) for d in page.items]
    return json_response(DocumentsPage(items=items, next_cursor=page.next_cursor))


@router.get(
    "/documents/{document_id}", responses=responses(DocumentOut), summary="A document"
)
def document(document_id: int, req: Customer) -> Response:
    """One document the principal may see."""
    return json_response(_document(req.documents.get(document_id)))


@router.post(
    "/documents/{document_id}/download-url", responses=responses(DownloadUrl),
    summary="A download address",
)
def download_url(document_id: int, request: Request, req: Customer) -> Response:
    """A single-use address of the file, good for this session only (send the same
    cookie or bearer token with it)."""
    token = req.documents.download_token(document_id)
    url = request.url_for("portalkit_download").include_query_params(token=token)
    return json_response(DownloadUrl(url=str(url)))


@router.get(
    "/download", name="portalkit_download", summary="A document's file",
    responses={200: {"description": "The file", "content": {"application/octet-stream": {}}},
               **responses(None)},
)
def download(
    request: Request, req: Customer, token: Annotated[str, Query(max_length=500)]
) -> Response:
    """The file behind a download address, once, if the document is still visible."""
    exchange_of(request).token_page = True
    found = req.documents.open_download(token)
    return Response(
        found.data, media_type=found.content_type,
        headers={"Content-Disposition": found.content_disposition},
    )


@router.get("/account", responses=responses(AccountOut), summary="Account summary")
def account(req: Customer, organization: int | None = None) -> Response:
    """Balance and last payment of one of the principal's organizations."""
    s = req.accounts.summary(organization=organization)
    return json_response(AccountOut(
        organization_id=s.organization_id, balance_cents=s.balance_cents, currency=s.currency,
        last_payment_cents=s.last_payment_cents, last_payment_on=s.last_payment_on, as_of=s.as_of,
    ))


def _message(view: MessageView) -> MessageOut:
    m = view.message
    return MessageOut(id=m.id, title=m.title, body=m.body, starts_at=m.starts_at, read=view.read)


@router.get("/messages", responses=responses(list[MessageOut]), summary="Messages")
def messages(req: SignedIn) -> Response:
    """The messages for the user now, newest first."""
    return json_response([_message(view) for view in req.messages.inbox()])


@router.post(
    "/messages/{message_id}/read", responses=responses(MessageOut), summary="Mark a message read"
)
def mark_read(message_id: int, req: SignedIn) -> Response:
    """Mark a message read (again is harmless)."""
    return json_response(_message(req.messages.mark_read(message_id)))
