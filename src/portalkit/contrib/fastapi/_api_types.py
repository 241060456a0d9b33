"""The JSON API's bodies: attrs classes, read and written by cattrs.

They are the API's contract, separate from portalkit's records: a record's
internal fields (tenant, scope path, keys) never reach the wire.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

import attrs

Value = str | int | float | bool | None


# Requests -----------------------------------------------------------------------
@attrs.frozen
class SignInBody:
    """Sign in with a login name, email or phone number and the password."""

    identifier: str
    password: str


# Who ----------------------------------------------------------------------------
@attrs.frozen
class UserOut:
    """The signed-in user."""

    id: int
    name: str
    email: str | None


@attrs.frozen
class Me:
    """Who the request runs as; *csrf_token* is for a cookie session's writes."""

    signed_in: bool
    user: UserOut | None = None
    csrf_token: str | None = None
    organization: int | None = None


@attrs.frozen
class TokenOut:
    """An app's bearer token: the session value, sent as ``Authorization: Bearer``."""

    access_token: str
    user: UserOut
    token_type: Literal["bearer"] = "bearer"  # noqa: S105 (the scheme's name)


@attrs.frozen
class SessionOut:
    """One of the user's live sessions ("where you're signed in")."""

    id: int
    label: str
    created_at: dt.datetime
    last_seen_at: dt.datetime
    current: bool


@attrs.frozen
class OrganizationOut:
    """An organization the user can act in."""

    id: int
    name: str


# Assets -------------------------------------------------------------------------
@attrs.frozen
class AssetRef:
    """An asset found by a lookup."""

    id: int
    number: str


@attrs.frozen
class LookupOut:
    """A lookup's answer: one asset, or the organizations to choose from."""

    result: Literal["found", "ambiguous"]
    asset: AssetRef | None = None
    candidates: list[OrganizationOut] = attrs.field(factory=list)


@attrs.frozen
class SectionOut:
    """A section of the asset page the principal may see, and the actions allowed in it."""

    key: str
    title: str
    actions: list[str]


@attrs.frozen
class FieldOut:
    """A field of the asset the principal may see."""

    label: str
    value: Value


@attrs.frozen
class AssetDetail:
    """The asset page: its sections and the visible fields."""

    id: int
    number: str
    sections: list[SectionOut]
    fields: list[FieldOut]


@attrs.frozen
class RowsPage:
    """A page of rows with only the fields the tenant shows (plus ``id``)."""

    items: list[dict[str, Any]]
    next_cursor: str | None = None


@attrs.frozen
class RowOut:
    """One row with only the fields the tenant shows (plus ``id``)."""

    item: dict[str, Any]


# Documents, account, messages -----------------------------------------------------
@attrs.frozen
class DocumentOut:
    """A document the principal may see."""

    id: int
    kind: str
    status: str
    number: str
    title: str
    issued_on: dt.date | None
    total_cents: int | None
    currency: str | None
    filename: str | None


@attrs.frozen
class DocumentsPage:
    """A page of documents; pass *next_cursor* back as ``cursor`` for the next one."""

    items: list[DocumentOut]
    next_cursor: str | None = None


@attrs.frozen
class DownloadUrl:
    """A single-use address of a document's file, good for this session only."""

    url: str


@attrs.frozen
class AccountOut:
    """An organization's balance and last payment."""

    organization_id: int
    balance_cents: int | None
    currency: str
    last_payment_cents: int | None
    last_payment_on: dt.date | None
    as_of: dt.date | None


@attrs.frozen
class MessageOut:
    """A message for the user, and whether they read it."""

    id: int
    title: str
    body: str
    starts_at: dt.datetime
    read: bool
