"""The storage contract of second factors (``uow.second_factors``), for every adapter.

Adapter test modules subclass :class:`SecondFactorContract` next to the
classes of ``contract.py`` and provide the same ``storage`` fixture.
"""

from __future__ import annotations

import datetime as dt

import attrs
import pytest

from portalkit.domain.principals import User
from portalkit.domain.second_factors import RecoveryCode, TotpFactor
from portalkit.errors import ConflictError
from portalkit.ports import Storage
from tests.adapters.contract import T0, make_user, setup_tenant


def _factor(user: User, **kw: object) -> TotpFactor:
    fields: dict[str, object] = {
        "id": 0, "tenant_id": user.tenant_id, "user_id": user.id, "secret": "v1:sealed",
        "created_at": T0,
    }
    fields.update(kw)
    return TotpFactor(**fields)  # type: ignore[arg-type]


def _codes(user: User, *digests: str) -> list[RecoveryCode]:
    return [
        RecoveryCode(id=0, tenant_id=user.tenant_id, user_id=user.id, digest=d, created_at=T0)
        for d in digests
    ]


class SecondFactorContract:
    """Authenticator apps and recovery codes: one factor per user, single use, per tenant."""

    def _users(self, storage: Storage) -> tuple[User, User, User]:
        """Ann and Bob in tenant "a", Cy in tenant "b"."""
        tenant_a, _, _ = setup_tenant(storage, "a")
        tenant_b, _, _ = setup_tenant(storage, "b")
        with storage.unit_of_work() as uow:
            ann = uow.users.add(make_user(tenant_a.id, 1))
            bob = uow.users.add(make_user(tenant_a.id, 2))
            cy = uow.users.add(make_user(tenant_b.id, 3))
            uow.commit()
        return ann, bob, cy

    def test_add_and_update_totp_round_trip(self, storage: Storage) -> None:
        """add_totp() inserts the user's one factor (a second is a conflict), update_totp()
        replaces it; every field round-trips."""
        ann, bob, _ = self._users(storage)
        with storage.unit_of_work() as uow:
            first = uow.second_factors.add_totp(_factor(ann))
            uow.commit()
        with storage.unit_of_work() as uow:
            assert uow.second_factors.totp(ann.tenant_id, ann.id) == first
            assert uow.second_factors.totp(ann.tenant_id, bob.id) is None
            with pytest.raises(ConflictError):
                uow.second_factors.add_totp(_factor(ann))
            confirmed = attrs.evolve(_factor(
                ann, secret="v1:other", confirmed_at=T0 + dt.timedelta(minutes=1), last_step=7
            ), id=first.id)
            uow.second_factors.update_totp(confirmed)
            uow.commit()
        assert confirmed.id == first.id
        with storage.unit_of_work(read_only=True) as uow:
            found = uow.second_factors.totp(ann.tenant_id, ann.id)
        assert found == confirmed
        assert found is not None
        assert found.confirmed_at is not None
        assert found.confirmed_at.tzinfo is not None

    def test_use_step_accepts_each_later_step_once(self, storage: Storage) -> None:
        """A step is recorded only if later than the last one: a code works once."""
        ann, _, _ = self._users(storage)
        with storage.unit_of_work() as uow:
            factor = uow.second_factors.add_totp(_factor(ann, last_step=100))
            uow.commit()
        with storage.unit_of_work() as uow:
            repo = uow.second_factors
            assert not repo.use_step(ann.tenant_id, factor.id, 100)
            assert not repo.use_step(ann.tenant_id, factor.id, 99)
            assert repo.use_step(ann.tenant_id, factor.id, 101)
            assert not repo.use_step(ann.tenant_id, factor.id, 101)
            assert repo.use_step(ann.tenant_id, factor.id, 103)
            uow.commit()
        with storage.unit_of_work(read_only=True) as uow:
            stored = uow.second_factors.totp(ann.tenant_id, ann.id)
        assert stored is not None
        assert stored.last_step == 103

    def test_another_tenant_sees_and_changes_nothing(self, storage: Storage) -> None:
        """Hostile: tenant "b" never reads, uses or deletes tenant "a"'s factor or codes."""
        ann, _, cy = self._users(storage)
        with storage.unit_of_work() as uow:
            factor = uow.second_factors.add_totp(_factor(ann))
            uow.second_factors.replace_recovery_codes(ann.tenant_id, ann.id, _codes(ann, "d1"))
            uow.commit()
        b = cy.tenant_id
        with storage.unit_of_work() as uow:
            repo = uow.second_factors
            assert repo.totp(b, ann.id) is None
            assert not repo.use_step(b, factor.id, 10**9)
            assert repo.delete_totp(b, ann.id) == 0
            assert not repo.use_recovery_code(b, ann.id, ["d1"], now=T0)
            assert repo.recovery_codes_left(b, ann.id) == 0
            uow.commit()
        with storage.unit_of_work(read_only=True) as uow:
            assert uow.second_factors.totp(ann.tenant_id, ann.id) == factor
            assert uow.second_factors.recovery_codes_left(ann.tenant_id, ann.id) == 1

    def test_delete_totp(self, storage: Storage) -> None:
        """delete_totp() removes the user's factor only."""
        ann, bob, _ = self._users(storage)
        with storage.unit_of_work() as uow:
            uow.second_factors.add_totp(_factor(ann))
            kept = uow.second_factors.add_totp(_factor(bob))
            uow.commit()
        with storage.unit_of_work() as uow:
            assert uow.second_factors.delete_totp(ann.tenant_id, ann.id) == 1
            assert uow.second_factors.delete_totp(ann.tenant_id, ann.id) == 0
            uow.commit()
        with storage.unit_of_work(read_only=True) as uow:
            assert uow.second_factors.totp(ann.tenant_id, ann.id) is None
            assert uow.second_factors.totp(bob.tenant_id, bob.id) == kept

    def test_recovery_codes_single_use_and_replaced(self, storage: Storage) -> None:
        """A code is used once; replacing voids the old set; another user's digest is no use."""
        ann, bob, _ = self._users(storage)
        with storage.unit_of_work() as uow:
            repo = uow.second_factors
            repo.replace_recovery_codes(ann.tenant_id, ann.id, _codes(ann, "a1", "a2", "a3"))
            repo.replace_recovery_codes(bob.tenant_id, bob.id, _codes(bob, "b1"))
            uow.commit()
        t = ann.tenant_id
        with storage.unit_of_work() as uow:
            repo = uow.second_factors
            assert repo.recovery_codes_left(t, ann.id) == 3
            assert not repo.use_recovery_code(t, ann.id, ["b1"], now=T0)
            assert not repo.use_recovery_code(t, ann.id, [], now=T0)
            assert repo.use_recovery_code(t, ann.id, ["zz", "a2"], now=T0)
            assert not repo.use_recovery_code(t, ann.id, ["a2"], now=T0)
            assert repo.recovery_codes_left(t, ann.id) == 2
            uow.commit()
        with storage.unit_of_work() as uow:
            repo = uow.second_factors
            repo.replace_recovery_codes(t, ann.id, _codes(ann, "n1", "n2"))
            assert not repo.use_recovery_code(t, ann.id, ["a1"], now=T0)
            assert repo.recovery_codes_left(t, ann.id) == 2
            assert repo.recovery_codes_left(t, bob.id) == 1
            uow.commit()

    def test_rollback_keeps_the_code(self, storage: Storage) -> None:
        """A use that is rolled back leaves the code unused."""
        ann, _, _ = self._users(storage)
        with storage.unit_of_work() as uow:
            uow.second_factors.replace_recovery_codes(ann.tenant_id, ann.id, _codes(ann, "a1"))
            uow.commit()
        with storage.unit_of_work() as uow:
            assert uow.second_factors.use_recovery_code(ann.tenant_id, ann.id, ["a1"], now=T0)
            uow.rollback()
        with storage.unit_of_work(read_only=True) as uow:
            assert uow.second_factors.recovery_codes_left(ann.tenant_id, ann.id) == 1
