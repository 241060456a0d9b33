"""The audit trail: recording (never a secret) and querying, on every storage adapter."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

import portalkit
from portalkit._services import audit
from portalkit._services.audit import AuditTrail, looks_secret, sanitize
from portalkit.errors import InvalidInputError
from tests.services.action_world import NOW, World, build_world, next_monday_at

TOKEN = "eyJhbGciOiJIUzI1NiJ9.eyJpZCI6MX0.c2lnbmF0dXJlLXRoYXQtaXMtbG9uZw"
SIGNED = "MTIzNDU2Nzg5MDEyMzQ1Njc4OTA.Zk9xYQ.aGVsbG8td29ybGQtc2lnbmF0dXJl"
ARGON = "$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo"
PASSWORD = "Correct-Horse-Battery-9"


@pytest.fixture
def world(portal: portalkit.Portal) -> World:
    """The action world on each storage adapter."""
    return build_world(portal)


def test_sanitize_drops_secret_keys_and_masks_token_values() -> None:
    """Keys that name secrets are dropped; token-like values are masked whatever the key."""
    clean = sanitize(
        {
            "password": PASSWORD,
            "new_password": PASSWORD,
            "reset_code": "123456",
            "api_key": "k",
            "session_id": "s",
            "link": f"https://portal.example/invite/{TOKEN}",
            "note": SIGNED,
            "hash_of_it": ARGON,
            "email": "ann@city.example",
            "when": NOW,
            "count": 3,
            "none": None,
        }
    )
    assert clean == {
        "link": audit.REDACTED,
        "note": audit.REDACTED,
        "email": "ann@city.example",
        "when": NOW.isoformat(),
        "count": "3",
    }
    assert len(sanitize({f"k{i}": "v" for i in range(50)})) == audit.MAX_DETAIL_ITEMS
    assert len(sanitize({"k": "many words " * 99})["k"]) == audit.MAX_DETAIL_LENGTH


TOKEN_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


@given(st.text(alphabet=TOKEN_ALPHABET, min_size=32, max_size=80))
def test_property_long_opaque_strings_are_never_stored(secret: str) -> None:
    """Any long opaque string (how tokens look) is masked, under any key."""
    assert looks_secret(secret)
    assert secret not in sanitize({"value": secret}).values()


def test_record_and_query(world: World) -> None:
    """Entries are found by user, organization, action(s), outcome and time range,
    newest first, a page at a time."""
    storage, clock, tid = world.portal.storage, world.clock, world.tenant_id
    ann, vic = world.ann.user_id, world.vic.user_id
    with storage.unit_of_work() as uow:
        audit.record(uow, clock, tenant_id=tid, action="login", actor=ann, client_key="10.0.0.1")
        clock.advance(minutes=1)
        audit.record(
            uow, clock, tenant_id=tid, action="document.download", actor=ann,
            target="document:1", scope_path=world.site.path,
        )
        clock.advance(minutes=1)
        audit.record(
            uow, clock, tenant_id=tid, action="document.download", actor=vic,
            target="document:9", scope_path=world.foreign_site.path,
        )
        uow.commit()
    audit.record_now(
        storage, clock, tenant_id=tid, action="login", outcome=audit.FAILED, actor=None,
        detail={"email": "nobody@x.example", "password": PASSWORD},
    )
    trail = AuditTrail(storage)
    recorded = ["login", "document.download"]  # the world's account.create entries aside
    assert [e.action for e in trail.query(tid, action=recorded).entries] == [
        "login", "document.download", "document.download", "login",
    ]
    assert {e.detail["via"] for e in trail.entries(tid, action="account.create")} == {"admin"}
    assert len(trail.query(tid, user=ann).entries) == 2
    # The world's staff changes (scopes, assets, grants) are in the trail too.
    assert {e.action.split(".")[0] for e in trail.entries(tid)} >= {"staff"}
    mine = {"action": recorded}
    assert [e.target for e in trail.query(tid, organization=world.org, **mine).entries] == [
        "document:1"
    ]
    assert [
        e.target for e in trail.query(tid, organization=world.other_org.id, **mine).entries
    ] == ["document:9"]
    assert len(trail.query(tid, organization=world.site.path, **mine).entries) == 1
    assert len(trail.query(tid, action=["login", "logout"]).entries) == 2
    assert len(trail.query(tid, outcome=audit.FAILED).entries) == 1
    window = trail.query(
        tid, since=NOW + dt.timedelta(seconds=30), until=NOW + dt.timedelta(minutes=2)
    )
    assert [e.target for e in window.entries] == ["document:1"]
    page = trail.query(tid, action=recorded, limit=3)
    assert len(page.entries) == 3
    assert page.next_before is not None
    rest = trail.query(tid, action=recorded, limit=3, before=page.next_before)
    assert len(rest.entries) == 1
    assert rest.next_before is None
    assert len(trail.entries(tid, action="login")) == 2
    assert trail.query(tid + 999).entries == ()
    with pytest.raises(InvalidInputError):
        trail.query(tid, since=dt.datetime(2026, 1, 1))
    with pytest.raises(InvalidInputError):
        trail.query(tid, since=NOW, until=NOW - dt.timedelta(days=1))
    with pytest.raises(InvalidInputError):
        trail.query(tid, limit=0)
    with pytest.raises(InvalidInputError):
        audit.record_now(storage, clock, tenant_id=tid, action="Bad Action", outcome="x")


def test_denied_actions_are_audited(world: World) -> None:
    """A refused action (not the principal's record) is in the trail as denied."""
    with pytest.raises(portalkit.errors.NotFoundError):
        world.quotes.approve(
            world.ann, world.foreign_quote.id, signer_name="A", signature="A",
            client_key="198.51.100.7",
        )
    [entry] = AuditTrail(world.portal.storage).query(world.tenant_id, outcome="denied").entries
    assert entry.action == "quote.approve"
    assert entry.actor_user_id == world.ann.user_id
    assert entry.client_key == "198.51.100.7"


def test_no_secret_reaches_the_audit_table(world: World) -> None:
    """Drive every action with token-like client keys and idempotency keys, and
    password-like details; then scan every stored entry: no secret is in it."""
    storage, clock, tid = world.portal.storage, world.clock, world.tenant_id
    meter = world.records.add_meter(tid, world.asset.id, name="odo", unit="km")
    item = world.records.add_rental_item(
        tid, world.site, contract_number="C", item_number="I", quantity_out=2
    )
    secrets_seen = [TOKEN, SIGNED, ARGON, PASSWORD, "123456"]
    world.requests.request_service(
        world.ann, asset=world.asset.id, description="x", client_key=TOKEN,
        idempotency_key=SIGNED.replace(".", "-"),
    )
    world.appointments.book(
        world.ann, asset=world.asset.id, starts_at=next_monday_at(9), client_key=SIGNED
    )
    world.meters.record(world.ann, meter=meter.id, value=5, client_key=ARGON)
    world.rentals.call_off(world.ann, items={item.id: 1}, pickup_on="2026-01-05")
    world.quotes.approve(
        world.ann, world.quote.id, signer_name="Ann", signature="Ann", client_key=TOKEN
    )
    audit.record_now(
        storage, clock, tenant_id=tid, action="password.reset", outcome=audit.SUCCESS,
        actor=world.ann, target=TOKEN,
        detail={"password": PASSWORD, "code": "123456", "token": TOKEN, "link": SIGNED},
    )
    with storage.unit_of_work() as uow:
        entries = uow.audit.find(tid)
    assert len(entries) >= 6
    for entry in entries:
        stored = repr(entry)
        for secret in secrets_seen:
            assert secret not in stored, (secret, entry)
