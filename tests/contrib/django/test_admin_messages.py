"""The broadcast-message admin page (seed 001), driven with Django's test client.

Messages composed in the admin are posted, edited and withdrawn through the
message service; portal users see them in their inbox as the service decides.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client

from portalkit import perms
from portalkit.contrib.django import capability_models as cm
from portalkit.contrib.django import models as m
from portalkit.contrib.django.conf import get_portal
from tests.contrib.django.conftest import World

URL = "/admin/portalkit/messagemodel/"


@pytest.fixture
def readers(world: World) -> dict[str, int]:
    """Ann and Bob may read messages; Ann is in the group Drivers. Returns the group ids."""
    with get_portal().admin("acme") as admin:
        admin.define_role("reader", [perms.MESSAGE_VIEW])
        organization = admin.scope_by_key("A")
        drivers = admin.add_group("Drivers")
        office = admin.add_group("Office")
        for user in (world.ann, world.bob):
            admin.grant(user, "reader", scope=organization)
        admin.add_to_group(drivers, world.ann)
    return {"Drivers": drivers.id, "Office": office.id}


def form(**changes: Any) -> dict[str, Any]:
    """A complete add form of a message to everyone of ``acme``, shown from an hour ago."""
    start = dt.datetime.now(dt.timezone.utc) - dt.timedelta(hours=1)
    data: dict[str, Any] = {
        "tenant": m.TenantModel.objects.get(slug="acme").pk,
        "title": "Depot closed Friday",
        "body": "The depot is closed on Friday for stocktaking.",
        "to_everyone": "on",
        "starts_at_0": start.strftime("%Y-%m-%d"),
        "starts_at_1": start.strftime("%H:%M:%S"),
        "ends_at_0": "",
        "ends_at_1": "",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def titles(user: Any) -> list[str]:
    """The titles in a user's inbox, newest first."""
    portal = get_portal()
    return [view.message.title for view in portal.messages.inbox(portal.principal_for(user))]


def test_compose_to_a_group_reaches_only_its_members(
    world: World, readers: dict[str, int], admin_client: Client
) -> None:
    """A message to Drivers is stored by the service and shows only in Ann's inbox."""
    assert admin_client.get(URL + "add/").status_code == 200
    response = admin_client.post(
        URL + "add/", form(to_everyone=None, groups=[readers["Drivers"]], title="Drivers only")
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    stored = cm.MessageModel.objects.get()
    assert stored.to_everyone is False
    assert stored.group_ids == [readers["Drivers"]]
    assert titles(world.ann) == ["Drivers only"]
    assert titles(world.bob) == []
    listing = admin_client.get(URL).content.decode()
    assert "Drivers only" in listing
    assert "Drivers" in listing


def test_message_to_everyone_and_who_sent_it(
    world: World, readers: dict[str, int], admin_client: Client, admin_user: Any
) -> None:
    """To everyone: both users see it; the staff user's portal account is its author."""
    with get_portal().admin("acme") as admin:
        author = admin.create_user(admin_user.email, "Staff Author")
    assert admin_client.post(URL + "add/", form()).status_code == 302
    assert titles(world.ann) == titles(world.bob) == ["Depot closed Friday"]
    assert cm.MessageModel.objects.get().created_by_user_id == author.id


@pytest.mark.parametrize(
    ("changes", "field", "error"),
    [
        ({"ends_at_0": "2020-01-01", "ends_at_1": "00:00:00"}, "ends_at",
         "The end must be after the start."),
        ({"to_everyone": None}, "groups",
         "Choose at least one group, or send the message to everyone."),
        ({"title": "   "}, "title", "This field is required."),
        ({"groups": "GROUP"}, "groups", "Untick"),
    ],
)
def test_invalid_message_is_refused_and_nothing_stored(
    world: World,
    readers: dict[str, int],
    admin_client: Client,
    changes: dict[str, Any],
    field: str,
    error: str,
) -> None:
    """An end before the start, no audience, an empty title, groups and everyone: form errors."""
    if changes.get("groups") == "GROUP":
        changes = {"groups": [readers["Drivers"]]}
    response = admin_client.post(URL + "add/", form(**changes))
    assert response.status_code == 200
    assert error in str(response.context["adminform"].form.errors.get(field, ""))
    assert not cm.MessageModel.objects.exists()


def test_groups_of_another_portal_are_refused(
    world: World, readers: dict[str, int], admin_client: Client
) -> None:
    """A group of another portal cannot be the audience."""
    portal = get_portal()
    portal.create_tenant("other", "Other")
    with portal.admin("other") as admin:
        theirs = admin.add_group("Theirs")
    response = admin_client.post(URL + "add/", form(to_everyone=None, groups=[theirs.id]))
    assert response.status_code == 200
    assert "Choose groups of this message" in response.content.decode()
    assert not cm.MessageModel.objects.exists()


def test_edit_then_withdraw_removes_read_marks(
    world: World, readers: dict[str, int], admin_client: Client
) -> None:
    """Editing changes what users see; deleting withdraws the message and its read marks."""
    portal = get_portal()
    assert admin_client.post(URL + "add/", form()).status_code == 302
    message = cm.MessageModel.objects.get()
    portal.messages.mark_read(portal.principal_for(world.ann), message.pk)
    assert "<td class=\"field-read_by\">1</td>" in admin_client.get(URL).content.decode()
    change = form(title="Depot closed Saturday", to_everyone=None, groups=[readers["Office"]])
    change.pop("tenant")
    response = admin_client.post(f"{URL}{message.pk}/change/", change)
    assert response.status_code == 302, response.content.decode()[:3000]
    assert titles(world.ann) == []
    message.refresh_from_db()
    assert message.title == "Depot closed Saturday"
    assert message.group_ids == [readers["Office"]]
    response = admin_client.post(f"{URL}{message.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not cm.MessageModel.objects.exists()
    assert not cm.MessageReadModel.objects.exists()


def test_bulk_delete_action_withdraws_through_the_service(
    world: World, readers: dict[str, int], admin_client: Client
) -> None:
    """The list's "delete selected" action removes messages and their read marks."""
    portal = get_portal()
    for title in ("One", "Two"):
        assert admin_client.post(URL + "add/", form(title=title)).status_code == 302
    for message in cm.MessageModel.objects.all():
        portal.messages.mark_read(portal.principal_for(world.bob), message.pk)
    ids = list(cm.MessageModel.objects.values_list("pk", flat=True))
    response = admin_client.post(
        URL, {"action": "delete_selected", "_selected_action": ids, "post": "yes"}
    )
    assert response.status_code == 302
    assert not cm.MessageModel.objects.exists()
    assert not cm.MessageReadModel.objects.exists()
    assert titles(world.bob) == []
