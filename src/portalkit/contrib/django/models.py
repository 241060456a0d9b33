"""Django models for portalkit's storage: one model per core entity.

Tables are called ``portalkit_dj_<name>``, so they never collide with the
SQLAlchemy adapter's ``portalkit_<name>`` tables in a shared database. The
columns mirror the entities of :mod:`portalkit.domain` field by field (the
storage adapter reads and writes them by name); ids of other records are plain
integers, as in the SQLAlchemy schema, except the tenant, a foreign key.

Staff edit these rows in the Django admin; everything else goes through the
:class:`~portalkit.Portal` services, which use
:class:`~portalkit.contrib.django.storage.DjangoStorage`.
"""

from __future__ import annotations

from typing import Any

from django.db import models

from portalkit.contrib.django.fields import CText

__all__ = [
    "AssetModel",
    "AuditModel",
    "CustomerModel",
    "DocumentModel",
    "GrantModel",
    "GroupModel",
    "JobModel",
    "MailQueueModel",
    "MembershipModel",
    "OutboxModel",
    "RoleModel",
    "ScopeModel",
    "TenantModel",
    "ThrottleModel",
    "UserModel",
]


def _tenant() -> Any:
    return models.ForeignKey(
        "TenantModel", on_delete=models.CASCADE, db_column="tenant_id", related_name="+"
    )


def _text(**kw: Any) -> Any:
    return CText(**kw)


def _optional_text() -> Any:
    return CText(null=True, blank=True)


def _field(field: models.Field[Any, Any]) -> Any:
    """*field*, typed loosely (the model's attribute types are the entities' business)."""
    return field


def _ref() -> Any:
    return models.BigIntegerField()


def _optional_ref() -> Any:
    return models.BigIntegerField(null=True, blank=True)


class TenantModel(models.Model):
    """A business that runs a portal; its settings are one JSON document."""

    slug = _text(unique=True)
    name = _text()
    settings = _field(models.JSONField(default=dict))

    class Meta:
        db_table = "portalkit_dj_tenants"
        verbose_name = "portal"

    def __str__(self) -> str:
        return f"{self.name} ({self.slug})"


class ScopeModel(models.Model):
    """A node of the scope tree (organization, division, site …) with its path."""

    tenant = _tenant()
    kind = _text()
    name = _text()
    path = _text()
    parent_id = _optional_ref()
    external_key = _optional_text()

    class Meta:
        db_table = "portalkit_dj_scopes"
        verbose_name = "scope"
        indexes = [  # noqa: RUF012
            models.Index(fields=["tenant", "path"], name="pk_dj_scopes_path"),
            models.Index(fields=["tenant", "parent_id"], name="pk_dj_scopes_parent"),
        ]
        constraints = [  # noqa: RUF012
            models.UniqueConstraint(fields=["tenant", "external_key"], name="pk_dj_scopes_key"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.path})"


class UserModel(models.Model):
    """A portal user (not a Django user: customers never get a Django account)."""

    tenant = _tenant()
    email = _text()
    name = _text()
    username = _optional_text()
    phone = _optional_text()
    is_active = _field(models.BooleanField(default=True))
    is_staff = _field(models.BooleanField(default=False))
    password_hash = _optional_text()
    security_stamp = _text(default="", blank=True)
    external_key = _optional_text()
    created_at = _field(models.DateTimeField(null=True, blank=True))

    class Meta:
        db_table = "portalkit_dj_users"
        verbose_name = "portal user"
        constraints = [  # noqa: RUF012
            models.UniqueConstraint(fields=["tenant", "email"], name="pk_dj_users_email"),
            models.UniqueConstraint(fields=["tenant", "username"], name="pk_dj_users_username"),
            models.UniqueConstraint(fields=["tenant", "external_key"], name="pk_dj_users_key"),
        ]

    def __str__(self) -> str:
        return str(self.email)


class RoleModel(models.Model):
    """A role: a named set of permissions (a JSON list)."""

    tenant = _tenant()
    name = _text()
    permissions = _field(models.JSONField(default=list, blank=True))

    class Meta:
        db_table = "portalkit_dj_roles"
        verbose_name = "role"
        constraints = [  # noqa: RUF012
            models.UniqueConstraint(fields=["tenant", "name"], name="pk_dj_roles_name"),
        ]

    def __str__(self) -> str:
        return str(self.name)


