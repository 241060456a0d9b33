"""Customer actions: requests, slots, appointments, meters, readings, maintenance items,
rental items, call-offs, quote decisions, idempotency keys, action settings.

Types are spelled out here (not imported from portalkit) so this revision
never changes when the code does.

Revision ID: 0005_actions
Revises: 0003_invitations
Create Date: 2026-11-26 14:40:00
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
STR = sa.String().with_variant(sa.String(collation="C"), "postgresql")
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
INT = sa.BigInteger()

revision: str = "0005_actions"
down_revision: str | None = "0003_invitations"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _common(table: str) -> list[Any]:
    return [
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("tenant_id", ID, nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["portalkit_tenants.id"],
            name=op.f(f"fk_{table}_tenant_id_portalkit_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{table}")),
    ]


def _index(table: str, *columns: str) -> None:
    op.create_index(op.f(f"ix_{table}_{'_'.join(columns)}"), table, list(columns), unique=False)


def _unique(table: str, *columns: str) -> sa.UniqueConstraint:
    return sa.UniqueConstraint(*columns, name=op.f(f"uq_{table}_{'_'.join(columns)}"))


def upgrade() -> None:
    """Apply this revision."""
    t = "portalkit_service_requests"
    op.create_table(
        t,
        *_common(t),
        sa.Column("scope_id", ID, nullable=False),
        sa.Column("scope_path", STR, nullable=False),
        sa.Column("kind", STR, nullable=False),
        sa.Column("status", STR, nullable=False),
        sa.Column("job_type", STR, nullable=False),
        sa.Column("description", STR, nullable=False),
        sa.Column("asset_id", ID, nullable=True),
        sa.Column("job_id", ID, nullable=True),
        sa.Column("requested_by", ID, nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
    )
    _index(t, "tenant_id", "scope_path")
    _index(t, "tenant_id", "asset_id")

    t = "portalkit_slots"
    op.create_table(
        t,
        *_common(t),
        sa.Column("location", STR, nullable=False),
        sa.Column("starts_at", sa.DateTime(), nullable=False),
        sa.Column("ends_at", sa.DateTime(), nullable=False),
        sa.Column("capacity", INT, nullable=False),
        sa.Column("booked", INT, nullable=False),
        _unique(t, "tenant_id", "location", "starts_at"),
    )

    t = "portalkit_appointments"
    op.create_table(
        t,
        *_common(t),
        sa.Column("scope_id", ID, nullable=False),
        sa.Column("scope_path", STR, nullable=False),
        sa.Column("asset_id", ID, nullable=False),
        sa.Column("slot_id", ID, nullable=False),
        sa.Column("location", STR, nullable=False),
        sa.Column("starts_at", sa.DateTime(), nullable=False),
        sa.Column("ends_at", sa.DateTime(), nullable=False),
        sa.Column("status", STR, nullable=False),
        sa.Column("notes", STR, nullable=False),
        sa.Column("booked_by", ID, nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("cancelled_at", sa.DateTime(), nullable=True),
    )
    _index(t, "tenant_id", "scope_path")
    _index(t, "tenant_id", "starts_at")

    t = "portalkit_meters"
    op.create_table(
        t,
        *_common(t),
        sa.Column("asset_id", ID, nullable=False),
        sa.Column("scope_path", STR, nullable=False),
        sa.Column("name", STR, nullable=False),
        sa.Column("unit", STR, nullable=False),
        sa.Column("last_value", sa.Double(), nullable=True),
        sa.Column("last_read_at", sa.DateTime(), nullable=True),
        sa.Column("external_key", STR, nullable=True),
        _unique(t, "tenant_id", "asset_id", "name"),
        _unique(t, "tenant_id", "external_key"),
    )
    _index(t, "tenant_id", "scope_path")

    t = "portalkit_meter_readings"
    op.create_table(
        t,
        *_common(t),
        sa.Column("meter_id", ID, nullable=False),
        sa.Column("asset_id", ID, nullable=False),
        sa.Column("scope_path", STR, nullable=False),
        sa.Column("value", sa.Double(), nullable=False),
        sa.Column("unit", STR, nullable=False),
        sa.Column("read_at", sa.DateTime(), nullable=False),
        sa.Column("is_replacement", sa.Boolean(), nullable=False),
        sa.Column("recorded_by", ID, nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
    )
    _index(t, "tenant_id", "meter_id", "read_at")
    _index(t, "tenant_id", "scope_path")

    t = "portalkit_maintenance_items"
    op.create_table(
        t,
        *_common(t),
        sa.Column("asset_id", ID, nullable=False),
        sa.Column("scope_path", STR, nullable=False),
        sa.Column("kind", STR, nullable=False),
        sa.Column("code", STR, nullable=False),
        sa.Column("description", STR, nullable=False),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column("due_meter", sa.Double(), nullable=True),
        sa.Column("last_done_on", sa.Date(), nullable=True),
        sa.Column("external_key", STR, nullable=True),
        _unique(t, "tenant_id", "external_key"),
    )
    _index(t, "tenant_id", "asset_id")
    _index(t, "tenant_id", "scope_path")

    t = "portalkit_rental_items"
    op.create_table(
        t,
        *_common(t),
        sa.Column("scope_id", ID, nullable=False),
        sa.Column("scope_path", STR, nullable=False),
        sa.Column("contract_number", STR, nullable=False),
        sa.Column("item_number", STR, nullable=False),
        sa.Column("description", STR, nullable=False),
        sa.Column("quantity_out", INT, nullable=False),
        sa.Column("quantity_called_off", INT, nullable=False),
        sa.Column("quantity_returned", INT, nullable=False),
        sa.Column("out_since", sa.Date(), nullable=True),
        sa.Column("external_key", STR, nullable=True),
        _unique(t, "tenant_id", "external_key"),
    )
    _index(t, "tenant_id", "scope_path")

    t = "portalkit_call_offs"
    op.create_table(
        t,
        *_common(t),
        sa.Column("rental_item_id", ID, nullable=False),
        sa.Column("scope_path", STR, nullable=False),
        sa.Column("request_ref", STR, nullable=False),
        sa.Column("contract_number", STR, nullable=False),
        sa.Column("quantity", INT, nullable=False),
        sa.Column("pickup_on", sa.Date(), nullable=False),
        sa.Column("notes", STR, nullable=False),
        sa.Column("requested_by", ID, nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
    )
    _index(t, "tenant_id", "request_ref")
    _index(t, "tenant_id", "scope_path")

    t = "portalkit_quote_decisions"
    op.create_table(
        t,
        *_common(t),
        sa.Column("document_id", ID, nullable=False),
        sa.Column("scope_path", STR, nullable=False),
        sa.Column("decision", STR, nullable=False),
        sa.Column("signer_name", STR, nullable=False),
        sa.Column("signature", STR, nullable=False),
        sa.Column("message", STR, nullable=False),
        sa.Column("final_key", ID, nullable=True),
        sa.Column("decided_by", ID, nullable=True),
        sa.Column("decided_at", sa.DateTime(), nullable=False),
        sa.Column("client_key", STR, nullable=True),
        _unique(t, "tenant_id", "final_key"),
    )
    _index(t, "tenant_id", "document_id")

    t = "portalkit_idempotency_keys"
    op.create_table(
        t,
        *_common(t),
        sa.Column("owner", STR, nullable=False),
        sa.Column("key", STR, nullable=False),
        sa.Column("action", STR, nullable=False),
        sa.Column("fingerprint", STR, nullable=False),
        sa.Column("result_ref", STR, nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        _unique(t, "tenant_id", "owner", "key"),
    )

    t = "portalkit_action_settings"
    op.create_table(
        t,
        *_common(t),
        sa.Column("data", JSON, nullable=False),
        _unique(t, "tenant_id"),
    )


def downgrade() -> None:
    """Revert this revision."""
    for table in (
        "portalkit_action_settings",
        "portalkit_idempotency_keys",
        "portalkit_quote_decisions",
        "portalkit_call_offs",
        "portalkit_rental_items",
        "portalkit_maintenance_items",
        "portalkit_meter_readings",
        "portalkit_meters",
        "portalkit_appointments",
        "portalkit_slots",
        "portalkit_service_requests",
    ):
        op.drop_table(table)
