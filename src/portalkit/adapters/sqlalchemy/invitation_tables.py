"""Tables of invitations and broadcast messages (migration ``0003_invitations``).

They use :class:`~portalkit.adapters.sqlalchemy.tables.Base` (portalkit's own
metadata). An invitation row is claimed on acceptance by one conditional
``UPDATE … WHERE status = 'pending' AND nonce = …``; the index on
``(tenant_id, email)`` serves the bulk send's "already invited?" lookups.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, UniqueConstraint
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from portalkit.adapters.sqlalchemy.tables import (
    ID_TYPE,
    Base,
    id_column,
    optional_ref_column,
    tenant_column,
)
from portalkit.adapters.sqlalchemy.types import EnumAsString, JsonFrozenSet
from portalkit.domain.invitations import InvitationKind, InvitationStatus

__all__ = ["InvitationRow", "MessageReadRow", "MessageRow"]

_JSON = JSON().with_variant(JSONB(), "postgresql")


class InvitationRow(Base):
    """An invitation (or a staff-created account's set-password link)."""

    __tablename__ = "portalkit_invitations"
    __table_args__ = (
        Index(None, "tenant_id", "email"),
        Index(None, "tenant_id", "status", "unsent"),
    )

    id: Mapped[int] = id_column()
    tenant_id: Mapped[int] = tenant_column()
    kind: Mapped[InvitationKind] = mapped_column(EnumAsString(InvitationKind))
    email: Mapped[str]
    contact_name: Mapped[str]
    contact_key: Mapped[str | None]
    scope_id: Mapped[int | None] = optional_ref_column()
    scope_path: Mapped[str | None]
    role_id: Mapped[int | None] = optional_ref_column()
    group_id: Mapped[int | None] = optional_ref_column()
    user_id: Mapped[int | None] = optional_ref_column()
    invited_by_user_id: Mapped[int | None] = optional_ref_column()
    values: Mapped[dict[str, Any]] = mapped_column(_JSON)
    status: Mapped[InvitationStatus] = mapped_column(EnumAsString(InvitationStatus))
    nonce: Mapped[str]
    created_at: Mapped[dt.datetime]
    expires_at: Mapped[dt.datetime]
    unsent: Mapped[bool]
    last_error: Mapped[str | None]
    send_attempts: Mapped[int]
    sent_at: Mapped[dt.datetime | None]
    accepted_at: Mapped[dt.datetime | None]
    revoked_at: Mapped[dt.datetime | None]


class MessageRow(Base):
    """A broadcast message."""

    __tablename__ = "portalkit_messages"
    __table_args__ = (Index(None, "tenant_id", "starts_at"),)

    id: Mapped[int] = id_column()
    tenant_id: Mapped[int] = tenant_column()
    title: Mapped[str]
    body: Mapped[str]
    to_everyone: Mapped[bool]
    group_ids: Mapped[frozenset[int]] = mapped_column(JsonFrozenSet())
    starts_at: Mapped[dt.datetime]
    ends_at: Mapped[dt.datetime | None]
    created_at: Mapped[dt.datetime]
    created_by_user_id: Mapped[int | None] = optional_ref_column()


class MessageReadRow(Base):
    """A user has read a message."""

    __tablename__ = "portalkit_message_reads"
    __table_args__ = (UniqueConstraint("tenant_id", "message_id", "user_id"),)

    id: Mapped[int] = id_column()
    tenant_id: Mapped[int] = tenant_column()
    message_id: Mapped[int] = mapped_column(
        ID_TYPE, ForeignKey("portalkit_messages.id", ondelete="CASCADE"), nullable=False
    )
    user_id: Mapped[int] = mapped_column(ID_TYPE, nullable=False)
    read_at: Mapped[dt.datetime]
