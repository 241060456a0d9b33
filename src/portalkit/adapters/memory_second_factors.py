"""In-memory second factors: ``uow.second_factors`` of the memory unit of work."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING

import attrs

from portalkit.domain.second_factors import RecoveryCode, TotpFactor
from portalkit.errors import ConflictError, NotFoundError

if TYPE_CHECKING:
    from portalkit.adapters.memory import MemoryUnitOfWork

__all__ = ["MemorySecondFactors"]

_TOTP = "totp_factors"
_RECOVERY = "recovery_codes"


class MemorySecondFactors:
    """The :class:`~portalkit.ports.SecondFactorRepository` of the memory adapter."""

    def __init__(self, uow: MemoryUnitOfWork) -> None:
        self._uow = uow

    @property
    def _factors(self) -> dict[int, TotpFactor]:
        rows: dict[int, TotpFactor] = self._uow._tables.setdefault(_TOTP, {})
        return rows

    @property
    def _codes(self) -> dict[int, RecoveryCode]:
        rows: dict[int, RecoveryCode] = self._uow._tables.setdefault(_RECOVERY, {})
        return rows

    def totp(self, tenant_id: int, user_id: int) -> TotpFactor | None:
        """The user's factor, or None."""
        return next(
            (f for f in self._factors.values() if (f.tenant_id, f.user_id) == (tenant_id, user_id)),
            None,
        )

    def add_totp(self, factor: TotpFactor) -> TotpFactor:
        """Insert the user's factor; ConflictError if they have one."""
        if self.totp(factor.tenant_id, factor.user_id) is not None:
            raise ConflictError()
        stored = attrs.evolve(factor, id=self._uow._storage._next_id())
        self._factors[stored.id] = stored
        return stored

    def update_totp(self, factor: TotpFactor) -> None:
        """Replace the stored factor with the same tenant and id."""
        existing = self._factors.get(factor.id)
        if existing is None or existing.tenant_id != factor.tenant_id:
            raise NotFoundError()
        self._factors[factor.id] = factor

    def use_step(self, tenant_id: int, factor_id: int, step: int) -> bool:
        """Record *step* if it is later than the last used one (the unit's lock serializes)."""
        found = self._factors.get(factor_id)
        if found is None or found.tenant_id != tenant_id or step <= found.last_step:
            return False
        self._factors[factor_id] = attrs.evolve(found, last_step=step)
        return True

    def delete_totp(self, tenant_id: int, user_id: int) -> int:
        """Remove the user's factor."""
        found = self.totp(tenant_id, user_id)
        if found is None:
            return 0
        del self._factors[found.id]
        return 1

    def replace_recovery_codes(
        self, tenant_id: int, user_id: int, codes: Sequence[RecoveryCode]
    ) -> None:
        """Delete the user's codes and store *codes*."""
        for the_id in [c.id for c in self._codes.values()
                       if (c.tenant_id, c.user_id) == (tenant_id, user_id)]:
            del self._codes[the_id]
        for code in codes:
            stored = attrs.evolve(code, id=self._uow._storage._next_id())
            self._codes[stored.id] = stored

    def use_recovery_code(
        self, tenant_id: int, user_id: int, digests: Sequence[str], *, now: dt.datetime
    ) -> bool:
        """Mark the user's unused code with one of *digests* used."""
        wanted = set(digests)
        found = next(
            (c for c in self._codes.values()
             if (c.tenant_id, c.user_id) == (tenant_id, user_id)
             and c.used_at is None and c.digest in wanted),
            None,
        )
        if found is None:
            return False
        self._codes[found.id] = attrs.evolve(found, used_at=now)
        return True

    def recovery_codes_left(self, tenant_id: int, user_id: int) -> int:
        """How many unused codes the user has."""
        return sum(
            1 for c in self._codes.values()
            if (c.tenant_id, c.user_id) == (tenant_id, user_id) and c.used_at is None
        )
