"""The invitation and message repositories on every storage adapter (memory, SQLite, PostgreSQL)."""

from __future__ import annotations

import datetime as dt

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from portalkit.adapters.memory import MemoryStorage
from portalkit.domain.filters import Eq, In, all_of
from portalkit.domain.invitations import Invitation, InvitationKind, InvitationStatus
from portalkit.domain.messages import BroadcastMessage, MessageRead
from portalkit.domain.tenants import Tenant
from portalkit.errors import ConflictError
from portalkit.ports import Storage

T0 = dt.datetime(2026, 3, 1, 9, 0, tzinfo=dt.timezone.utc)


@pytest.fixture(params=["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def storage(request: pytest.FixtureRequest) -> Storage:
    """Each storage adapter, empty and migrated."""
    if request.param == "memory":
        return MemoryStorage()
    result: Storage = request.getfixturevalue(f"{request.param}_storage")
    return result


def tenant(storage: Storage) -> int:
    """A new tenant's id."""
    with storage.unit_of_work() as uow:
        made = uow.tenants.add(Tenant(id=0, slug="acme", name="Acme"))
        uow.commit()
    return made.id


def invitation(tenant_id: int, **changes: object) -> Invitation:
    """A pending invitation."""
    base = Invitation(
        id=0,
        tenant_id=tenant_id,
        email="ann@example.com",
        contact_name="Ann",
        nonce="n1",
        created_at=T0,
        expires_at=T0 + dt.timedelta(days=14),
        values={"account": "A-1"},
    )
    return attrs.evolve(base, **changes)


def test_invitations_round_trip(storage: Storage) -> None:
    """Every field, enums and JSON values included, comes back as stored."""
    tid = tenant(storage)
    with storage.unit_of_work() as uow:
        stored = uow.invitations.add(
            invitation(tid, kind=InvitationKind.ACCOUNT, user_id=7, scope_path="/org:1/")
        )
        uow.commit()
    with storage.unit_of_work() as uow:
        assert uow.invitations.get(tid, stored.id) == stored
        found = uow.invitations.find(
            tid,
            all_of(Eq("kind", InvitationKind.ACCOUNT), In("status", (InvitationStatus.PENDING,))),
        )
        assert found == [stored]
        assert uow.invitations.count(tid, Eq("unsent", True)) == 1


def test_update_if_is_conditional_on_status_and_nonce(storage: Storage) -> None:
    """update_if changes the row only when status and nonce still match."""
    tid = tenant(storage)
    with storage.unit_of_work() as uow:
        stored = uow.invitations.add(invitation(tid))
        uow.commit()
    accepted = attrs.evolve(stored, status=InvitationStatus.ACCEPTED, accepted_at=T0)
    with storage.unit_of_work() as uow:
        assert not uow.invitations.update_if(accepted, status=InvitationStatus.PENDING, nonce="x")
        assert not uow.invitations.update_if(accepted, status=InvitationStatus.REVOKED, nonce="n1")
        assert uow.invitations.update_if(accepted, status=InvitationStatus.PENDING, nonce="n1")
        assert not uow.invitations.update_if(accepted, status=InvitationStatus.PENDING, nonce="n1")
        uow.commit()
    with storage.unit_of_work() as uow:
        assert uow.invitations.get(tid, stored.id) == accepted
        other = tenant_id_other(uow)
        moved = attrs.evolve(accepted, tenant_id=other)
        assert not uow.invitations.update_if(moved, status=InvitationStatus.ACCEPTED, nonce="n1")


def tenant_id_other(uow: object) -> int:
    """Another tenant, in the same unit."""
    made = uow.tenants.add(Tenant(id=0, slug="other", name="Other"))  # type: ignore[attr-defined]
    return int(made.id)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    stored_status=st.sampled_from(list(InvitationStatus)),
    stored_nonce=st.sampled_from(["a", "b"]),
    want_status=st.sampled_from(list(InvitationStatus)),
    want_nonce=st.sampled_from(["a", "b"]),
)
def test_update_if_matches_exactly_when_both_match(
    stored_status: InvitationStatus,
    stored_nonce: str,
    want_status: InvitationStatus,
    want_nonce: str,
) -> None:
    """On the memory adapter: True iff the stored status and nonce both equal the expected."""
    storage = MemoryStorage()
    tid = tenant(storage)
    with storage.unit_of_work() as uow:
        stored = uow.invitations.add(invitation(tid, status=stored_status, nonce=stored_nonce))
        changed = attrs.evolve(stored, contact_name="Changed")
        ok = uow.invitations.update_if(changed, status=want_status, nonce=want_nonce)
        assert ok is (stored_status is want_status and stored_nonce == want_nonce)
        assert uow.invitations.get(tid, stored.id) == (changed if ok else stored)


def test_messages_and_reads(storage: Storage) -> None:
    """Messages round-trip with their group set; a second read mark is a conflict."""
    tid = tenant(storage)
    with storage.unit_of_work() as uow:
        message = uow.messages.add(
            BroadcastMessage(
                id=0,
                tenant_id=tid,
                title="Hi",
                body="Body",
                to_everyone=False,
                group_ids=frozenset({3, 1}),
                starts_at=T0,
                created_at=T0,
            )
        )
        uow.message_reads.add(
            MessageRead(id=0, tenant_id=tid, message_id=message.id, user_id=5, read_at=T0)
        )
        uow.commit()
    with storage.unit_of_work() as uow:
        assert uow.messages.get(tid, message.id) == message
        assert uow.message_reads.count(tid, Eq("user_id", 5)) == 1
        with pytest.raises(ConflictError):
            uow.message_reads.add(
                MessageRead(id=0, tenant_id=tid, message_id=message.id, user_id=5, read_at=T0)
            )
