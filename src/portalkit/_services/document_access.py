"""What every document use case shares: the visibility rule, one visible document, the audit.

:class:`~portalkit._services.documents.DocumentService` is built on this; the
module docstring there tells the rules.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence

from portalkit._services.listing import (
    PolicyProvider,
    derive_key,
    policy_in,
)
from portalkit.domain.documents import (
    DocumentKind,
    KindRegistry,
    default_kinds,
    visibility_filter,
)
from portalkit.domain.events import AuditEntry
from portalkit.domain.filters import Eq, Filter, all_of
from portalkit.domain.pagination import (
    CursorCodec,
)
from portalkit.domain.policy import Policy
from portalkit.domain.principals import Principal
from portalkit.domain.records import Document
from portalkit.errors import (
    ConfigurationError,
    NotFoundError,
)
from portalkit.ports import (
    Clock,
    DocumentSource,
    Storage,
    TokenSigner,
    UnitOfWork,
)

#: How long a download token lives unless configured otherwise.
DEFAULT_DOWNLOAD_MAX_AGE = dt.timedelta(minutes=5)


_FILTER_CACHE = 512


def _as_id(value: object) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise NotFoundError()
    return value


class _DocumentAccess:
    """The visibility rule and the audit line every document use case shares."""

    def __init__(
        self,
        storage: Storage,
        *,
        policies: PolicyProvider,
        signer: TokenSigner,
        secret_keys: Sequence[bytes],
        clock: Clock,
        source: DocumentSource | None = None,
        kinds: KindRegistry = default_kinds,
        download_max_age: dt.timedelta = DEFAULT_DOWNLOAD_MAX_AGE,
    ) -> None:
        if not secret_keys:
            raise ConfigurationError("A secret key is required.")
        self._storage = storage
        self._policies = policies
        self._signer = signer
        self._clock = clock
        self._source = source
        self.kinds = kinds
        self._download_max_age = download_max_age
        self._codec = CursorCodec(derive_key(secret_keys, "cursor.documents"))
        self._binding_key = derive_key(secret_keys, "download-binding")
        self._share_keys = [derive_key([k], "share-link") for k in secret_keys]
        self._filters: dict[tuple[int, Principal, tuple[DocumentKind, ...]], tuple[Policy, Filter]]
        self._filters = {}

    def visible_filter(
        self, policy: Policy, principal: Principal, kinds: Iterable[DocumentKind] | None = None
    ) -> Filter:
        """The documents *principal* may see (of *kinds*, default all), as one filter.

        A compiled policy never changes, so the filter is remembered per
        (policy, principal, kinds) while that policy object is in use.
        """
        chosen = tuple(self.kinds if kinds is None else kinds)
        key = (id(policy), principal, chosen)
        hit = self._filters.get(key)
        if hit is not None and hit[0] is policy:
            return hit[1]
        rule = visibility_filter(
            chosen,
            policy.settings.disabled_features,
            lambda kind: policy.filter_for(principal, kind.permission),
        )
        if len(self._filters) >= _FILTER_CACHE:
            self._filters.clear()
        self._filters[key] = (policy, rule)
        return rule

    def _visible_one(
        self, uow: UnitOfWork, policy: Policy, principal: Principal, document_id: int
    ) -> Document | None:
        where = all_of(Eq("id", document_id), self.visible_filter(policy, principal))
        found = uow.documents.find(principal.tenant_id, where, limit=1)
        return found[0] if found else None

    def get(
        self, principal: Principal, document_id: int, *, policy: Policy | None = None
    ) -> Document:
        """The document if *principal* may see it (exactly when it is in their list).

        Raises:
            NotFoundError: no such document, or not visible to *principal*.
        """
        document_id = _as_id(document_id)
        with self._storage.unit_of_work(read_only=True) as uow:
            policy = policy_in(uow, principal, policy, self._policies)
            document = self._visible_one(uow, policy, principal, document_id)
        if document is None:
            raise NotFoundError()
        return document

    def _audit(
        self,
        uow: UnitOfWork,
        tenant_id: int,
        action: str,
        document: Document | None,
        document_id: int,
        *,
        actor: int | None,
        client_key: str | None,
        detail: dict[str, str] | None = None,
    ) -> None:
        uow.audit.add(
            AuditEntry(
                id=0,
                tenant_id=tenant_id,
                at=self._clock.now(),
                action=action,
                outcome="success" if document is not None else "denied",
                actor_user_id=actor,
                target=f"document:{document_id}",
                scope_path=document.scope_path if document is not None else None,
                client_key=client_key,
                detail=detail or {},
            )
        )
