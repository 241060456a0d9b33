"""Django models of portalkit's capabilities beyond the core records.

Invitations and broadcast messages, share links, the default account ledger
(balances, contracts, defects), one-time codes, sessions, and customer actions (service
requests, appointment slots and appointments, meters and readings,
maintenance items, rental items and call-offs, quote decisions, idempotency
keys, action settings). Column for column they mirror the SQLAlchemy schema
(``portalkit.adapters.sqlalchemy``), in ``portalkit_dj_<name>`` tables.
"""

from __future__ import annotations

from django.db import models

from portalkit.contrib.django.models import (
    _field,
    _optional_ref,
    _optional_text,
    _ref,
    _tenant,
    _text,
)

__all__ = [
    "AccountBalanceModel",
    "ActionSettingsModel",
    "AppointmentModel",
    "CallOffModel",
    "ContractModel",
    "DefectModel",
    "IdempotencyKeyModel",
    "InvitationModel",
    "MaintenanceItemModel",
    "MessageModel",
    "MessageReadModel",
    "MeterModel",
    "MeterReadingModel",
    "OneTimeCodeModel",
    "QuoteDecisionModel",
    "RentalItemModel",
    "ServiceRequestModel",
    "SessionModel",
    "ShareLinkModel",
    "SlotModel",
]


class AccountBalanceModel(models.Model):
    """Account balance (``portalkit_dj_account_balances``)."""

    tenant = _tenant()
    organization_id = _ref()
    balance_cents = _ref()
    currency = _text()
    last_payment_cents = _optional_ref()
    last_payment_on = _field(models.DateField(null=True, blank=True))
    as_of = _field(models.DateField(null=True, blank=True))

    class Meta:
        db_table = "portalkit_dj_account_balances"
        verbose_name = "account balance"
        constraints = [  # noqa: RUF012
            models.UniqueConstraint(
                fields=["tenant", "organization_id"], name="pk_dj_account_balanc_u1"
            ),
        ]


class ActionSettingsModel(models.Model):
    """Action settings (``portalkit_dj_action_settings``)."""

    tenant = _tenant()
    data = _field(models.JSONField(default=dict, blank=True))

    class Meta:
        db_table = "portalkit_dj_action_settings"
        verbose_name = "action settings"
        constraints = [  # noqa: RUF012
            models.UniqueConstraint(fields=["tenant"], name="pk_dj_action_setting_u1"),
        ]


class AppointmentModel(models.Model):
    """Appointment (``portalkit_dj_appointments``)."""

    tenant = _tenant()
    scope_id = _ref()
    scope_path = _text()
    asset_id = _ref()
    slot_id = _ref()
    location = _text()
    starts_at = _field(models.DateTimeField())
    ends_at = _field(models.DateTimeField())
    status = _text()
    notes = _text()
    booked_by = _optional_ref()
    created_at = _field(models.DateTimeField())
    updated_at = _field(models.DateTimeField())
    cancelled_at = _field(models.DateTimeField(null=True, blank=True))

    class Meta:
        db_table = "portalkit_dj_appointments"
        verbose_name = "appointment"
        indexes = [  # noqa: RUF012
            models.Index(fields=["tenant", "scope_path"], name="pk_dj_appointments_i1"),
            models.Index(fields=["tenant", "starts_at"], name="pk_dj_appointments_i2"),
        ]


class CallOffModel(models.Model):
    """Call-off (``portalkit_dj_call_offs``)."""

    tenant = _tenant()
    rental_item_id = _ref()
    scope_path = _text()
    request_ref = _text()
    contract_number = _text()
    quantity = _ref()
    pickup_on = _field(models.DateField())
    notes = _text()
    requested_by = _optional_ref()
    created_at = _field(models.DateTimeField())

    class Meta:
        db_table = "portalkit_dj_call_offs"
        verbose_name = "call-off"
        indexes = [  # noqa: RUF012
            models.Index(fields=["tenant", "request_ref"], name="pk_dj_call_offs_i1"),
            models.Index(fields=["tenant", "scope_path"], name="pk_dj_call_offs_i2"),
        ]


