"""Tables of the identity capability: one-time codes, throttle counters and sessions.

They use :class:`~portalkit.adapters.sqlalchemy.tables.Base` (portalkit's own
metadata) and are created by migrations ``0002_identity`` and ``0007_sessions``.
Codes are stored only as keyed digests, sessions only as the hash of their
token; throttle rows are keyed by an opaque string (the tenant is
part of the key) and shared by every worker process.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from portalkit.adapters.sqlalchemy.tables import ID_TYPE, Base
from portalkit.adapters.sqlalchemy.types import EnumAsString
from portalkit.domain.identity import CodePurpose

__all__ = ["OneTimeCodeRow", "SessionRow", "ThrottleRow"]


class OneTimeCodeRow(Base):
    """The current reset or email-proof code of one subject (a user or customer record)."""

    __tablename__ = "portalkit_one_time_codes"
    __table_args__ = (UniqueConstraint("tenant_id", "purpose", "subject_id"),)

    id: Mapped[int] = mapped_column(ID_TYPE, primary_key=True, autoincrement=True)
    tenant_id: Mapped[int] = mapped_column(
        ID_TYPE, ForeignKey("portalkit_tenants.id", ondelete="CASCADE"), nullable=False
    )
    purpose: Mapped[CodePurpose] = mapped_column(EnumAsString(CodePurpose))
    subject_id: Mapped[int] = mapped_column(ID_TYPE, nullable=False)
    digest: Mapped[str]
    created_at: Mapped[dt.datetime]
    expires_at: Mapped[dt.datetime]
    used_at: Mapped[dt.datetime | None]
    failed_attempts: Mapped[int] = mapped_column(Integer, nullable=False)
    failures_since: Mapped[dt.datetime | None]


class ThrottleRow(Base):
    """Failures counted for one throttle key."""

    __tablename__ = "portalkit_throttle"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, nullable=False)
    window_start: Mapped[dt.datetime | None]
    last_failure: Mapped[dt.datetime | None]


class SessionRow(Base):
    """One sign-in: the hash of its token, its user, its times and label.

    Deleted with its tenant or its user; found by the token's hash (unique).
    """

    __tablename__ = "portalkit_sessions"
    __table_args__ = (
        UniqueConstraint("token_hash"),
        Index(None, "tenant_id", "user_id"),
    )

    id: Mapped[int] = mapped_column(ID_TYPE, primary_key=True, autoincrement=True)
    tenant_id: Mapped[int] = mapped_column(
        ID_TYPE, ForeignKey("portalkit_tenants.id", ondelete="CASCADE"), nullable=False
    )
    user_id: Mapped[int] = mapped_column(
        ID_TYPE, ForeignKey("portalkit_users.id", ondelete="CASCADE"), nullable=False
    )
    token_hash: Mapped[str]
    created_at: Mapped[dt.datetime]
    last_seen_at: Mapped[dt.datetime]
    label: Mapped[str]
    security_stamp: Mapped[str]
