"""The identity storage ports: one-time codes, server-side sessions and second factors.

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
from portalkit.domain.second_factors import RecoveryCode, TotpFactor
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


class SecondFactorRepository(Protocol):
    """A user's authenticator app (:class:`TotpFactor`, at most one) and recovery codes.

    Every method is limited to one tenant and one user.
    """

    def totp(self, tenant_id: int, user_id: int) -> TotpFactor | None:
        """The user's authenticator app, confirmed or pending, or None."""
        ...

    def add_totp(self, factor: TotpFactor) -> TotpFactor:
        """Insert the user's factor (its ``id`` is ignored); the stored copy.

        Raises:
            ConflictError: The user has a factor already (a concurrent unit
                inserted it first); the unit of work stays usable.
        """
        ...

    def update_totp(self, factor: TotpFactor) -> None:
        """Replace the stored factor with the same tenant and id.

        Raises:
            NotFoundError: There is no such factor.
        """
        ...

    def use_step(self, tenant_id: int, factor_id: int, step: int) -> bool:
        """Record *step* as used if it is later than the last used one.

        One conditional UPDATE: of concurrent callers with the same code at
        most one gets True, so a code is accepted once.
        """
        ...

    def delete_totp(self, tenant_id: int, user_id: int) -> int:
        """Remove the user's factor; how many rows went (0 or 1)."""
        ...

    def replace_recovery_codes(
        self, tenant_id: int, user_id: int, codes: Sequence[RecoveryCode]
    ) -> None:
        """Delete every recovery code of the user and store *codes* instead."""
        ...

    def use_recovery_code(
        self, tenant_id: int, user_id: int, digests: Sequence[str], *, now: dt.datetime
    ) -> bool:
        """Mark the user's unused code whose digest is one of *digests* used.

        One conditional UPDATE: of concurrent uses of one code, one gets True.
        """
        ...

    def recovery_codes_left(self, tenant_id: int, user_id: int) -> int:
        """How many unused recovery codes the user has."""
        ...


class SecretBox(Protocol):
    """Authenticated encryption of small secrets at rest, with the portal's keys.

    ``seal`` encrypts with the newest key; ``open`` decrypts with any
    configured key, so rotating keys keeps stored secrets readable.
    """

    def seal(self, plaintext: bytes, context: str) -> str:
        """*plaintext* encrypted and bound to *context* (it opens only with the same)."""
        ...

    def open(self, sealed: str, context: str) -> bytes:
        """The plaintext of *sealed*.

        Raises:
            InvalidTokenError: No configured key opens it with *context*.
        """
        ...


class TotpAlgorithm(Protocol):
    """RFC 6238 time-based one-time passwords: secrets, codes, enrolment URIs and QR codes."""

    def new_secret(self) -> str:
        """A fresh random shared secret (base32 text, at least 160 bits)."""
        ...

    def code_at(self, secret: str, step: int) -> str:
        """The code of *secret* at time step *step*."""
        ...

    def uri(self, secret: str, *, account: str, issuer: str) -> str:
        """The ``otpauth://totp/…`` URI an authenticator app scans."""
        ...

    def qr_svg(self, uri: str) -> str:
        """A QR code of *uri*, as an inline SVG document."""
        ...