class ContractModel(models.Model):
    """Contract (``portalkit_dj_contracts``)."""

    tenant = _tenant()
    organization_id = _ref()
    scope_path = _text()
    number = _text()
    status = _text()
    items_out = _ref()
    started_on = _field(models.DateField(null=True, blank=True))
    external_key = _optional_text()

    class Meta:
        db_table = "portalkit_dj_contracts"
        verbose_name = "contract"
        indexes = [  # noqa: RUF012
            models.Index(fields=["tenant", "organization_id"], name="pk_dj_contracts_i2"),
            models.Index(fields=["tenant", "scope_path"], name="pk_dj_contracts_i3"),
        ]
        constraints = [  # noqa: RUF012
            models.UniqueConstraint(fields=["tenant", "external_key"], name="pk_dj_contracts_u1"),
        ]


class DefectModel(models.Model):
    """Defect (``portalkit_dj_defects``)."""

    tenant = _tenant()
    asset_id = _ref()
    scope_path = _text()
    number = _text()
    description = _text()
    severity = _text()
    status = _text()
    reported_on = _field(models.DateField(null=True, blank=True))
    external_key = _optional_text()

    class Meta:
        db_table = "portalkit_dj_defects"
        verbose_name = "defect"
        indexes = [  # noqa: RUF012
            models.Index(fields=["tenant", "asset_id"], name="pk_dj_defects_i2"),
            models.Index(fields=["tenant", "scope_path"], name="pk_dj_defects_i3"),
        ]
        constraints = [  # noqa: RUF012
            models.UniqueConstraint(fields=["tenant", "external_key"], name="pk_dj_defects_u1"),
        ]


class IdempotencyKeyModel(models.Model):
    """Idempotency key (``portalkit_dj_idempotency_keys``)."""

    tenant = _tenant()
    owner = _text()
    key = _text()
    action = _text()
    fingerprint = _text()
    result_ref = _optional_text()
    created_at = _field(models.DateTimeField())

    class Meta:
        db_table = "portalkit_dj_idempotency_keys"
        verbose_name = "idempotency key"
        constraints = [  # noqa: RUF012
            models.UniqueConstraint(
                fields=["tenant", "owner", "key"], name="pk_dj_idempotency_ke_u1"
            ),
        ]


class InvitationModel(models.Model):
    """Invitation (``portalkit_dj_invitations``)."""

    tenant = _tenant()
    kind = _text()
    email = _text()
    contact_name = _text()
    contact_key = _optional_text()
    scope_id = _optional_ref()
    scope_path = _optional_text()
    role_id = _optional_ref()
    group_id = _optional_ref()
    user_id = _optional_ref()
    invited_by_user_id = _optional_ref()
    values = _field(models.JSONField(default=dict, blank=True))
    status = _text()
    nonce = _text()
    created_at = _field(models.DateTimeField())
    expires_at = _field(models.DateTimeField())
    unsent = _field(models.BooleanField(default=False))
    last_error = _optional_text()
    send_attempts = _ref()
    sent_at = _field(models.DateTimeField(null=True, blank=True))
    accepted_at = _field(models.DateTimeField(null=True, blank=True))
    revoked_at = _field(models.DateTimeField(null=True, blank=True))

    class Meta:
        db_table = "portalkit_dj_invitations"
        verbose_name = "invitation"
        indexes = [  # noqa: RUF012
            models.Index(fields=["tenant", "email"], name="pk_dj_invitations_i1"),
            models.Index(fields=["tenant", "status", "unsent"], name="pk_dj_invitations_i2"),
        ]


class MaintenanceItemModel(models.Model):
    """Maintenance item (``portalkit_dj_maintenance_items``)."""

    tenant = _tenant()
    asset_id = _ref()
    scope_path = _text()
    kind = _text()
    code = _text()
    description = _text()
    due_on = _field(models.DateField(null=True, blank=True))
    due_meter = _field(models.FloatField(null=True, blank=True))
    last_done_on = _field(models.DateField(null=True, blank=True))
    external_key = _optional_text()

    class Meta:
        db_table = "portalkit_dj_maintenance_items"
        verbose_name = "maintenance item"
        indexes = [  # noqa: RUF012
            models.Index(fields=["tenant", "asset_id"], name="pk_dj_maintenance_it_i2"),
            models.Index(fields=["tenant", "scope_path"], name="pk_dj_maintenance_it_i3"),
        ]
        constraints = [  # noqa: RUF012
            models.UniqueConstraint(
                fields=["tenant", "external_key"], name="pk_dj_maintenance_it_u1"
            ),
        ]


