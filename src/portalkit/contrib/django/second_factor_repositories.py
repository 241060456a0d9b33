"""Second factors over the Django ORM: ``uow.second_factors``.

A TOTP time step and a recovery code are each used with one conditional
``UPDATE``, so of concurrent uses of one code exactly one succeeds.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING

from portalkit.contrib.django import second_factor_models as sm
from portalkit.contrib.django.repositories import DjangoRepository, ModelMapping
from portalkit.contrib.django.values import to_db
from portalkit.domain.second_factors import RecoveryCode, TotpFactor

if TYPE_CHECKING:
    from portalkit.contrib.django.storage import DjangoUnitOfWork

__all__ = ["DjangoSecondFactors"]

_TOTP: ModelMapping[TotpFactor] = ModelMapping(TotpFactor, sm.TotpFactorModel)
_CODES: ModelMapping[RecoveryCode] = ModelMapping(RecoveryCode, sm.RecoveryCodeModel)


class DjangoSecondFactors:
    """The :class:`~portalkit.ports.SecondFactorRepository` over its two models."""

    def __init__(self, uow: DjangoUnitOfWork) -> None:
        self._uow = uow
        self._factors = DjangoRepository(uow, _TOTP)
        self._codes = DjangoRepository(uow, _CODES)

    def totp(self, tenant_id: int, user_id: int) -> TotpFactor | None:
        """The user's factor, or None."""
        found = self._factors._read(self._factors._tenant(tenant_id).filter(user_id=user_id))
        return found[0] if found else None

    def add_totp(self, factor: TotpFactor) -> TotpFactor:
        """Insert the user's factor; ConflictError if they have one."""
        return self._factors.add(factor)

    def update_totp(self, factor: TotpFactor) -> None:
        """Replace the stored factor with the same tenant and id."""
        self._factors.update(factor)

    def use_step(self, tenant_id: int, factor_id: int, step: int) -> bool:
        """Record *step* in one conditional UPDATE; True for the one caller that did."""
        with self._uow.writing():
            changed = (
                self._factors._tenant(tenant_id)
                .filter(id=factor_id, last_step__lt=step)
                .update(last_step=step)
            )
        return bool(changed == 1)

    def delete_totp(self, tenant_id: int, user_id: int) -> int:
        """Remove the user's factor."""
        with self._uow.writing():
            deleted, _ = self._factors._tenant(tenant_id).filter(user_id=user_id).delete()
        return int(deleted)

    def replace_recovery_codes(
        self, tenant_id: int, user_id: int, codes: Sequence[RecoveryCode]
    ) -> None:
        """Delete the user's codes and store *codes*."""
        with self._uow.writing():
            self._codes._tenant(tenant_id).filter(user_id=user_id).delete()
        for code in codes:
            self._codes.add(code)

    def use_recovery_code(
        self, tenant_id: int, user_id: int, digests: Sequence[str], *, now: dt.datetime
    ) -> bool:
        """Mark one unused code with one of *digests* used: one conditional UPDATE."""
        if not digests:
            return False
        with self._uow.writing():
            changed = (
                self._codes._tenant(tenant_id)
                .filter(user_id=user_id, digest__in=list(digests), used_at__isnull=True)
                .update(used_at=to_db(now))
            )
        return bool(changed >= 1)

    def recovery_codes_left(self, tenant_id: int, user_id: int) -> int:
        """How many unused codes the user has."""
        with self._uow.reading():
            return int(
                self._codes._tenant(tenant_id)
                .filter(user_id=user_id, used_at__isnull=True)
                .count()
            )
