"""Tables of second factors: authenticator apps (TOTP) and recovery codes.

Created by migration ``0011_second_factors``. A TOTP secret is stored sealed
(AES-GCM, see :mod:`portalkit.adapters.second_factors`), a recovery code only
as its keyed digest. Both go with their tenant and their user.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, ForeignKey, Index, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from portalkit.adapters.sqlalchemy.tables import ID_TYPE, Base

__all__ = ["RecoveryCodeRow", "TotpFactorRow"]


class TotpFactorRow(Base):
    """A user's authenticator app: at most one per user."""

    __tablename__ = "portalkit_totp_factors"
    __table_args__ = (UniqueConstraint("tenant_id", "user_id"),)

    id: Mapped[int] = mapped_column(ID_TYPE, primary_key=True, autoincrement=True)
    tenant_id: Mapped[int] = mapped_column(
        ID_TYPE, ForeignKey("portalkit_tenants.id", ondelete="CASCADE"), nullable=False
    )
    user_id: Mapped[int] = mapped_column(
        ID_TYPE, ForeignKey("portalkit_users.id", ondelete="CASCADE"), nullable=False
    )
    secret: Mapped[str]
    created_at: Mapped[dt.datetime]
    confirmed_at: Mapped[dt.datetime | None]
    last_step: Mapped[int] = mapped_column(BigInteger, nullable=False)


class RecoveryCodeRow(Base):
    """One recovery code of a user, as its keyed digest."""

    __tablename__ = "portalkit_recovery_codes"
    __table_args__ = (Index(None, "tenant_id", "user_id"),)

    id: Mapped[int] = mapped_column(ID_TYPE, primary_key=True, autoincrement=True)
    tenant_id: Mapped[int] = mapped_column(
        ID_TYPE, ForeignKey("portalkit_tenants.id", ondelete="CASCADE"), nullable=False
    )
    user_id: Mapped[int] = mapped_column(
        ID_TYPE, ForeignKey("portalkit_users.id", ondelete="CASCADE"), nullable=False
    )
    digest: Mapped[str]
    created_at: Mapped[dt.datetime]
    used_at: Mapped[dt.datetime | None]
