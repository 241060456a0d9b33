"""Django admin pages for staff over portalkit's Django models.

Portals (settings, branding and the switches that hide document kinds and
features), organizations and scopes, roles, groups, portal users, grants,
documents and assets. The pages edit the rows of the Django storage
(``PORTALKIT["STORAGE"] = "django"``); structural changes that must move
records with them (moving a scope node) stay with the staff API
(``portal.admin().move_scope``), so the admin shows a node's kind, parent and
path read-only after creation.

Customers with the bulk-invite action (seed 003) and invitations are in
:mod:`portalkit.contrib.django.admin_invitations`; broadcast messages
(seed 001) in :mod:`portalkit.contrib.django.admin_messages`.
"""

from __future__ import annotations

import secrets
from typing import Any

import attrs
import django
from cattrs.preconf.json import make_converter
from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from portalkit.contrib.django import models as m
from portalkit.contrib.django.conf import get_portal
from portalkit.domain.assets import fold_similar, normalize_identifier
from portalkit.domain.mail import check_display_name, check_language, check_sender_address
from portalkit.domain.scopes import ALLOWED_PARENTS, ScopeKind, child_path
from portalkit.domain.tenants import TenantSettings
from portalkit.errors import InvalidInputError

__all__ = [
    "AssetAdmin",
    "DocumentAdmin",
    "GrantAdmin",
    "GroupAdmin",
    "RoleAdmin",
    "ScopeAdmin",
    "TenantAdmin",
    "UserAdmin",
]

_converter = make_converter()

#: URL fields assume https:// when typed without a scheme (the Django 6 default).
_URL_OPTIONS: dict[str, Any] = {"assume_scheme": "https"} if django.VERSION >= (5, 0) else {}

#: The TenantSettings fields the portal page edits, in display order.
_SETTINGS_FIELDS = (
    "portal_enabled",
    "licensed",
    "login_required",
    "guest_user_id",
    "disabled_features",
    "portal_name",
    "logo_url",
    "primary_color",
    "base_url",
    "sender_email",
    "locale",
    "default_region",
    "lookup_plates",
    "lookup_fold_similar",
    "lookup_rate",
)


def _feature_choices() -> list[tuple[str, str]]:
    return [(key, key) for key in sorted(get_portal().permissions.features())]


def _permission_choices() -> list[tuple[str, str]]:
    return [
        (p.name, f"{p.label} ({p.name})")
        for p in sorted(get_portal().permissions, key=lambda p: p.name)
    ]


class TenantForm(forms.ModelForm):  # type: ignore[type-arg]
    """A portal with its settings as separate fields (stored as one JSON document)."""

    portal_enabled = forms.BooleanField(required=False, help_text="The portal is switched on.")
    licensed = forms.BooleanField(required=False, help_text="The portal licence is valid.")
    login_required = forms.BooleanField(
        required=False, help_text="Off: anonymous visitors act as the guest user below."
    )
    guest_user_id = forms.IntegerField(
        required=False, help_text="Id of the portal user whose grants guests get."
    )
    disabled_features = forms.MultipleChoiceField(
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Switched off",
        help_text="Document kinds and features hidden from customers (e.g. invoice, report).",
    )
    portal_name = forms.CharField(max_length=200)
    logo_url = forms.URLField(required=False, **_URL_OPTIONS)
    primary_color = forms.RegexField(regex=r"^#[0-9a-fA-F]{6}$", max_length=7)
    base_url = forms.URLField(
        required=False, help_text="Public address used in emailed links.", **_URL_OPTIONS
    )
    sender_email = forms.EmailField(required=False)
    locale = forms.CharField(
        max_length=20, required=False, help_text="Language of the portal's emails, e.g. es."
    )
    default_region = forms.CharField(max_length=2, help_text="ISO country code, e.g. US.")
    lookup_plates = forms.BooleanField(required=False)
    lookup_fold_similar = forms.BooleanField(
        required=False, help_text="Treat O/0 and I/L/1 alike on plates."
    )
    lookup_rate = forms.IntegerField(min_value=0, help_text="Lookups per minute; 0: no limit.")

    class Meta:
        model = m.TenantModel
        fields = ("slug", "name")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["disabled_features"].choices = _feature_choices()  # type: ignore[attr-defined]
        current = self._settings()
        for name in _SETTINGS_FIELDS:
            value = getattr(current, name)
            self.initial[name] = sorted(value) if isinstance(value, frozenset) else value

    def _settings(self) -> TenantSettings:
        stored = self.instance.settings if self.instance.pk else None
        return _converter.structure(stored, TenantSettings) if stored else TenantSettings()

    def clean_portal_name(self) -> str:
        """One line: the name goes into the From header of every email."""
        return _mail_checked(check_display_name, "portal_name", self.cleaned_data["portal_name"])

    def clean_sender_email(self) -> str:
        """One plain address (it is the From address and the Message-ID domain)."""
        value = self.cleaned_data.get("sender_email") or ""
        return _mail_checked(check_sender_address, "sender_email", value) if value else ""

    def clean_locale(self) -> str:
        """A language tag; empty means English."""
        value = self.cleaned_data.get("locale") or "en"
        return _mail_checked(check_language, "locale", value)

    def clean_default_region(self) -> str:
        """Country codes are stored upper case."""
        return str(self.cleaned_data["default_region"]).upper()

    def save(self, commit: bool = True) -> Any:
        """Merge the edited fields into the stored settings (other settings are kept)."""
        changes: dict[str, Any] = {}
        for name in _SETTINGS_FIELDS:
            value = self.cleaned_data.get(name)
            if name == "disabled_features":
                value = frozenset(value or ())
            elif value == "" and name in ("logo_url", "base_url", "sender_email"):
                value = None
            changes[name] = value
        settings = attrs.evolve(self._settings(), **changes)
        self.instance.settings = _converter.unstructure(settings)
        return super().save(commit=commit)


