"""Tables of the identity capability: one-time codes and throttle counters.

They use :class:`~portalkit.adapters.sqlalchemy.tables.Base` (portalkit's own
metadata) and are created by migration ``0002_identity``. Codes are stored only
as keyed digests; throttle rows are keyed by an opaque string (the tenant is
part of the key) and shared by every worker process.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from portalkit.adapters.sqlalchemy.tables import ID_TYPE, Base
from portalkit.adapters.sqlalchemy.types import EnumAsString
from portalkit.domain.identity import CodePurpose

__all__ = ["OneTimeCodeRow", "ThrottleRow"]


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
