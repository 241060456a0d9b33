"""Admin pages for invitations, and the bulk-invite action on customers (seed 003).

Staff select customers in the admin list and choose "Send customer portal
invitation": an intermediate page asks for the role the new users get at
their organization, then each contact gets one email with a personal sign-up
link. Sending is the invitation service's decision: the Django staff user
acts as the portal user with the same email address, who must hold
``invitation.send`` (covering the organizations). Invitations are listed
read-only, with resend and revoke actions.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.db.models import QuerySet
from django.http import HttpRequest
from django.template.response import TemplateResponse

from portalkit import Contact, Principal, PrincipalKind
from portalkit.contrib.django import capability_models as cm
from portalkit.contrib.django import models as m
from portalkit.contrib.django.conf import get_portal
from portalkit.errors import PortalkitError

__all__ = ["BulkInviteForm", "CustomerAdmin", "InvitationAdmin", "staff_sender"]


def staff_sender(request: HttpRequest, tenant_id: int) -> Principal | None:
    """The portal principal a Django staff user sends as: the portal user with their email."""
    email = str(getattr(request.user, "email", "") or "").strip().lower()
    if not email:
        return None
    user = m.UserModel.objects.filter(tenant_id=tenant_id, email=email, is_active=True).first()
    if user is None:
        return None
    return Principal(tenant_id=tenant_id, kind=PrincipalKind.USER, user_id=user.pk)


class BulkInviteForm(forms.Form):
    """The role the invited contacts get at their organization (optional)."""

    role = forms.ChoiceField(required=False, help_text="Leave empty to invite without a role.")

    def __init__(self, *args: Any, tenant_id: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        names = m.RoleModel.objects.filter(tenant_id=tenant_id).order_by("name")
        self.fields["role"].choices = [  # type: ignore[attr-defined]
            ("", "(no role)"), *((r.name, r.name) for r in names)
        ]


def _sender_or_message(
    modeladmin: admin.ModelAdmin[Any], request: HttpRequest, tenant_id: int
) -> Principal | None:
    sender = staff_sender(request, tenant_id)
    if sender is None:
        modeladmin.message_user(
            request,
            "Your staff account's email address is not a portal user's of this portal; "
            "invitations are sent by a portal user allowed to send them.",
            messages.ERROR,
        )
    return sender


@admin.register(m.CustomerModel)
class CustomerAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Customer accounts (synced from the host), with the bulk-invite action."""

    list_display = ("name", "email", "external_key", "portal_enabled", "tenant")
    list_filter = ("tenant", "portal_enabled")
    search_fields = ("name", "email", "external_key")
    actions = ("send_invitations",)

    @admin.action(description="Send customer portal invitation")
    def send_invitations(self, request: HttpRequest, queryset: QuerySet[Any]) -> Any:
        """Ask for the role, then invite every selected customer with an email address."""
        tenants = set(queryset.values_list("tenant_id", flat=True))
        if len(tenants) != 1:
            self.message_user(request, "Select customers of one portal.", messages.ERROR)
            return None
        tenant_id = tenants.pop()
        form = BulkInviteForm(
            request.POST if "apply" in request.POST else None, tenant_id=tenant_id
        )
        if form.is_bound and form.is_valid():
            sender = _sender_or_message(self, request, tenant_id)
            if sender is not None:
                self._send(request, sender, queryset, form.cleaned_data["role"] or None)
            return None
        return TemplateResponse(
            request,
            "admin/portalkit/bulk_invite.html",
            {
                **self.admin_site.each_context(request),
                "title": "Send customer portal invitations",
                "opts": self.model._meta,
                "queryset": queryset,
                "with_email": [c for c in queryset if c.email],
                "form": form,
                "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            },
        )

    def _send(
        self, request: HttpRequest, sender: Principal, queryset: QuerySet[Any], role: str | None
    ) -> None:
        by_organization: dict[int, list[Contact]] = defaultdict(list)
        for customer in queryset:
            if customer.email:
                by_organization[customer.organization_id].append(
                    Contact(
                        email=customer.email, name=customer.name,
                        contact_key=customer.external_key,
                    )
                )
        sent = skipped = failed = 0
        portal = get_portal()
        for organization_id, contacts in by_organization.items():
            try:
                report = portal.invitations.send(
                    sender, contacts, scope_id=organization_id if role else None, role=role
                )
            except PortalkitError as error:
                self.message_user(request, error.message, messages.ERROR)
                return
            sent, skipped, failed = (
                sent + report.sent, skipped + report.skipped, failed + report.failed
            )
        self.message_user(
            request,
            f"Invitations sent: {sent}; skipped: {skipped}; failed to send: {failed}.",
            messages.SUCCESS if not failed else messages.WARNING,
        )


@admin.register(cm.InvitationModel)
class InvitationAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Invitations, read-only, with resend and revoke (through the invitation service)."""

    list_display = ("email", "contact_name", "status", "kind", "sent_at", "expires_at", "tenant")
    list_filter = ("tenant", "status", "kind")
    search_fields = ("email", "contact_name", "contact_key")
    exclude = ("nonce",)
    actions = ("resend", "revoke")

    def has_add_permission(self, request: HttpRequest) -> bool:
        """Invitations are made by the bulk-invite action or the staff API."""
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        """Invitations change only through resend and revoke."""
        return False

    def _each(self, request: HttpRequest, queryset: QuerySet[Any], verb: str) -> None:
        portal = get_portal()
        done = 0
        for invitation in queryset:
            sender = _sender_or_message(self, request, invitation.tenant_id)
            if sender is None:
                return
            try:
                getattr(portal.invitations, verb)(sender, invitation.pk)
            except PortalkitError as error:
                self.message_user(request, f"{invitation.email}: {error.message}", messages.ERROR)
            else:
                done += 1
        self.message_user(request, f"{verb.capitalize()}d {done} invitation(s).")

    @admin.action(description="Send the selected invitations again (new links)")
    def resend(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        """Resend: a new link each; older links stop working."""
        self._each(request, queryset, "resend")

    @admin.action(description="Revoke the selected invitations")
    def revoke(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        """Withdraw invitations; their links stop working at once."""
        self._each(request, queryset, "revoke")