class GroupModel(models.Model):
    """A user group with the KPI tiles it may see (a JSON list)."""

    tenant = _tenant()
    name = _text()
    kpi_keys = _field(models.JSONField(default=list, blank=True))

    class Meta:
        db_table = "portalkit_dj_groups"
        verbose_name = "group"
        constraints = [  # noqa: RUF012
            models.UniqueConstraint(fields=["tenant", "name"], name="pk_dj_groups_name"),
        ]

    def __str__(self) -> str:
        return str(self.name)


class MembershipModel(models.Model):
    """A user's membership of a group."""

    tenant = _tenant()
    group_id = _ref()
    user_id = _ref()

    class Meta:
        db_table = "portalkit_dj_memberships"
        verbose_name = "membership"
        indexes = [  # noqa: RUF012
            models.Index(fields=["tenant", "user_id"], name="pk_dj_memberships_user"),
        ]
        constraints = [  # noqa: RUF012
            models.UniqueConstraint(
                fields=["tenant", "group_id", "user_id"], name="pk_dj_memberships_pair"
            ),
        ]


class GrantModel(models.Model):
    """A role held by a user or a group at a scope node (and its subtree)."""

    tenant = _tenant()
    role_id = _ref()
    scope_id = _ref()
    scope_path = _text()
    user_id = _optional_ref()
    group_id = _optional_ref()

    class Meta:
        db_table = "portalkit_dj_grants"
        verbose_name = "grant"
        indexes = [  # noqa: RUF012
            models.Index(fields=["tenant", "scope_path"], name="pk_dj_grants_path"),
            models.Index(fields=["tenant", "user_id"], name="pk_dj_grants_user"),
            models.Index(fields=["tenant", "group_id"], name="pk_dj_grants_group"),
        ]


class AssetModel(models.Model):
    """An asset, looked up by its normalized number or plate."""

    tenant = _tenant()
    scope_id = _ref()
    scope_path = _text()
    number = _text()
    number_key = _text()
    plate = _optional_text()
    plate_key = _optional_text()
    plate_fold = _optional_text()
    region = _optional_text()
    external_key = _optional_text()
    asset_type = _text(default="", blank=True)
    description = _text(default="", blank=True)
    model = _text(default="", blank=True)
    serial = _text(default="", blank=True)
    customer_ref = _text(default="", blank=True)
    last_test_number = _optional_text()
    last_test_date = _field(models.DateField(null=True, blank=True))

    class Meta:
        db_table = "portalkit_dj_assets"
        verbose_name = "asset"
        indexes = [  # noqa: RUF012
            models.Index(fields=["tenant", "scope_path"], name="pk_dj_assets_path"),
            models.Index(fields=["tenant", "number_key"], name="pk_dj_assets_number"),
            models.Index(fields=["tenant", "plate_key"], name="pk_dj_assets_plate"),
            models.Index(fields=["tenant", "plate_fold"], name="pk_dj_assets_fold"),
        ]
        constraints = [  # noqa: RUF012
            models.UniqueConstraint(fields=["tenant", "external_key"], name="pk_dj_assets_key"),
        ]

    def __str__(self) -> str:
        return str(self.number)


