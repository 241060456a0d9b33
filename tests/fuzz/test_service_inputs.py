"""Fuzzing the services' customer-facing parameters end to end (memory and SQLite).

Query-string and form values go straight into these calls in a web
integration: list filters, sorts, cursors and page sizes; the lookup box;
sign-in and registration fields. Whatever arrives, the answer is a result or
a typed error, never another exception.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import portalkit
from portalkit.adapters.clock import ManualClock
from portalkit.adapters.crypto import Argon2idHasher
from portalkit.adapters.mail import MemoryMailer
from portalkit.adapters.memory import MemoryStorage
from portalkit.ports import Storage
from tests.fuzz.hostile import ANY_INPUT, FUZZ, typed
from tests.services.action_world import World, build_world

SECRET = "fuzz-services-secret-key-that-is-long-enough-0123"
VALUES = ANY_INPUT | st.sampled_from(["sent", "-issued_on", "number", "quote", "open", "1"])


@pytest.fixture(params=["memory", "sqlite"])
def world(request: pytest.FixtureRequest) -> World:
    """The customer world on memory and SQLite, with a cheap (floor) Argon2id."""
    storage: Storage = (
        MemoryStorage() if request.param == "memory" else request.getfixturevalue("sqlite_storage")
    )
    portal = portalkit.Portal(
        storage,
        secret_key=SECRET,
        clock=ManualClock(),
        config=portalkit.PortalConfig(
            mailer=MemoryMailer(),
            hasher=Argon2idHasher(time_cost=2, memory_kib=19 * 1024, parallelism=1),
        ),
    )
    return build_world(portal)


@FUZZ
@given(kind=VALUES, status=VALUES, number=VALUES, sort=VALUES, cursor=VALUES, size=VALUES)
def test_document_list_parameters_take_anything(
    world: World, kind: Any, status: Any, number: Any, sort: Any, cursor: Any, size: Any
) -> None:
    """Any filter, sort, cursor and size give a page or a typed error."""
    typed(
        world.portal.documents.list,
        world.ann, kind=kind, status=status, number=number, sort=sort, cursor=cursor, size=size,
    )


@FUZZ
@given(status=VALUES, number=VALUES, site=VALUES, asset=VALUES, sort=VALUES, cursor=VALUES)
def test_job_list_parameters_take_anything(
    world: World, status: Any, number: Any, site: Any, asset: Any, sort: Any, cursor: Any
) -> None:
    """Any job search gives a page or a typed error."""
    typed(
        world.portal.jobs.list,
        world.ann, status=status, number=number, site=site, asset=asset, sort=sort, cursor=cursor,
    )


@FUZZ
@given(text=ANY_INPUT, organization=ANY_INPUT, region=ANY_INPUT)
def test_lookup_takes_anything(world: World, text: Any, organization: Any, region: Any) -> None:
    """The lookup box and its organization choice give a resolution or a typed error."""
    world.clock.advance(minutes=5)  # keep the per-user lookup limit out of the way
    typed(world.portal.assets.resolve, world.ann, text, organization=organization, region=region)


@FUZZ
@given(asset=ANY_INPUT, description=ANY_INPUT, job_type=ANY_INPUT, key=ANY_INPUT)
def test_service_request_form_takes_anything(
    world: World, asset: Any, description: Any, job_type: Any, key: Any
) -> None:
    """Any service request form gives a stored request or a typed error."""
    typed(
        world.portal.requests.request_service,
        world.ann, asset=asset, description=description, job_type=job_type,
        idempotency_key=key,
    )


@settings(FUZZ, max_examples=60)  # each sign-in runs Argon2id once
@given(identifier=ANY_INPUT, password=ANY_INPUT)
def test_sign_in_takes_anything(world: World, identifier: Any, password: Any) -> None:
    """Any identifier and password give a typed refusal (nobody here has that password)."""
    world.clock.advance(hours=1)  # keep the failure limits out of the way
    tenant = world.portal.tenant("acme")
    result = typed(world.portal.identity.login, tenant, identifier, password)
    assert isinstance(result, portalkit.errors.PortalkitError)


@FUZZ
@given(phone=ANY_INPUT, email=ANY_INPUT, postal_code=ANY_INPUT)
def test_registration_claim_takes_anything(
    world: World, phone: Any, email: Any, postal_code: Any
) -> None:
    """Any phone, email and postal code give a typed refusal (no record matches)."""
    world.clock.advance(hours=1)
    tenant = world.portal.tenant("acme")
    result = typed(
        world.portal.registration.claim, tenant, phone=phone, email=email, postal_code=postal_code
    )
    assert isinstance(result, portalkit.errors.PortalkitError)
