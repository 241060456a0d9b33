"""A service request's contact details (issue 21): a guest must leave them.

Every anonymous visitor is the same guest user, so the contact is all the
staff will know of whoever asked. It is checked with the portal's
normalizers, stored with the request, shown to staff and to the user who
asked, and to nobody else. On memory, SQLite and PostgreSQL.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

import portalkit
from portalkit import perms
from portalkit.adapters.clock import ManualClock
from portalkit.adapters.memory import MemoryStorage
from portalkit.domain.actions import clean_contact
from portalkit.domain.filters import Eq
from portalkit.errors import InvalidInputError
from portalkit.ports import Storage
from tests.services.action_world import World, build_world
from tests.services.conftest import SECRET

STORAGES = ["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@pytest.fixture(params=STORAGES)
def world(request: pytest.FixtureRequest) -> World:
    """The action world in guest mode: the guest may request service, not see requests."""
    if request.param == "memory":
        storage: Storage = MemoryStorage()
    else:
        storage = request.getfixturevalue(f"{request.param}_storage")
    built = build_world(portalkit.Portal(storage, secret_key=SECRET, clock=ManualClock()))
    with built.portal.admin("acme") as admin:
        admin.define_role("guest", [perms.ASSET_VIEW, perms.SERVICE_REQUEST_EDIT])
        guest = admin.create_user("guest@acme.example", "Guest")
        admin.grant(guest, "guest", scope=built.org)
        staff = admin.create_user("staff@acme.example", "Sam Staff", is_staff=True)
        admin.grant(staff, "viewer", scope=built.org)
        admin.update_settings(login_required=False, guest_user_id=guest.id)
    return built


def _guest_request(world: World, **fields: object) -> object:
    with world.portal.request("acme", client="203.0.113.9") as req:
        return req.requests.request_service(
            asset=world.asset.id, description="Flat tyre", **fields
        )


def test_a_guest_must_leave_a_name_and_a_phone_or_an_email(world: World) -> None:
    """Without a contact nothing is stored; every missing field is named at once."""
    with pytest.raises(InvalidInputError) as caught:
        _guest_request(world)
    assert set(caught.value.fields) == {"contact_name", "contact_phone"}
    with pytest.raises(InvalidInputError) as caught:
        _guest_request(world, contact_name="Pat", contact_email="not-an-address")
    assert set(caught.value.fields) == {"contact_email"}
    with world.portal.storage.unit_of_work(read_only=True) as uow:
        assert uow.actions.requests.count(world.tenant_id) == 0


def test_the_contact_is_normalized_and_stored(world: World) -> None:
    """The email is lower-cased, the phone stored in E.164, the name trimmed."""
    made = _guest_request(
        world, contact_name="  Pat Visitor ", contact_phone="(202) 555-0143",
        contact_email="Pat@Example.COM",
    )
    with world.portal.storage.unit_of_work(read_only=True) as uow:
        stored = uow.actions.requests.get(world.tenant_id, made.id)  # type: ignore[attr-defined]
    assert stored is not None
    assert (stored.contact_name, stored.contact_phone, stored.contact_email) == (
        "Pat Visitor", "+12025550143", "pat@example.com",
    )
    assert stored.requested_by is None


def test_staff_see_the_contact_other_customers_do_not(world: World) -> None:
    """Staff see a guest's contact; a customer who sees the request does not."""
    _guest_request(world, contact_name="Pat", contact_email="pat@example.com")
    staff_view = world.portal.requests.list(_staff(world))
    assert [r.contact_email for r in staff_view] == ["pat@example.com"]
    vic_view = world.portal.requests.list(world.vic)
    assert [(r.description, r.contact_name, r.contact_email) for r in vic_view] == [
        ("Flat tyre", None, None)
    ]


def test_a_user_sees_the_contact_they_left_and_may_leave_none(world: World) -> None:
    """A signed-in user's contact is optional; they see their own, others do not."""
    world.portal.requests.request_service(world.ann, asset=world.asset.id, description="none")
    world.portal.requests.request_service(
        world.ann, asset=world.asset.id, description="mine", contact_name="Ann at the depot",
        contact_phone="+1 202 555 0199",
    )
    mine = {r.description: r.contact_phone for r in world.portal.requests.list(world.ann)}
    assert mine == {"none": None, "mine": "+12025550199"}
    theirs = {r.description: r.contact_phone for r in world.portal.requests.list(world.vic)}
    assert theirs == {"none": None, "mine": None}


def test_a_bad_phone_is_a_field_error(world: World) -> None:
    """Only the phone field is named; the error is portalkit's typed one."""
    with pytest.raises(InvalidInputError) as caught:
        _guest_request(world, contact_name="Pat", contact_phone="12")
    assert list(caught.value.fields) == ["contact_phone"]


def _staff(world: World) -> portalkit.Principal:
    with world.portal.storage.unit_of_work(read_only=True) as uow:
        (user,) = uow.users.find(world.tenant_id, Eq("email", "staff@acme.example"))
    return portalkit.Principal(
        tenant_id=world.tenant_id, kind=portalkit.PrincipalKind.USER, user_id=user.id
    )


@given(
    name=st.text(max_size=30), phone=st.text(max_size=20), email=st.text(max_size=40),
    required=st.booleans(),
)
def test_clean_contact_is_idempotent_or_names_its_fields(
    name: str, phone: str, email: str, required: bool
) -> None:
    """Any input gives a contact that cleans to itself, or a field error on contact fields."""
    try:
        contact = clean_contact(name, phone, email, required=required)
    except InvalidInputError as error:
        fields = set(error.fields)
        contact = None
    if contact is None:
        assert fields
        assert fields <= {"contact_name", "contact_phone", "contact_email"}
        return
    again = clean_contact(contact.name, contact.phone, contact.email, required=required)
    assert again == contact
    if required:
        assert contact.name
        assert contact.phone or contact.email