class MessageModel(models.Model):
    """Broadcast message (``portalkit_dj_messages``)."""

    tenant = _tenant()
    title = _text()
    body = _text()
    to_everyone = _field(models.BooleanField(default=False))
    group_ids = _field(models.JSONField(default=list, blank=True))
    starts_at = _field(models.DateTimeField())
    ends_at = _field(models.DateTimeField(null=True, blank=True))
    created_at = _field(models.DateTimeField())
    created_by_user_id = _optional_ref()

    class Meta:
        db_table = "portalkit_dj_messages"
        verbose_name = "broadcast message"
        indexes = [  # noqa: RUF012
            models.Index(fields=["tenant", "starts_at"], name="pk_dj_messages_i1"),
        ]

    def __str__(self) -> str:
        return str(self.title)


class MeterReadingModel(models.Model):
    """Meter reading (``portalkit_dj_meter_readings``)."""

    tenant = _tenant()
    meter_id = _ref()
    asset_id = _ref()
    scope_path = _text()
    value = _field(models.FloatField())
    unit = _text()
    read_at = _field(models.DateTimeField())
    is_replacement = _field(models.BooleanField(default=False))
    recorded_by = _optional_ref()
    created_at = _field(models.DateTimeField())

    class Meta:
        db_table = "portalkit_dj_meter_readings"
        verbose_name = "meter reading"
        indexes = [  # noqa: RUF012
            models.Index(fields=["tenant", "meter_id", "read_at"], name="pk_dj_meter_readings_i1"),
            models.Index(fields=["tenant", "scope_path"], name="pk_dj_meter_readings_i2"),
        ]


class MeterModel(models.Model):
    """Meter (``portalkit_dj_meters``)."""

    tenant = _tenant()
    asset_id = _ref()
    scope_path = _text()
    name = _text()
    unit = _text()
    last_value = _field(models.FloatField(null=True, blank=True))
    last_read_at = _field(models.DateTimeField(null=True, blank=True))
    external_key = _optional_text()

    class Meta:
        db_table = "portalkit_dj_meters"
        verbose_name = "meter"
        indexes = [  # noqa: RUF012
            models.Index(fields=["tenant", "scope_path"], name="pk_dj_meters_i3"),
        ]
        constraints = [  # noqa: RUF012
            models.UniqueConstraint(fields=["tenant", "asset_id", "name"], name="pk_dj_meters_u1"),
            models.UniqueConstraint(fields=["tenant", "external_key"], name="pk_dj_meters_u2"),
        ]


class OneTimeCodeModel(models.Model):
    """One-time code (``portalkit_dj_one_time_codes``)."""

    tenant = _tenant()
    purpose = _text()
    subject_id = _ref()
    digest = _text()
    created_at = _field(models.DateTimeField())
    expires_at = _field(models.DateTimeField())
    used_at = _field(models.DateTimeField(null=True, blank=True))
    failed_attempts = _ref()
    failures_since = _field(models.DateTimeField(null=True, blank=True))

    class Meta:
        db_table = "portalkit_dj_one_time_codes"
        verbose_name = "one-time code"
        constraints = [  # noqa: RUF012
            models.UniqueConstraint(
                fields=["tenant", "purpose", "subject_id"], name="pk_dj_one_time_codes_u1"
            ),
        ]


class SessionModel(models.Model):
    """A sign-in (``portalkit_dj_sessions``): the hash of its token, never the token."""

    tenant = _tenant()
    # A real foreign key: the session is found with its user in one join, and
    # goes when the user does.
    user = _field(models.ForeignKey(
        "UserModel", on_delete=models.CASCADE, db_column="user_id", related_name="+"
    ))
    token_hash = _text(unique=True)
    created_at = _field(models.DateTimeField())
    last_seen_at = _field(models.DateTimeField())
    label = _text(default="", blank=True)
    security_stamp = _text()

    class Meta:
        db_table = "portalkit_dj_sessions"
        verbose_name = "session"
        indexes = [  # noqa: RUF012
            models.Index(fields=["tenant", "user"], name="pk_dj_sessions_i1"),
        ]


