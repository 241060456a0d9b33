"""Second factors over SQLAlchemy Core: ``uow.second_factors``.

A TOTP time step and a recovery code are each used with one conditional
``UPDATE``, so of concurrent uses of one code exactly one succeeds.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import Table, delete, func, select, update

from portalkit.adapters.sqlalchemy import second_factor_tables
from portalkit.adapters.sqlalchemy.repositories import SqlRepository, TableMapping
from portalkit.domain.second_factors import RecoveryCode, TotpFactor

if TYPE_CHECKING:
    from portalkit.adapters.sqlalchemy.unit_of_work import SqlAlchemyUnitOfWork

__all__ = ["SqlSecondFactors"]

_TOTP = cast(Table, second_factor_tables.TotpFactorRow.__table__)
_CODES = cast(Table, second_factor_tables.RecoveryCodeRow.__table__)
_TOTP_MAPPING: TableMapping[TotpFactor] = TableMapping(TotpFactor, _TOTP)
_CODE_MAPPING: TableMapping[RecoveryCode] = TableMapping(RecoveryCode, _CODES)


class SqlSecondFactors:
    """The :class:`~portalkit.ports.SecondFactorRepository` over its two tables."""

    def __init__(self, uow: SqlAlchemyUnitOfWork) -> None:
        self._factors = SqlRepository(uow, _TOTP_MAPPING)
        self._codes = SqlRepository(uow, _CODE_MAPPING)
        self._execute = self._factors._execute
        self._write = self._factors._write

    def totp(self, tenant_id: int, user_id: int) -> TotpFactor | None:
        """The user's factor, or None."""
        stmt = _TOTP_MAPPING.select_all.where(
            _TOTP.c.tenant_id == tenant_id, _TOTP.c.user_id == user_id
        )
        found = _TOTP_MAPPING.from_rows(self._execute(stmt).all())
        return found[0] if found else None

    def add_totp(self, factor: TotpFactor) -> TotpFactor:
        """Insert the user's factor; ConflictError if they have one."""
        return self._factors.add(factor)

    def update_totp(self, factor: TotpFactor) -> None:
        """Replace the stored factor with the same tenant and id."""
        self._factors.update(factor)

    def use_step(self, tenant_id: int, factor_id: int, step: int) -> bool:
        """Record *step* in one conditional UPDATE; True for the one caller that did."""
        c = _TOTP.c
        stmt = (
            update(_TOTP)
            .where(c.tenant_id == tenant_id, c.id == factor_id, c.last_step < step)
            .values(last_step=step)
        )
        return self._write(stmt).rowcount == 1

    def delete_totp(self, tenant_id: int, user_id: int) -> int:
        """Remove the user's factor."""
        c = _TOTP.c
        return int(
            self._write(delete(_TOTP).where(c.tenant_id == tenant_id, c.user_id == user_id))
            .rowcount
        )

    def replace_recovery_codes(
        self, tenant_id: int, user_id: int, codes: Sequence[RecoveryCode]
    ) -> None:
        """Delete the user's codes and store *codes*."""
        c = _CODES.c
        self._write(delete(_CODES).where(c.tenant_id == tenant_id, c.user_id == user_id))
        rows: list[dict[str, Any]] = []
        for code in codes:
            row = _CODE_MAPPING.to_row(code)
            row.pop("id", None)
            rows.append(row)
        if rows:
            self._write(_CODES.insert(), rows)

    def use_recovery_code(
        self, tenant_id: int, user_id: int, digests: Sequence[str], *, now: dt.datetime
    ) -> bool:
        """Mark one unused code with one of *digests* used: one conditional UPDATE."""
        if not digests:
            return False
        c = _CODES.c
        stmt = (
            update(_CODES)
            .where(
                c.tenant_id == tenant_id, c.user_id == user_id,
                c.digest.in_(list(digests)), c.used_at.is_(None),
            )
            .values(used_at=now)
        )
        return self._write(stmt).rowcount >= 1

    def recovery_codes_left(self, tenant_id: int, user_id: int) -> int:
        """How many unused codes the user has."""
        c = _CODES.c
        stmt = select(func.count()).select_from(_CODES).where(
            c.tenant_id == tenant_id, c.user_id == user_id, c.used_at.is_(None)
        )
        return int(self._execute(stmt).scalar_one())