def _mail_checked(check: Any, field: str, value: str) -> str:
    try:
        return str(check(field, value))
    except InvalidInputError as exc:
        raise forms.ValidationError(exc.fields.get(field, exc.message)) from exc


@admin.register(m.TenantModel)
class TenantAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Portals: name, settings, branding and the visibility switches."""

    form = TenantForm
    list_display = ("name", "slug")
    search_fields = ("name", "slug")
    fieldsets = (
        (None, {"fields": ("slug", "name")}),
        ("Access", {"fields": ("portal_enabled", "licensed", "login_required", "guest_user_id")}),
        ("Documents and features", {"fields": ("disabled_features",)}),
        (
            "Branding",
            {
                "fields": (
                    "portal_name", "logo_url", "primary_color", "base_url", "sender_email",
                    "locale",
                )
            },
        ),
        (
            "Asset lookup",
            {"fields": ("default_region", "lookup_plates", "lookup_fold_similar", "lookup_rate")},
        ),
    )


class ScopeForm(forms.ModelForm):  # type: ignore[type-arg]
    """A new scope node: kind and parent are checked against the tree's rules."""

    kind = forms.ChoiceField(choices=[(k.value, k.value.replace("_", " ")) for k in ScopeKind])

    class Meta:
        model = m.ScopeModel
        fields = ("tenant", "kind", "name", "parent_id", "external_key")

    def clean(self) -> dict[str, Any]:
        """An organization has no parent; other nodes sit under an allowed kind of parent."""
        data: dict[str, Any] = super().clean() or {}
        if self.instance.pk:
            return data
        kind = ScopeKind(data.get("kind", ScopeKind.ORGANIZATION.value))
        parent_id = data.get("parent_id")
        tenant = data.get("tenant")
        if kind is ScopeKind.ORGANIZATION:
            if parent_id is not None:
                self.add_error("parent_id", "An organization has no parent.")
            return data
        parent = m.ScopeModel.objects.filter(pk=parent_id, tenant=tenant).first()
        if parent is None:
            self.add_error("parent_id", "Choose a node of the same portal as parent.")
        elif ScopeKind(parent.kind) not in ALLOWED_PARENTS[kind]:
            self.add_error("parent_id", f"A {kind.value} cannot sit under a {parent.kind}.")
        else:
            self.parent_path = parent.path
        return data


@admin.register(m.ScopeModel)
class ScopeAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Organizations and the scope tree below them."""

    form = ScopeForm
    list_display = ("name", "kind", "path", "external_key", "tenant")
    list_filter = ("tenant", "kind")
    search_fields = ("name", "external_key", "path")
    ordering = ("tenant", "path")

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        """Kind, parent and path are fixed once created (moves go through the staff API)."""
        return ("tenant", "kind", "parent_id", "path") if obj is not None else ("path",)

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        """A new node gets its materialized path (which holds its own id)."""
        if change:
            super().save_model(request, obj, form, change)
            return
        obj.path = "/"
        super().save_model(request, obj, form, change)
        obj.path = child_path(getattr(form, "parent_path", None), ScopeKind(obj.kind), obj.pk)
        m.ScopeModel.objects.filter(pk=obj.pk).update(path=obj.path)


class RoleForm(forms.ModelForm):  # type: ignore[type-arg]
    """A role with its permissions picked from the catalogue."""

    permissions = forms.MultipleChoiceField(
        required=False, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = m.RoleModel
        fields = ("tenant", "name", "permissions")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["permissions"].choices = _permission_choices()  # type: ignore[attr-defined]

    def clean_permissions(self) -> list[str]:
        """Stored as a sorted list, like every frozenset of the storage."""
        return sorted(set(self.cleaned_data["permissions"] or ()))


@admin.register(m.RoleModel)
class RoleAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Roles: named sets of permissions."""

    form = RoleForm
    list_display = ("name", "tenant")
    list_filter = ("tenant",)
    search_fields = ("name",)