class DocumentModel(models.Model):
    """A document (quote, invoice, report …)."""

    tenant = _tenant()
    scope_id = _ref()
    scope_path = _text()
    kind = _text()
    status = _text()
    number = _text()
    title = _text(default="", blank=True)
    issued_on = _field(models.DateField(null=True, blank=True))
    total_cents = _field(models.BigIntegerField(null=True, blank=True))
    currency = _optional_text()
    filename = _optional_text()
    content_type = _text(default="application/pdf")
    external_key = _optional_text()
    created_at = _field(models.DateTimeField(null=True, blank=True))

    class Meta:
        db_table = "portalkit_dj_documents"
        verbose_name = "document"
        indexes = [  # noqa: RUF012
            models.Index(fields=["tenant", "scope_path"], name="pk_dj_documents_path"),
        ]
        constraints = [  # noqa: RUF012
            models.UniqueConstraint(
                fields=["tenant", "external_key"], name="pk_dj_documents_key"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.number}"


class JobModel(models.Model):
    """A job or work order at a site."""

    tenant = _tenant()
    scope_id = _ref()
    scope_path = _text()
    number = _text()
    status = _text()
    job_type = _text(default="", blank=True)
    scheduled_on = _field(models.DateField(null=True, blank=True))
    site_address = _text(default="", blank=True)
    notes = _text(default="", blank=True)
    po_number = _text(default="", blank=True)
    asset_id = _optional_ref()
    external_key = _optional_text()
    created_at = _field(models.DateTimeField(null=True, blank=True))

    class Meta:
        db_table = "portalkit_dj_jobs"
        verbose_name = "job"
        indexes = [  # noqa: RUF012
            models.Index(fields=["tenant", "scope_path"], name="pk_dj_jobs_path"),
        ]
        constraints = [  # noqa: RUF012
            models.UniqueConstraint(fields=["tenant", "external_key"], name="pk_dj_jobs_key"),
        ]

    def __str__(self) -> str:
        return str(self.number)


class CustomerModel(models.Model):
    """The host's customer account behind an organization."""

    tenant = _tenant()
    organization_id = _ref()
    external_key = _text()
    name = _text()
    phone = _optional_text()
    email = _optional_text()
    postal_code = _optional_text()
    country = _text(default="US")
    portal_enabled = _field(models.BooleanField(default=False))
    is_account = _field(models.BooleanField(default=True))
    contract_count = _field(models.BigIntegerField(default=0))
    quote_count = _field(models.BigIntegerField(default=0))

    class Meta:
        db_table = "portalkit_dj_customers"
        verbose_name = "customer"
        indexes = [  # noqa: RUF012
            models.Index(fields=["tenant", "organization_id"], name="pk_dj_customers_org"),
        ]
        constraints = [  # noqa: RUF012
            models.UniqueConstraint(
                fields=["tenant", "external_key"], name="pk_dj_customers_key"
            ),
        ]

    def __str__(self) -> str:
        return str(self.name)


class AuditModel(models.Model):
    """One audit entry."""

    tenant = _tenant()
    at = _field(models.DateTimeField())
    action = _text()
    outcome = _text()
    actor_user_id = _optional_ref()
    target = _optional_text()
    scope_path = _optional_text()
    client_key = _optional_text()
    detail = _field(models.JSONField(default=dict))

    class Meta:
        db_table = "portalkit_dj_audit"
        verbose_name = "audit entry"
        verbose_name_plural = "audit entries"
        indexes = [  # noqa: RUF012
            models.Index(fields=["tenant", "scope_path"], name="pk_dj_audit_path"),
            models.Index(fields=["tenant", "at"], name="pk_dj_audit_at"),
            models.Index(
                fields=["tenant", "actor_user_id", "action", "id"], name="pk_dj_audit_actor"
            ),
        ]


class OutboxModel(models.Model):
    """An event waiting for the host."""

    tenant = _tenant()
    topic = _text()
    payload = _field(models.JSONField(default=dict))
    created_at = _field(models.DateTimeField())
    delivered_at = _field(models.DateTimeField(null=True, blank=True))

    class Meta:
        db_table = "portalkit_dj_outbox"
        verbose_name = "outbox event"
        indexes = [  # noqa: RUF012
            models.Index(fields=["delivered_at", "id"], name="pk_dj_outbox_pending"),
        ]


class MailQueueModel(models.Model):
    """A composed message waiting to be sent (portalkit.domain.mail_queue)."""

    tenant = _tenant()
    message = _text()
    to = _text()
    message_id = _text()
    subject = _text()
    created_at = _field(models.DateTimeField())
    next_attempt_at = _field(models.DateTimeField())
    expires_at = _field(models.DateTimeField(null=True, blank=True))
    attempts = _field(models.BigIntegerField(default=0))
    sent_at = _field(models.DateTimeField(null=True, blank=True))
    failed_at = _field(models.DateTimeField(null=True, blank=True))
    last_error = _optional_text()

    class Meta:
        db_table = "portalkit_dj_mail_queue"
        verbose_name = "queued mail"
        verbose_name_plural = "queued mail"
        indexes = [  # noqa: RUF012
            models.Index(
                fields=["sent_at", "failed_at", "next_attempt_at"], name="pk_dj_mail_queue_due"
            ),
        ]


class ThrottleModel(models.Model):
    """Failure counters of one throttle key (sign-in, lookups …), shared by every worker."""

    key = _text(unique=True)
    failures = _field(models.BigIntegerField(default=0))
    window_start = _field(models.DateTimeField(null=True))
    last_failure = _field(models.DateTimeField(null=True))

    class Meta:
        db_table = "portalkit_dj_throttle"
        verbose_name = "throttle counter"


# The capability models register with this app when the app's models load.
from portalkit.contrib.django import capability_models, second_factor_models  # noqa: E402, F401
