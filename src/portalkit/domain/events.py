"""Audit entries and outbox events: what happened, for people and for the host."""

from __future__ import annotations

import datetime as dt
from typing import Any

import attrs

__all__ = ["AuditEntry", "OutboxEvent"]


@attrs.frozen(kw_only=True)
class AuditEntry:
    """One audited action: who, what, when, from where, and the outcome.

    Never holds a secret, password or token.
    """

    id: int
    tenant_id: int
    at: dt.datetime
    action: str
    outcome: str
    actor_user_id: int | None = None
    target: str | None = None
    scope_path: str | None = None
    client_key: str | None = None
    detail: dict[str, str] = attrs.field(factory=dict)


@attrs.frozen(kw_only=True)
class OutboxEvent:
    """A domain event for the host, stored in the same transaction as its cause."""

    id: int
    tenant_id: int
    topic: str
    payload: dict[str, Any]
    created_at: dt.datetime
    delivered_at: dt.datetime | None = None