class GroupForm(forms.ModelForm):  # type: ignore[type-arg]
    """A group with its KPI tiles as a comma-separated list."""

    kpi_keys = forms.CharField(
        required=False, help_text="KPI tiles the group sees, separated by commas."
    )

    class Meta:
        model = m.GroupModel
        fields = ("tenant", "name", "kpi_keys")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.initial["kpi_keys"] = ", ".join(self.instance.kpi_keys or ())

    def clean_kpi_keys(self) -> list[str]:
        """Split, trim and sort the keys."""
        raw = str(self.cleaned_data.get("kpi_keys") or "")
        return sorted({key.strip() for key in raw.split(",") if key.strip()})


@admin.register(m.GroupModel)
class GroupAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """User groups."""

    form = GroupForm
    list_display = ("name", "tenant")
    list_filter = ("tenant",)
    search_fields = ("name",)


@admin.register(m.UserModel)
class UserAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Portal users (customers). Passwords are set by the users themselves."""

    list_display = ("email", "name", "is_active", "is_staff", "tenant")
    list_filter = ("tenant", "is_active", "is_staff")
    search_fields = ("email", "name", "username", "external_key")
    fields = (
        "tenant", "email", "name", "username", "phone", "is_active", "is_staff",
        "external_key", "created_at",
    )
    readonly_fields = ("created_at",)
    actions = ("end_sessions", "deactivate")

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        """Emails are stored lower case; a new user gets a security stamp."""
        obj.email = str(obj.email).strip().lower()
        if not obj.security_stamp:
            obj.security_stamp = secrets.token_hex(16)
        super().save_model(request, obj, form, change)

    @admin.action(description="End every session of the selected users")
    def end_sessions(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        """Rotate the security stamps: every signed-in browser of these users is signed out,
        and their reset codes and set-password links stop working."""
        count = 0
        for user in queryset:
            with get_portal().admin(user.tenant.slug) as staff:
                staff.end_sessions(user.pk)
            count += 1
        self.message_user(request, f"Ended the sessions of {count} user(s).", messages.SUCCESS)

    @admin.action(description="Deactivate the selected users (and end their sessions)")
    def deactivate(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        """Switch users off; their sessions end at once."""
        count = 0
        for user in queryset:
            with get_portal().admin(user.tenant.slug) as staff:
                staff.set_user_active(user.pk, False)
            count += 1
        self.message_user(request, f"Deactivated {count} user(s).", messages.SUCCESS)


@admin.register(m.GrantModel)
class GrantAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Roles held by users or groups at scope nodes (use the staff API to create them)."""

    list_display = ("role_id", "scope_path", "user_id", "group_id", "tenant")
    list_filter = ("tenant",)
    search_fields = ("scope_path",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        """Grants are made with ``portal.admin().grant(...)``, which checks the scope."""
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        """Grants are revoked, not edited."""
        return False


@admin.register(m.DocumentModel)
class DocumentAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Documents (synced from the host); their kinds are switched on the portal page."""

    list_display = ("number", "kind", "status", "title", "issued_on", "scope_path", "tenant")
    list_filter = ("tenant", "kind", "status")
    search_fields = ("number", "title", "external_key")
    readonly_fields = ("scope_id", "scope_path", "external_key", "created_at")

    def has_add_permission(self, request: HttpRequest) -> bool:
        """Documents come from the host's sync."""
        return False


@admin.register(m.AssetModel)
class AssetAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Assets (synced from the host)."""

    list_display = ("number", "plate", "asset_type", "scope_path", "tenant")
    list_filter = ("tenant",)
    search_fields = ("number", "plate", "serial", "external_key")
    readonly_fields = ("scope_id", "scope_path", "number_key", "plate_key", "plate_fold")

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        """Recompute the lookup keys from the number and plate."""
        obj.number_key = normalize_identifier(obj.number)
        obj.plate_key = normalize_identifier(obj.plate) if obj.plate else None
        obj.plate_key = obj.plate_key or None
        obj.plate_fold = fold_similar(obj.plate_key) if obj.plate_key else None
        super().save_model(request, obj, form, change)

    def has_add_permission(self, request: HttpRequest) -> bool:
        """Assets come from the host's sync (``portal.upsert_assets``)."""
        return False


# Invitations and the bulk-invite action, and broadcast messages, live in their own modules.
from portalkit.contrib.django import admin_invitations, admin_messages  # noqa: E402, F401
