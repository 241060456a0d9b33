"""The identity storage ports: one-time codes and server-side sessions.

:mod:`portalkit.ports` documents and re-exports them; import them from there.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Protocol

from portalkit.domain.identity import (
    CodePurpose,
    OneTimeCode,
)
from portalkit.domain.principals import User
from portalkit.domain.sessions import Session
from portalkit.domain.tenants import Tenant


class OneTimeCodeRepository(Protocol):
    """Password-reset and email-proof codes: at most one per tenant, purpose and subject."""

    def get_for(
        self, tenant_id: int, purpose: CodePurpose, subject_id: int
    ) -> OneTimeCode | None:
        """The subject's current code, or None."""
        ...

    def add(self, code: OneTimeCode) -> OneTimeCode:
        """Insert the subject's first code (its ``id`` is ignored); the stored copy.

        Raises:
            ConflictError: The subject has a code already (a concurrent unit
                inserted it first); the unit of work stays usable.
        """
        ...

    def update(self, code: OneTimeCode) -> None:
        """Replace the stored code with the same tenant and id.

        Raises:
            NotFoundError: There is no such code.
        """
        ...

    def consume(
        self,
        tenant_id: int,
        purpose: CodePurpose,
        subject_id: int,
        digest: str,
        *,
        now: dt.datetime,
        max_attempts: int,
    ) -> bool:
        """Mark the code used if *digest* matches, it is unused, unexpired and not locked.

        One conditional update: of concurrent callers, at most one gets True.
        """
        ...

    def record_failure(
        self,
        tenant_id: int,
        purpose: CodePurpose,
        subject_id: int,
        *,
        now: dt.datetime,
        max_attempts: int,
    ) -> bool:
        """Count one wrong guess (atomically); False if the limit was already reached."""
        ...


class SessionRepository(Protocol):
    """Server-side sessions (:class:`~portalkit.domain.sessions.Session`), one per sign-in.

    Every method is limited to one tenant; a session is found by the hash of
    its token, never by the token.
    """

    def add(self, session: Session) -> Session:
        """Store a new session; its ``id`` is ignored and the stored copy returned."""
        ...

    def find_with_user(self, tenant_id: int, token_hash: str) -> tuple[Session, User] | None:
        """The session with *token_hash* in this tenant and its user, in ONE statement
        (a join), or None (unknown hash, another tenant's, or the user is gone)."""
        ...

    def find_with_tenant(
        self, slug: str, token_hash: str
    ) -> tuple[Tenant, tuple[Session, User] | None] | None:
        """The tenant named *slug* and, in the same read, its session with
        *token_hash* and that session's user (a request's first read); None
        when there is no such tenant."""
        ...

    def for_user(self, tenant_id: int, user_id: int) -> list[Session]:
        """Every stored session of the user (live or not), oldest first."""
        ...

    def touch(
        self,
        tenant_id: int,
        session_id: int,
        *,
        now: dt.datetime,
        seen_by: dt.datetime,
        seen_after: dt.datetime,
    ) -> bool:
        """Set ``last_seen_at`` to *now* if it is at or before *seen_by* and after
        *seen_after*: one conditional UPDATE, so of concurrent callers at most
        one writes; True if it did."""
        ...

    def delete(self, tenant_id: int, user_id: int, ids: Sequence[int]) -> int:
        """Delete those of *ids* that are sessions of this user; how many were."""
        ...

    def delete_for_user(self, tenant_id: int, user_id: int) -> int:
        """Delete every session of the user; how many there were."""
        ...

    def delete_expired(
        self, tenant_id: int, *, seen_by: dt.datetime, created_by: dt.datetime
    ) -> int:
        """Delete the tenant's sessions last seen at or before *seen_by* or created
        at or before *created_by* (idle or too old: they can never be used
        again); how many there were."""
        ...
