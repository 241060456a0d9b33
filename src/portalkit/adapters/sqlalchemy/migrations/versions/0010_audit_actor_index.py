"""An index of the audit trail by actor and action: a user's last sign-in, at once.

Revision ID: 0010_audit_actor_index
Revises: 0009_request_contacts
Create Date: 2026-12-07 23:45:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0010_audit_actor_index"
down_revision: str | None = "0009_request_contacts"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEX = "ix_portalkit_audit_tenant_id_actor_user_id_action_id"


def upgrade() -> None:
    """Apply this revision."""
    op.create_index(
        op.f(INDEX), "portalkit_audit", ["tenant_id", "actor_user_id", "action", "id"],
        unique=False,
    )


def downgrade() -> None:
    """Revert this revision."""
    op.drop_index(op.f(INDEX), table_name="portalkit_audit")
