"""Service requests keep how to reach whoever asked: a contact name, phone and email.

A guest (guest mode) gives them with the request; a signed-in user may.
Types are spelled out here (not imported from portalkit) so this revision
never changes when the code does.

Revision ID: 0009_request_contacts
Revises: 0008_mail_queue
Create Date: 2026-12-07 23:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

STR = sa.String().with_variant(sa.String(collation="C"), "postgresql")

revision: str = "0009_request_contacts"
down_revision: str | None = "0008_mail_queue"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_COLUMNS = ("contact_name", "contact_phone", "contact_email")


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("portalkit_service_requests") as batch:
        for name in _COLUMNS:
            batch.add_column(sa.Column(name, STR, nullable=True))


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("portalkit_service_requests") as batch:
        for name in reversed(_COLUMNS):
            batch.drop_column(name)
