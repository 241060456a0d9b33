"""The audit trail: record what happened, and query it.

Every service records through :func:`record` inside its own unit of work, so
an action and its audit entry commit together. Outcomes that roll the unit back
(a denied access, a failed sign-in) are recorded with :func:`record_now`, which
commits in a unit of its own.

An entry says who (``actor_user_id``), in which tenant, what (``action``, a
dotted name such as ``"appointment.book"``), on what (``target``, e.g.
``"asset:12"``, and ``scope_path``), when (``at``), from where (``client_key``:
an IP address or client identifier the host passes) and the ``outcome``.

Secrets never reach storage: :func:`sanitize` drops every detail whose key
names a secret (password, token, secret, code, signature …) and masks every
value that looks like a token or a password hash, whatever its key.

Staff (or the host) read the trail with :class:`AuditTrail`: by user,
organization, action, outcome and time range, newest first, a page at a time.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping, Sequence

import attrs

from portalkit.domain.events import AuditEntry
from portalkit.domain.filters import TRUE, Eq, Filter, In, Range, ScopeUnder, all_of
from portalkit.domain.principals import Principal
from portalkit.domain.scopes import ScopeNode, validate_path
from portalkit.errors import InvalidInputError
from portalkit.ports import Clock, Storage, UnitOfWork

__all__ = [
    "DENIED",
    "FAILED",
    "INVALID",
    "MAX_DETAIL_ITEMS",
    "MAX_DETAIL_LENGTH",
    "REDACTED",
    "SUCCESS",
    "THROTTLED",
    "AuditPage",
    "AuditTrail",
    "looks_secret",
    "record",
    "record_now",
    "sanitize",
]

#: The action was carried out.
SUCCESS = "success"
#: The principal was not allowed (or the record is not theirs).
DENIED = "denied"
#: The input was refused.
INVALID = "invalid"
#: Something else went wrong (a wrong password, a conflict).
FAILED = "failed"
#: Refused by a rate limit before anything was tried.
THROTTLED = "throttled"

#: What a masked value is replaced with.
REDACTED = "[redacted]"
#: Longest kept detail value; longer ones are cut.
MAX_DETAIL_LENGTH = 200
#: Most detail items kept per entry.
MAX_DETAIL_ITEMS = 20

_ACTION_RE = re.compile(r"^[a-z][a-z0-9_]*(?:\.[a-z][a-z0-9_]*)*$")
#: Detail keys that name a secret; such items are dropped, not masked.
_SECRET_KEY_RE = re.compile(
    r"pass(?:word|wd|phrase)?|secret|token|api_?key|auth|cookie|session|"
    r"otp|pin\b|code|nonce|salt|hash|signature|credential|private",
    re.IGNORECASE,
)
_SECRET_VALUE_RES = (
    re.compile(r"\$argon2(?:id|i|d)\$"),  # a password hash
    re.compile(r"\$2[aby]?\$\d\d\$"),  # bcrypt
    re.compile(r"\beyJ[A-Za-z0-9_-]{8,}"),  # a JWT
    re.compile(r"[A-Za-z0-9_-]{20,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{10,}"),  # signed token
    re.compile(r"^[A-Za-z0-9+/_=-]{32,}$"),  # one long opaque string
)


def looks_secret(value: str) -> bool:
    """True when *value* looks like a token, a signed link or a password hash."""
    return any(pattern.search(value) for pattern in _SECRET_VALUE_RES)


def sanitize(detail: Mapping[str, object] | None) -> dict[str, str]:
    """The detail as it may be stored: secret keys dropped, token-like values masked.

    Values become text, cut to :data:`MAX_DETAIL_LENGTH`; at most
    :data:`MAX_DETAIL_ITEMS` items are kept (by key order).
    """
    out: dict[str, str] = {}
    for key, value in (detail or {}).items():
        name = str(key)[:64]
        if _SECRET_KEY_RE.search(name) or value is None:
            continue
        text = value.isoformat() if isinstance(value, (dt.date, dt.datetime)) else str(value)
        out[name] = REDACTED if looks_secret(text) else text[:MAX_DETAIL_LENGTH]
        if len(out) >= MAX_DETAIL_ITEMS:
            break
    return out


def _clean_client_key(client_key: str | None) -> str | None:
    if client_key is None:
        return None
    text = str(client_key).strip()[:100]
    if not text or looks_secret(text):
        return None
    return text


def _actor_id(actor: Principal | int | None) -> int | None:
    if isinstance(actor, Principal):
        return actor.user_id
    return actor


def _entry(
    clock: Clock,
    *,
    tenant_id: int,
    action: str,
    outcome: str,
    actor: Principal | int | None,
    target: str | None,
    scope_path: str | None,
    client_key: str | None,
    detail: Mapping[str, object] | None,
) -> AuditEntry:
    if not _ACTION_RE.match(action) or len(action) > 64:
        raise InvalidInputError.for_field("action", "Audit actions are dotted lowercase names.")
    if target is not None and looks_secret(target):
        target = REDACTED
    return AuditEntry(
        id=0,
        tenant_id=tenant_id,
        at=clock.now(),
        action=action,
        outcome=outcome,
        actor_user_id=_actor_id(actor),
        target=None if target is None else target[:120],
        scope_path=scope_path,
        client_key=_clean_client_key(client_key),
        detail=sanitize(detail),
    )


def record(
    uow: UnitOfWork,
    clock: Clock,
    *,
    tenant_id: int,
    action: str,
    outcome: str = SUCCESS,
    actor: Principal | int | None = None,
    target: str | None = None,
    scope_path: str | None = None,
    client_key: str | None = None,
    detail: Mapping[str, object] | None = None,
) -> AuditEntry:
    """Add an audit entry to *uow* (it commits with the rest of the unit).

    Args:
        action: What was done, a dotted name (``"quote.approve"``, ``"login"``).
        outcome: :data:`SUCCESS`, :data:`DENIED`, :data:`INVALID` or :data:`FAILED`.
        actor: The principal (or user id) who acted; None for anonymous.
        target: What it was done to, e.g. ``"asset:12"``.
        scope_path: The scope of the target, so the organization filter finds it.
        client_key: Where the request came from (IP address, client id).
        detail: Extra facts; passed through :func:`sanitize`.
    """
    return uow.audit.add(
        _entry(
            clock,
            tenant_id=tenant_id,
            action=action,
            outcome=outcome,
            actor=actor,
            target=target,
            scope_path=scope_path,
            client_key=client_key,
            detail=detail,
        )
    )


def record_now(
    storage: Storage,
    clock: Clock,
    *,
    tenant_id: int,
    action: str,
    outcome: str,
    actor: Principal | int | None = None,
    target: str | None = None,
    scope_path: str | None = None,
    client_key: str | None = None,
    detail: Mapping[str, object] | None = None,
) -> AuditEntry:
    """Record an entry in a unit of work of its own and commit it at once.

    For outcomes whose own unit rolls back (denied access, failed sign-in).
    """
    with storage.unit_of_work() as uow:
        entry = record(
            uow,
            clock,
            tenant_id=tenant_id,
            action=action,
            outcome=outcome,
            actor=actor,
            target=target,
            scope_path=scope_path,
            client_key=client_key,
            detail=detail,
        )
        uow.commit()
    return entry


@attrs.frozen
class AuditPage:
    """One page of audit entries, newest first.

    Attributes:
        entries: The entries on this page.
        next_before: Pass as ``before`` for the next (older) page; None at the end.
    """

    entries: tuple[AuditEntry, ...]
    next_before: int | None


def _organization_path(organization: ScopeNode | int | str) -> str:
    if isinstance(organization, ScopeNode):
        return organization.organization_path
    if isinstance(organization, int) and not isinstance(organization, bool):
        return f"/org:{organization}/"
    if isinstance(organization, str):
        return validate_path(organization)
    raise InvalidInputError.for_field("organization", "Not a valid organization.")


class AuditTrail:
    """Read a tenant's audit trail (for staff and the host, not for customers).

    Args:
        storage: The portal's storage.
    """

    def __init__(self, storage: Storage) -> None:
        self._storage = storage

    @staticmethod
    def spec(
        *,
        user: int | None = None,
        organization: ScopeNode | int | str | None = None,
        action: str | Iterable[str] | None = None,
        outcome: str | None = None,
        since: dt.datetime | None = None,
        until: dt.datetime | None = None,
    ) -> Filter:
        """The filter for a query (see :meth:`query`)."""
        parts: list[Filter] = [TRUE]
        if user is not None:
            parts.append(Eq("actor_user_id", user))
        if organization is not None:
            parts.append(ScopeUnder(_organization_path(organization)))
        if isinstance(action, str):
            parts.append(Eq("action", action))
        elif action is not None:
            parts.append(In("action", tuple(action)))
        if outcome is not None:
            parts.append(Eq("outcome", outcome))
        if since is not None or until is not None:
            for name, value in (("since", since), ("until", until)):
                if value is not None and value.tzinfo is None:
                    raise InvalidInputError.for_field(name, "Use a timezone-aware time.")
            if since is not None and until is not None and until < since:
                raise InvalidInputError.for_field("until", "The end is before the start.")
            parts.append(Range("at", since, until))
        return all_of(*parts)

    def query(
        self,
        tenant_id: int,
        *,
        user: int | None = None,
        organization: ScopeNode | int | str | None = None,
        action: str | Iterable[str] | None = None,
        outcome: str | None = None,
        since: dt.datetime | None = None,
        until: dt.datetime | None = None,
        before: int | None = None,
        limit: int = 100,
    ) -> AuditPage:
        """Entries of *tenant_id*, newest first, matching every given criterion.

        Args:
            user: Entries of this actor.
            organization: Entries about records in this organization (a node,
                its id, or a scope path inside it).
            action: One action name, or several.
            outcome: One outcome.
            since: Entries at or after this time (timezone-aware).
            until: Entries before this time.
            before: Keyset pagination: only entries with a smaller id
                (``page.next_before``).
            limit: Page size, 1 to 1000.
        """
        if not 1 <= limit <= 1000:
            raise InvalidInputError.for_field("limit", "Use a page size from 1 to 1000.")
        spec = self.spec(
            user=user,
            organization=organization,
            action=action,
            outcome=outcome,
            since=since,
            until=until,
        )
        if before is not None:
            spec = all_of(spec, Range("id", None, before))
        with self._storage.unit_of_work(read_only=True) as uow:
            found = uow.audit.find(tenant_id, spec, order_by=("-id",), limit=limit + 1)
        more = len(found) > limit
        entries = tuple(found[:limit])
        return AuditPage(entries, entries[-1].id if more and entries else None)

    def entries(self, tenant_id: int, **criteria: object) -> Sequence[AuditEntry]:
        """Every matching entry, newest first (pages through :meth:`query`)."""
        out: list[AuditEntry] = []
        before: int | None = None
        while True:
            page = self.query(tenant_id, before=before, limit=1000, **criteria)  # type: ignore[arg-type]
            out.extend(page.entries)
            if page.next_before is None:
                return out
            before = page.next_before
