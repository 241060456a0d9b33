"""Ports for what the host and the infrastructure provide: time, mail, tokens,
the host's documents, accounts and KPIs, and password hashing.

:mod:`portalkit.ports` documents and re-exports them; import them from there.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Sequence
from email.message import EmailMessage
from typing import Protocol

import attrs

from portalkit.domain.accounts import AccountBalance, Contract, ItemOut
from portalkit.domain.records import Document


class Clock(Protocol):
    """Where time comes from; tests pass a fixed or stepping clock."""

    def now(self) -> dt.datetime:
        """The current time, timezone-aware, in UTC."""
        ...


class Mailer(Protocol):
    """Sends one email message; raises on failure."""

    def send(self, message: EmailMessage) -> None:
        """Deliver *message* (its To/From/Subject headers are set)."""
        ...


class TokenPurpose(str, enum.Enum):
    """What a signed token is for; each purpose signs with its own salt.

    A token made for one purpose never verifies for another.
    """

    INVITE = "invite"
    RESET = "reset"
    DOWNLOAD = "download"
    EMAIL_PROOF = "email-proof"
    SHARE = "share"


@attrs.frozen
class TokenClaims:
    """What a verified token says: an opaque record id, a nonce, when it was signed.

    Tokens carry nothing else (no email, phone or name); the record they point
    to decides the rest, and a changed nonce kills every older token.
    """

    id: int
    nonce: str
    signed_at: dt.datetime


class TokenSigner(Protocol):
    """Signs and verifies expiring, purpose-bound tokens (links in emails)."""

    def sign(self, purpose: TokenPurpose, id: int, nonce: str) -> str:
        """A URL-safe token for record *id* with *nonce*, dated now."""
        ...

    def verify(
        self, purpose: TokenPurpose, token: str, *, max_age: dt.timedelta | None = None
    ) -> TokenClaims:
        """The token's claims; raise InvalidTokenError or TokenExpiredError.

        *max_age* shortens the purpose's configured lifetime; it never lengthens it.
        """
        ...


class DocumentSource(Protocol):
    """Gives the bytes of a document's file (the host owns the PDFs)."""

    def read(self, document: Document) -> bytes:
        """The file's content; raise :class:`~portalkit.errors.NotFoundError` if none."""
        ...


class AccountSource(Protocol):
    """The host's ledger and rentals for one organization (seed 004).

    The host's ERP owns these; portalkit decides who may see them. The
    SQL-backed default (:class:`portalkit._services.accounts.StoredAccountSource`)
    reads portalkit's own tables, which the demo fills.
    """

    def balance(self, tenant_id: int, organization_id: int) -> AccountBalance | None:
        """The organization's balance and last payment, or None if unknown."""
        ...

    def contracts(self, tenant_id: int, organization_id: int) -> Sequence[Contract]:
        """The organization's rental contracts."""
        ...

    def items_out(self, tenant_id: int, organization_id: int) -> Sequence[ItemOut]:
        """The items the organization has on rent."""
        ...


class KpiSource(Protocol):
    """The figures behind KPI/report tiles (seed 001); the host computes them."""

    def values(
        self, tenant_id: int, keys: frozenset[str], scope_paths: Sequence[str]
    ) -> dict[str, int | float | str | None]:
        """The value of each of *keys* over the records under *scope_paths*."""
        ...


class PasswordHasher(Protocol):
    """Hashes and verifies passwords (``portalkit.adapters.crypto.Argon2idHasher``)."""

    def hash(self, password: str) -> str:
        """A new encoded hash of *password* with a fresh salt."""
        ...

    def verify(self, encoded: str, password: str) -> bool:
        """True if *password* matches *encoded* (False for a broken hash)."""
        ...

    def verify_dummy(self, password: str) -> bool:
        """Cost exactly one verification and return False (the no-such-user path)."""
        ...

    def needs_rehash(self, encoded: str) -> bool:
        """True if *encoded* was made with other parameters than new hashes get."""
        ...