class QuoteDecisionModel(models.Model):
    """Quote decision (``portalkit_dj_quote_decisions``)."""

    tenant = _tenant()
    document_id = _ref()
    scope_path = _text()
    decision = _text()
    signer_name = _text()
    signature = _text()
    message = _text()
    final_key = _optional_ref()
    decided_by = _optional_ref()
    decided_at = _field(models.DateTimeField())
    client_key = _optional_text()

    class Meta:
        db_table = "portalkit_dj_quote_decisions"
        verbose_name = "quote decision"
        indexes = [  # noqa: RUF012
            models.Index(fields=["tenant", "document_id"], name="pk_dj_quote_decision_i2"),
        ]
        constraints = [  # noqa: RUF012
            models.UniqueConstraint(fields=["tenant", "final_key"], name="pk_dj_quote_decision_u1"),
        ]


class RentalItemModel(models.Model):
    """Rental item (``portalkit_dj_rental_items``)."""

    tenant = _tenant()
    scope_id = _ref()
    scope_path = _text()
    contract_number = _text()
    item_number = _text()
    description = _text()
    quantity_out = _ref()
    quantity_called_off = _ref()
    quantity_returned = _ref()
    out_since = _field(models.DateField(null=True, blank=True))
    external_key = _optional_text()

    class Meta:
        db_table = "portalkit_dj_rental_items"
        verbose_name = "rental item"
        indexes = [  # noqa: RUF012
            models.Index(fields=["tenant", "scope_path"], name="pk_dj_rental_items_i2"),
        ]
        constraints = [  # noqa: RUF012
            models.UniqueConstraint(
                fields=["tenant", "external_key"], name="pk_dj_rental_items_u1"
            ),
        ]


class ServiceRequestModel(models.Model):
    """Service request (``portalkit_dj_service_requests``)."""

    tenant = _tenant()
    scope_id = _ref()
    scope_path = _text()
    kind = _text()
    status = _text()
    job_type = _text()
    description = _text()
    asset_id = _optional_ref()
    job_id = _optional_ref()
    requested_by = _optional_ref()
    created_at = _field(models.DateTimeField())
    contact_name = _optional_text()
    contact_phone = _optional_text()
    contact_email = _optional_text()

    class Meta:
        db_table = "portalkit_dj_service_requests"
        verbose_name = "service request"
        indexes = [  # noqa: RUF012
            models.Index(fields=["tenant", "asset_id"], name="pk_dj_service_reques_i1"),
            models.Index(fields=["tenant", "scope_path"], name="pk_dj_service_reques_i2"),
        ]


class ShareLinkModel(models.Model):
    """Share link (``portalkit_dj_share_links``)."""

    tenant = _tenant()
    document_id = _ref()
    recipient = _text()
    actions = _field(models.JSONField(default=list, blank=True))
    secret_hash = _text()
    created_by = _ref()
    created_by_staff = _field(models.BooleanField(default=False))
    created_at = _field(models.DateTimeField())
    expires_at = _field(models.DateTimeField())
    revoked_at = _field(models.DateTimeField(null=True, blank=True))

    class Meta:
        db_table = "portalkit_dj_share_links"
        verbose_name = "share link"
        indexes = [  # noqa: RUF012
            models.Index(fields=["tenant", "document_id"], name="pk_dj_share_links_i2"),
        ]
        constraints = [  # noqa: RUF012
            models.UniqueConstraint(fields=["secret_hash"], name="pk_dj_share_links_u1"),
        ]


class SlotModel(models.Model):
    """Appointment slot (``portalkit_dj_slots``)."""

    tenant = _tenant()
    location = _text()
    starts_at = _field(models.DateTimeField())
    ends_at = _field(models.DateTimeField())
    capacity = _ref()
    booked = _ref()

    class Meta:
        db_table = "portalkit_dj_slots"
        verbose_name = "appointment slot"
        constraints = [  # noqa: RUF012
            models.UniqueConstraint(
                fields=["tenant", "location", "starts_at"], name="pk_dj_slots_u1"
            ),
        ]


class MessageReadModel(models.Model):
    """Message read (``portalkit_dj_message_reads``)."""

    tenant = _tenant()
    message_id = _ref()
    user_id = _ref()
    read_at = _field(models.DateTimeField())

    class Meta:
        db_table = "portalkit_dj_message_reads"
        verbose_name = "message read"
        constraints = [  # noqa: RUF012
            models.UniqueConstraint(
                fields=["tenant", "message_id", "user_id"], name="pk_dj_message_reads_u1"
            ),
        ]
