"""The storage contract's race rules: what an adapter must get right under concurrency.

Every rule here is one conditional statement in the port's docstring ("of
concurrent callers exactly one gets True"). The single-threaded contract
(:mod:`tests.adapters.contract`) cannot see an adapter that reads, decides in
Python and writes: it passes there and double-books in production. So each
rule runs here with 20 threads started behind one barrier, several rounds
over, against a storage whose units really run in parallel (PostgreSQL, or a
file SQLite; not the in-memory adapter, which serializes everything).

An adapter's test module subclasses :class:`RaceContract` and provides a
``storage`` fixture, as for the other contract classes (see
docs/integrations/custom.md).
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable, Iterator
from functools import partial
from typing import Any

import attrs

from portalkit.domain.actions import IdempotencyKey, Meter, RentalItem, SlotOffer
from portalkit.domain.identity import CodePurpose, OneTimeCode, ThrottleRule, ThrottleState
from portalkit.domain.invitations import Invitation, InvitationStatus
from portalkit.domain.scopes import ScopeNode
from portalkit.errors import ConflictError, ThrottledError
from portalkit.ports import Storage
from tests.adapters.contract import make_asset, new_tenant, org, site

UTC = dt.timezone.utc
T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
#: Threads per race, and races per rule.
WORKERS = 20
ROUNDS = 3


def race(work: Callable[[], object], workers: int = WORKERS) -> list[object]:
    """Run *work* in *workers* threads released at once; every outcome, errors included."""
    barrier = threading.Barrier(workers)
    results: list[object] = []
    lock = threading.Lock()

    def run() -> None:
        barrier.wait()
        try:
            outcome: object = work()
        except Exception as exc:  # every outcome is part of the verdict
            outcome = exc
        with lock:
            results.append(outcome)

    threads = [threading.Thread(target=run) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert len(results) == workers, "a thread hung"
    return results


def unexpected(results: list[object], *allowed: type[Exception]) -> list[str]:
    """The outcomes that are errors of any kind but *allowed* (for the failure message)."""
    return [
        repr(r) for r in results if isinstance(r, Exception) and not isinstance(r, allowed)
    ]


@attrs.frozen
class World:
    """A tenant with an organization and a site, as the races need them."""

    tenant_id: int
    site: ScopeNode


def world(storage: Storage, slug: str = "race") -> World:
    """A tenant, an organization and a site, committed."""
    with storage.unit_of_work() as uow:
        tenant = new_tenant(uow, slug)
        organization = org(uow, tenant)
        place = site(uow, organization)
        uow.commit()
    return World(tenant.id, place)


def in_unit(storage: Storage, work: Callable[[Any], object]) -> Callable[[], object]:
    """*work* run in its own unit of work, committed when it returns."""

    def run() -> object:
        with storage.unit_of_work() as uow:
            outcome = work(uow)
            uow.commit()
        return outcome

    return run


class RaceContract:
    """Concurrent callers of a conditional write: exactly the allowed number win."""

    def test_throttle_acquire_never_passes_the_limit(self, storage: Storage) -> None:
        """20 attempts at once against a limit of 10: exactly 10 pass, 10 are throttled."""
        throttle = storage.throttle()
        rule = ThrottleRule(limit=10, window=dt.timedelta(minutes=15))
        for n in range(ROUNDS):
            key = f"race-acquire-{n}"
            results = race(partial(throttle.acquire, key, rule, T0))
            assert unexpected(results, ThrottledError) == []
            assert results.count(None) == 10
            assert throttle.state(key).failures == 10

    def test_throttle_acquire_many_counts_all_keys_or_none(self, storage: Storage) -> None:
        """Two keys counted at once by 20 threads: no deadlock, both counts exact."""
        throttle = storage.throttle()
        rule = ThrottleRule(limit=10, window=dt.timedelta(minutes=15))
        for n in range(ROUNDS):
            keys = (f"race-x-{n}", f"race-y-{n}")
            results = race(partial(throttle.acquire_many, [(key, rule) for key in keys], T0))
            assert unexpected(results, ThrottledError) == []
            assert results.count(None) == 10
            assert [throttle.state(k).failures for k in keys] == [10, 10]

    def test_throttle_count_and_settle_never_loses_a_row(self, storage: Storage) -> None:
        """Sign-ins of one user at once (count two keys, then settle): no raw error, and
        nothing is left counted (a row deleted between another's insert and its read
        must not surface)."""
        throttle = storage.throttle()
        rule = ThrottleRule(limit=1000, window=dt.timedelta(minutes=15))

        def sign_in() -> None:
            throttle.acquire_many([("race-client", rule), ("race-user", rule)], T0)
            throttle.settle(reset=["race-user"], forgive=[("race-client", rule)], now=T0)

        for _ in range(ROUNDS * 2):
            results = race(sign_in)
            assert unexpected(results) == []
        assert throttle.state("race-user") == ThrottleState()
        assert throttle.state("race-client") == ThrottleState()

    def test_a_code_is_consumed_once(self, storage: Storage) -> None:
        """20 threads consuming one code with the right digest: exactly one succeeds."""
        place = world(storage)
        for n in range(ROUNDS):
            subject = 100 + n
            with storage.unit_of_work() as uow:
                uow.codes.add(_code(place.tenant_id, subject))
                uow.commit()
            results = race(in_unit(storage, partial(_consume, place.tenant_id, subject)))
            assert unexpected(results) == []
            assert (results.count(True), results.count(False)) == (1, WORKERS - 1)

    def test_wrong_guesses_are_counted_exactly(self, storage: Storage) -> None:
        """20 wrong guesses at once with a limit of 5: exactly 5 are counted."""
        place = world(storage)
        for n in range(ROUNDS):
            subject = 200 + n
            with storage.unit_of_work() as uow:
                uow.codes.add(_code(place.tenant_id, subject))
                uow.commit()
            results = race(in_unit(storage, partial(_guess_wrong, place.tenant_id, subject)))
            assert unexpected(results) == []
            assert results.count(True) == 5
            with storage.unit_of_work(read_only=True) as uow:
                stored = uow.codes.get_for(place.tenant_id, CodePurpose.RESET, subject)
            assert stored is not None
            assert stored.failed_attempts == 5

    def test_an_invitation_changes_state_once(self, storage: Storage) -> None:
        """20 accepts of one pending invitation (update_if on status and nonce): one wins."""
        place = world(storage)
        for n in range(ROUNDS):
            with storage.unit_of_work() as uow:
                pending = uow.invitations.add(_invitation(place.tenant_id, n))
                uow.commit()
            accepted = attrs.evolve(pending, status=InvitationStatus.ACCEPTED, accepted_at=T0)
            results = race(in_unit(storage, partial(_accept, accepted)))
            assert unexpected(results) == []
            assert results.count(True) == 1
            with storage.unit_of_work(read_only=True) as uow:
                assert uow.invitations.get(place.tenant_id, pending.id) == accepted

    def test_a_slot_is_never_overbooked(self, storage: Storage) -> None:
        """20 bookings of a slot with 3 places: exactly 3 reserve one, the count is 3."""
        place = world(storage)
        for n in range(ROUNDS):
            offer = SlotOffer(
                starts_at=T0 + dt.timedelta(hours=n),
                ends_at=T0 + dt.timedelta(hours=n, minutes=30),
                capacity=3,
            )
            with storage.unit_of_work() as uow:
                slot = uow.actions.slots.ensure(place.tenant_id, offer)
                uow.commit()
            results = race(in_unit(storage, partial(_reserve, place.tenant_id, slot.id)))
            assert unexpected(results) == []
            assert results.count(True) == 3
            with storage.unit_of_work(read_only=True) as uow:
                assert uow.actions.slots.get(place.tenant_id, slot.id).booked == 3

    def test_one_slot_is_created_once(self, storage: Storage) -> None:
        """20 units ensuring the same offered slot at once: one slot, the same for all."""
        place = world(storage)
        offer = SlotOffer(
            starts_at=T0 + dt.timedelta(days=1), ends_at=T0 + dt.timedelta(days=1, hours=1)
        )
        results = race(in_unit(storage, lambda uow: uow.actions.slots.ensure(
            place.tenant_id, offer
        ).id))
        assert unexpected(results) == []
        assert len(set(results)) == 1

    def test_call_off_never_exceeds_what_is_out(self, storage: Storage) -> None:
        """20 call-offs of one item each with 5 out: exactly 5 succeed, 5 called off."""
        place = world(storage)
        for n in range(ROUNDS):
            with storage.unit_of_work() as uow:
                item = uow.actions.rentals.add(RentalItem(
                    id=0, tenant_id=place.tenant_id, scope_id=place.site.id,
                    scope_path=place.site.path, contract_number="C-1",
                    item_number=f"I-{n}", quantity_out=5, external_key=f"item-{n}",
                ))
                uow.commit()
            results = race(in_unit(storage, partial(_call_off_one, item)))
            assert unexpected(results) == []
            assert results.count(True) == 5
            with storage.unit_of_work(read_only=True) as uow:
                assert uow.actions.rentals.get(place.tenant_id, item.id).quantity_called_off == 5

    def test_a_meter_reading_replaces_the_last_one_once(self, storage: Storage) -> None:
        """20 readings recorded against the same last reading: exactly one is stored."""
        place = world(storage)
        with storage.unit_of_work() as uow:
            asset = uow.assets.add(make_asset(place.site, 1))
            uow.commit()
        for n in range(ROUNDS):
            with storage.unit_of_work() as uow:
                meter = uow.actions.meters.add(Meter(
                    id=0, tenant_id=place.tenant_id, asset_id=asset.id,
                    scope_path=place.site.path, name=f"hours-{n}", unit="h",
                    last_value=100.0, last_read_at=T0, external_key=f"meter-{n}",
                ))
                uow.commit()
            values = iter(range(101, 101 + WORKERS))  # next() on an iterator is atomic
            results = race(in_unit(storage, partial(_read_meter, meter, values)))
            assert unexpected(results) == []
            assert results.count(True) == 1
            with storage.unit_of_work(read_only=True) as uow:
                stored = uow.actions.meters.get(place.tenant_id, meter.id)
            assert stored.last_value in range(101, 101 + WORKERS)

    def test_an_idempotency_key_is_taken_once(self, storage: Storage) -> None:
        """20 submissions with one idempotency key at once: one stores it, the others
        get ConflictError (the service then answers them with the first one's result)."""
        place = world(storage)
        for n in range(ROUNDS):
            key = IdempotencyKey(
                id=0, tenant_id=place.tenant_id, owner="user:7", key=f"k-{n}",
                action="service_request", fingerprint="f", created_at=T0,
            )
            results = race(in_unit(storage, partial(_take_key, key)))
            assert unexpected(results, ConflictError) == []
            assert sum(isinstance(r, int) for r in results) == 1
            with storage.unit_of_work(read_only=True) as uow:
                assert uow.actions.idempotency.get_by_key(place.tenant_id, "user:7", f"k-{n}")


def _code(tenant_id: int, subject: int) -> OneTimeCode:
    return OneTimeCode(
        id=0, tenant_id=tenant_id, purpose=CodePurpose.RESET, subject_id=subject,
        digest="d1", created_at=T0, expires_at=T0 + dt.timedelta(minutes=15),
    )


def _invitation(tenant_id: int, n: int) -> Invitation:
    return Invitation(
        id=0, tenant_id=tenant_id, email=f"guest{n}@example.com", contact_name="Guest",
        nonce=f"nonce-{n}", created_at=T0, expires_at=T0 + dt.timedelta(days=14),
    )


def _accept(accepted: Invitation, uow: Any) -> bool:
    return bool(
        uow.invitations.update_if(accepted, status=InvitationStatus.PENDING, nonce=accepted.nonce)
    )


def _call_off_one(item: RentalItem, uow: Any) -> bool:
    return bool(uow.actions.rentals.call_off(item.tenant_id, item.id, 1))


def _read_meter(meter: Meter, values: Iterator[int], uow: Any) -> bool:
    new = attrs.evolve(
        meter, last_value=float(next(values)), last_read_at=T0 + dt.timedelta(hours=1)
    )
    return bool(uow.actions.meters.update_if_unchanged(meter, new))


def _take_key(key: IdempotencyKey, uow: Any) -> int:
    return int(uow.actions.idempotency.add(key).id)


def _consume(tenant_id: int, subject: int, uow: Any) -> bool:
    return bool(
        uow.codes.consume(
            tenant_id, CodePurpose.RESET, subject, "d1", now=T0, max_attempts=5
        )
    )


def _guess_wrong(tenant_id: int, subject: int, uow: Any) -> bool:
    return bool(
        uow.codes.record_failure(tenant_id, CodePurpose.RESET, subject, now=T0, max_attempts=5)
    )


def _reserve(tenant_id: int, slot_id: int, uow: Any) -> bool:
    return bool(uow.actions.slots.reserve(tenant_id, slot_id))
