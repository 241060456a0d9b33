"""Admin page for broadcast messages (seed 001): compose, schedule, edit, withdraw.

Staff write a title and a text for every portal user of a portal, or for
chosen groups, and say when it shows: from a start (now by default) until an
optional end. The form checks with the message service's own rules
(:func:`portalkit.domain.messages.validate_message`), and every change goes
through :class:`~portalkit._services.messages.MessageService` (``post``,
``edit``, ``remove``), so a withdrawn message takes its read marks with it.
The list shows each message's audience, its window, whether it shows now and
how many users have read it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone

from portalkit.contrib.django import capability_models as cm
from portalkit.contrib.django import models as m
from portalkit.contrib.django.admin_invitations import staff_sender
from portalkit.contrib.django.conf import get_portal
from portalkit.domain.messages import BroadcastMessage, validate_message
from portalkit.errors import InvalidInputError

__all__ = ["BroadcastMessageAdmin", "BroadcastMessageForm"]

#: The form field that shows each field of the message service's errors.
_FORM_FIELDS = {"group_ids": "groups", "title": "title", "body": "body",
                "starts_at": "starts_at", "ends_at": "ends_at"}


class _GroupChoice(forms.ModelMultipleChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.name} ({obj.tenant.name})"


class BroadcastMessageForm(forms.ModelForm):  # type: ignore[type-arg]
    """A message with its audience: everyone, or the groups ticked (of the same portal)."""

    groups = _GroupChoice(
        queryset=m.GroupModel.objects.select_related("tenant").order_by("tenant", "name"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Only members of these groups see it (untick 'to everyone').",
    )

    class Meta:
        model = cm.MessageModel
        fields = ("tenant", "title", "body", "to_everyone", "starts_at", "ends_at")
        labels = {"to_everyone": "To everyone", "body": "Text"}  # noqa: RUF012
        help_texts = {  # noqa: RUF012
            "to_everyone": "Every portal user of the portal sees it.",
            "starts_at": "Shown from this time on.",
            "ends_at": "Shown until this time; empty: until withdrawn.",
        }
        widgets = {"title": forms.TextInput(attrs={"size": 80})}  # noqa: RUF012

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.initial["groups"] = list(self.instance.group_ids or ())

    def clean(self) -> dict[str, Any]:
        """The service's rules, plus: the groups are the portal's, and not 'everyone' too."""
        data: dict[str, Any] = super().clean() or {}
        if self.errors:
            return data
        tenant = data.get("tenant") or self.instance.tenant
        groups = list(data.get("groups") or ())
        to_everyone = bool(data.get("to_everyone"))
        if to_everyone and groups:
            self.add_error("groups", "Untick 'to everyone' to send to these groups only.")
            return data
        if any(group.tenant_id != tenant.pk for group in groups):
            self.add_error("groups", "Choose groups of this message's portal.")
            return data
        now = timezone.now()
        try:
            validate_message(
                BroadcastMessage(
                    id=0,
                    tenant_id=tenant.pk,
                    title=data.get("title", ""),
                    body=data.get("body", ""),
                    to_everyone=to_everyone,
                    group_ids=frozenset(group.pk for group in groups),
                    starts_at=data.get("starts_at") or now,
                    ends_at=data.get("ends_at"),
                    created_at=now,
                )
            )
        except InvalidInputError as error:
            for field, message in (error.fields or {"": error.message}).items():
                self.add_error(_FORM_FIELDS.get(field), message)
        return data


@admin.register(cm.MessageModel)
class BroadcastMessageAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Broadcast messages: compose and schedule, edit, withdraw (through the message service)."""

    form = BroadcastMessageForm
    fields = ("tenant", "title", "body", "to_everyone", "groups", "starts_at", "ends_at")
    list_display = (
        "title", "audience", "starts_at", "ends_at", "showing_now", "read_by", "tenant"
    )
    list_filter = ("tenant", "to_everyone")
    search_fields = ("title", "body")
    ordering = ("-starts_at", "-id")

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        """A message stays in its portal."""
        return ("tenant",) if obj is not None else ()

    def get_changeform_initial_data(self, request: HttpRequest) -> dict[str, Any]:
        """A new message goes to everyone, from now."""
        initial: dict[str, Any] = super().get_changeform_initial_data(request)
        initial.setdefault("to_everyone", True)
        initial.setdefault("starts_at", timezone.now().replace(microsecond=0))
        return initial

    @admin.display(description="audience")
    def audience(self, obj: Any) -> str:
        """Everyone, or the groups' names."""
        if obj.to_everyone:
            return "everyone"
        names = m.GroupModel.objects.filter(pk__in=obj.group_ids or ()).order_by("name")
        return ", ".join(names.values_list("name", flat=True)) or "(no group)"

    @admin.display(description="showing now", boolean=True)
    def showing_now(self, obj: Any) -> bool:
        """Inside its window now (start inclusive, end exclusive)."""
        now = timezone.now()
        return bool(obj.starts_at <= now and (obj.ends_at is None or now < obj.ends_at))

    @admin.display(description="read by")
    def read_by(self, obj: Any) -> int:
        """How many users marked it read."""
        return int(
            cm.MessageReadModel.objects.filter(tenant_id=obj.tenant_id, message_id=obj.pk).count()
        )

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        """Post or edit through the message service (which checks again)."""
        data = form.cleaned_data
        groups = None if data["to_everyone"] else [group.pk for group in data["groups"]]
        messages = get_portal().messages
        starts_at: dt.datetime | None = data.get("starts_at")
        if change:
            changes: dict[str, Any] = {
                "title": data["title"],
                "body": data["body"],
                "to_everyone": data["to_everyone"],
                "starts_at": starts_at or obj.starts_at,
                "ends_at": data.get("ends_at"),
            }
            if groups is not None:
                changes["groups"] = groups
            stored = messages.edit(obj.tenant_id, obj.pk, **changes)
        else:
            sender = staff_sender(request, obj.tenant_id)
            stored = messages.post(
                obj.tenant_id,
                title=data["title"],
                body=data["body"],
                groups=groups,
                starts_at=starts_at,
                ends_at=data.get("ends_at"),
                created_by_user_id=sender.user_id if sender is not None else None,
            )
        obj.pk = stored.id
        obj.title, obj.created_at = stored.title, stored.created_at

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        """Withdraw a message and its read marks."""
        get_portal().messages.remove(obj.tenant_id, obj.pk)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        """Withdraw the selected messages and their read marks."""
        messages = get_portal().messages
        for tenant_id, pk in queryset.values_list("tenant_id", "pk"):
            messages.remove(tenant_id, pk)
