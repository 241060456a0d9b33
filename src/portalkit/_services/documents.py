"""Documents for customers: lists, search, detail, downloads and share links.

Every read goes through one rule, :func:`portalkit.domain.documents.visibility_filter`
combined with the policy's scope filter, so lists, counts, search, "latest"
widgets and the detail view agree: a document is visible in detail exactly
when it is in the list. A list page is ONE SQL statement (plus one when a
total is asked for); the compiled policy comes from the :data:`PolicyProvider`
(the policy service caches it per tenant).

"Not yours" and "not there" are the same :class:`~portalkit.errors.NotFoundError`.

Downloads: :meth:`DocumentService.download` answers the file of a visible
document directly (a page's POST, no token anywhere). For a link that must be
a URL, :meth:`DocumentService.download_token` signs a token bound to the
principal and its session (default lifetime 5 minutes) and
:meth:`DocumentService.open_download` accepts it once: it checks the token,
claims it, re-checks visibility at that moment, reads the bytes from the
host's :class:`~portalkit.ports.DocumentSource` and returns them with a safe
RFC 6266 ``Content-Disposition``. Every download is audited.

Share links: see :mod:`portalkit.domain.shares`. A link acts as a narrow
principal that still passes the visibility rules; every use is audited.
"""

from __future__ import annotations

import base64
import builtins
import datetime as dt
import hashlib
import hmac
import secrets
from collections.abc import Iterable, Sequence

import attrs

from portalkit._services.listing import (
    PolicyProvider,
    derive_key,
    list_context,
    page_of,
    policy_in,
    search_choices,
    search_text,
)
from portalkit.domain.actions import IdempotencyKey
from portalkit.domain.documents import (
    DocumentKind,
    KindRegistry,
    content_disposition,
    default_kinds,
    download_filename,
    safe_content_type,
    visibility_filter,
)
from portalkit.domain.events import AuditEntry
from portalkit.domain.filters import FALSE, TRUE, Eq, Filter, In, Range, ScopeUnder, all_of, any_of
from portalkit.domain.pagination import (
    DEFAULT_PAGE_SIZE,
    CursorCodec,
    Page,
    SortField,
    Sorting,
    check_page_size,
)
from portalkit.domain.policy import Policy
from portalkit.domain.principals import Principal, PrincipalKind
from portalkit.domain.records import Document
from portalkit.domain.shares import (
    DEFAULT_LIFETIME,
    SHARE_DOWNLOAD,
    SHARE_VIEW,
    ShareLink,
    hash_secret,
    new_secret,
    normalize_recipient,
    validate_actions,
    validate_lifetime,
)
from portalkit.domain.tenants import require_open
from portalkit.errors import (
    AlreadyUsedError,
    ConfigurationError,
    ConflictError,
    InvalidInputError,
    InvalidTokenError,
    NotFoundError,
    PermissionDeniedError,
    TokenExpiredError,
)
from portalkit.perms import DOCUMENT_SHARE
from portalkit.ports import (
    Clock,
    DocumentSource,
    Storage,
    TokenPurpose,
    TokenSigner,
    UnitOfWork,
)

#: The owner under which used download tokens are claimed, once each.
_DOWNLOAD_OWNER = "download-token"

__all__ = [
    "DEFAULT_DOWNLOAD_MAX_AGE",
    "DOCUMENT_SORTS",
    "CreatedShare",
    "DocumentService",
    "Download",
]

#: How long a download token lives unless configured otherwise.
DEFAULT_DOWNLOAD_MAX_AGE = dt.timedelta(minutes=5)

#: The fields a document list may be sorted on.
DOCUMENT_SORTS: tuple[SortField, ...] = (
    SortField("issued_on", nullable=True),
    SortField("number"),
    SortField("created_at", nullable=True),
    SortField("total_cents", nullable=True),
    SortField("id"),
)

_LATEST_MAX = 20
_FILTER_CACHE = 512


@attrs.frozen
class Download:
    """A document's file, ready to send.

    Attributes:
        document: The document (visible at the moment it was opened).
        filename: A safe file name (no directories, no control characters).
        content_type: A plain ``type/subtype``.
        content_disposition: The RFC 6266 header value (``attachment; filename=…``).
        data: The bytes from the host's document source.
    """

    document: Document
    filename: str
    content_type: str
    content_disposition: str
    data: bytes


@attrs.frozen
class CreatedShare:
    """A new share link: the stored record and the secret (shown once, never stored)."""

    link: ShareLink
    secret: str


def _as_id(value: object) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise NotFoundError()
    return value


class DocumentService:
    """Use cases on documents for one portal (see the module docstring).

    Args:
        storage: Where documents and share links are.
        policies: Gives the tenant's compiled policy inside a unit of work.
        signer: Signs download tokens (purpose ``download``).
        secret_keys: The portal's secret keys, newest first; sub-keys are
            derived for cursors, share-link hashes and token binding.
        clock: Where time comes from.
        source: The host's document files (needed only for downloads).
        kinds: The document kinds (the built-ins by default).
        download_max_age: Lifetime of download tokens (default 5 minutes).
    """

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

    # The rule -----------------------------------------------------------------
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

    def _share_filter(self, policy: Policy, link: ShareLink, creator: Principal) -> Filter:
        """What a share link may see: its one document, if it passes the rules now."""
        settings = policy.settings
        if not (settings.portal_enabled and settings.licensed):
            return FALSE
        served: Filter = TRUE
        if settings.served_organization_ids is not None:
            served = any_of(
                *(ScopeUnder(f"/org:{i}/") for i in sorted(settings.served_organization_ids))
            )
        def scope(kind: DocumentKind) -> Filter:
            if link.created_by_staff:
                return served
            # A customer's link lives only as long as the customer still sees it.
            return policy.filter_for(creator, kind.permission)

        rule = visibility_filter(self.kinds, settings.disabled_features, scope)
        return all_of(Eq("id", link.document_id), rule)

    # Reading ----------------------------------------------------------------
    def _criteria(
        self,
        kind: str | Iterable[str] | None,
        status: str | Iterable[str] | None,
        number: str | None,
        issued_from: dt.date | None,
        issued_to: dt.date | None,
    ) -> tuple[tuple[DocumentKind, ...], Filter]:
        kinds = self.kinds.resolve(
            None if kind is None else search_choices("kind", kind, "Name a document kind.")
        )
        parts: list[Filter] = []
        if status is not None:
            statuses = search_choices("status", status, "Name at least one status.")
            parts.append(In("status", statuses))
        if number is not None:
            parts.append(Eq("number", search_text("number", number, "Enter a document number.")))
        for name, value in (("issued_from", issued_from), ("issued_to", issued_to)):
            if value is not None and (
                not isinstance(value, dt.date) or isinstance(value, dt.datetime)
            ):
                raise InvalidInputError.for_field(name, "Enter a date.")
        if issued_from is not None and issued_to is not None and issued_from > issued_to:
            raise InvalidInputError.for_field("issued_to", "The end date is before the start.")
        if issued_from is not None or issued_to is not None:
            parts.append(Range("issued_on", issued_from, issued_to, include_high=True))
        return kinds, all_of(*parts)

    def list(
        self,
        principal: Principal,
        *,
        kind: str | Iterable[str] | None = None,
        status: str | Iterable[str] | None = None,
        number: str | None = None,
        issued_from: dt.date | None = None,
        issued_to: dt.date | None = None,
        sort: str = "-issued_on",
        size: int = DEFAULT_PAGE_SIZE,
        cursor: str | None = None,
        with_total: bool = False,
        policy: Policy | None = None,
    ) -> Page[Document]:
        """A page of the documents *principal* may see, newest first by default.

        Filters: *kind* (one or several), *status*, exact *number*, issue date
        range (both ends included). ONE SQL statement, plus one for the total.

        Raises:
            InvalidInputError: unknown kind, page size outside 1-200, a
                non-allowlisted sort, a malformed or foreign cursor.
        """
        kinds, criteria = self._criteria(kind, status, number, issued_from, issued_to)
        sorting = Sorting.parse(sort, DOCUMENT_SORTS)
        check_page_size(size)
        context = list_context(
            principal, "documents", sorted(k.name for k in kinds), criteria, sorting.key
        )
        with self._storage.unit_of_work(read_only=True) as uow:
            policy = policy_in(uow, principal, policy, self._policies)
            where = all_of(self.visible_filter(policy, principal, kinds), criteria)
            return page_of(
                uow.documents,
                principal.tenant_id,
                where,
                sorting=sorting,
                size=size,
                cursor=cursor,
                codec=self._codec,
                context=context,
                with_total=with_total,
            )

    search = list

    def count(
        self,
        principal: Principal,
        *,
        kind: str | Iterable[str] | None = None,
        status: str | Iterable[str] | None = None,
        issued_from: dt.date | None = None,
        issued_to: dt.date | None = None,
        policy: Policy | None = None,
    ) -> int:
        """How many documents *principal* may see (one SQL statement)."""
        kinds, criteria = self._criteria(kind, status, None, issued_from, issued_to)
        with self._storage.unit_of_work(read_only=True) as uow:
            policy = policy_in(uow, principal, policy, self._policies)
            where = all_of(self.visible_filter(policy, principal, kinds), criteria)
            return uow.documents.count(principal.tenant_id, where)

    def latest(
        self,
        principal: Principal,
        *,
        kind: str | Iterable[str] | None = None,
        limit: int = 5,
        policy: Policy | None = None,
    ) -> builtins.list[Document]:
        """The newest documents *principal* may see, for a "latest" widget (<= 20)."""
        if not isinstance(limit, int) or isinstance(limit, bool) or not 1 <= limit <= _LATEST_MAX:
            raise InvalidInputError.for_field("limit", f"Show 1-{_LATEST_MAX} documents.")
        return builtins.list(self.list(principal, kind=kind, size=limit, policy=policy).items)

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

    # Downloads --------------------------------------------------------------
    def _binding(self, principal: Principal, session: str | None) -> str:
        who = f"{principal.tenant_id}|{principal.kind.value}|{principal.user_id}|{session or ''}"
        digest = hmac.new(self._binding_key, who.encode(), hashlib.sha256).digest()[:16]
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")

    def download(
        self,
        principal: Principal,
        document_id: int,
        *,
        client_key: str | None = None,
        policy: Policy | None = None,
    ) -> Download:
        """The file of a document *principal* may see now (audited); no token involved.

        What a page's "Download" button (a POST) answers with, so no token
        ever lands in a URL, an access log or the browser's history.

        Raises:
            NotFoundError: no such document, or not visible to *principal*.
        """
        return self._file(self._opened(principal, _as_id(document_id), client_key, policy))

    def download_token(
        self,
        principal: Principal,
        document_id: int,
        *,
        session: str | None = None,
        policy: Policy | None = None,
    ) -> str:
        """A signed, single-use token that lets *principal* download the document once.

        It is bound to *principal* and, when given, to *session* (the
        request's session value: the token is refused in any other session),
        and it expires after the download lifetime (5 minutes by default).

        Raises:
            NotFoundError: the document is not visible to *principal*.
        """
        document = self.get(principal, document_id, policy=policy)
        nonce = f"{self._binding(principal, session)}.{secrets.token_urlsafe(16)}"
        return self._signer.sign(TokenPurpose.DOWNLOAD, document.id, nonce)

    def open_download(
        self,
        principal: Principal,
        token: str,
        *,
        session: str | None = None,
        client_key: str | None = None,
        policy: Policy | None = None,
    ) -> Download:
        """The file behind a download token, once, if it is still visible to *principal* now.

        Raises:
            TokenExpiredError: the token is older than its lifetime.
            InvalidTokenError: tampered, or made for another principal or session.
            AlreadyUsedError: the token was used before.
            NotFoundError: the document is no longer visible (back to draft,
                out of scope, kind switched off) or gone.
        """
        claims = self._signer.verify(
            TokenPurpose.DOWNLOAD, token, max_age=self._download_max_age
        )
        binding, _, once = claims.nonce.partition(".")
        if not once or not hmac.compare_digest(binding, self._binding(principal, session)):
            raise InvalidTokenError()
        return self._file(self._opened(principal, claims.id, client_key, policy, once=once))

    def _opened(
        self,
        principal: Principal,
        document_id: int,
        client_key: str | None,
        policy: Policy | None,
        *,
        once: str | None = None,
    ) -> Document:
        """The visible document, its download audited (and a token's nonce claimed)."""
        with self._storage.unit_of_work() as uow:
            if once is not None:
                try:
                    uow.actions.idempotency.add(IdempotencyKey(
                        id=0, tenant_id=principal.tenant_id, owner=_DOWNLOAD_OWNER, key=once,
                        action="document.download", fingerprint=str(document_id),
                        created_at=self._clock.now(),
                    ))
                except ConflictError:
                    raise AlreadyUsedError() from None
            policy = policy_in(uow, principal, policy, self._policies)
            document = self._visible_one(uow, policy, principal, document_id)
            self._audit(
                uow,
                principal.tenant_id,
                "document.download",
                document,
                document_id,
                actor=principal.user_id,
                client_key=client_key,
            )
            uow.commit()
        if document is None:
            raise NotFoundError()
        return document

    def _file(self, document: Document) -> Download:
        if self._source is None:
            raise ConfigurationError("No document source is configured for downloads.")
        data = self._source.read(document)
        content_type = safe_content_type(document.content_type)
        filename = download_filename(
            document.filename, kind=document.kind, number=document.number,
            content_type=content_type,
        )
        return Download(document, filename, content_type, content_disposition(filename), data)

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

    # Share links ------------------------------------------------------------
    def _user_is_staff(self, uow: UnitOfWork, principal: Principal) -> bool:
        if principal.kind is not PrincipalKind.USER or principal.user_id is None:
            return False
        user = uow.users.get(principal.tenant_id, principal.user_id)
        return user is not None and user.is_active and user.is_staff

    def _shareable(
        self, uow: UnitOfWork, policy: Policy, principal: Principal, document_id: int
    ) -> tuple[Document, bool]:
        """The document and whether the principal is staff; raise if they may not share it."""
        if principal.kind is not PrincipalKind.USER or principal.user_id is None:
            raise PermissionDeniedError()
        staff = self._user_is_staff(uow, principal)
        if staff:
            found = uow.documents.find(
                principal.tenant_id,
                all_of(Eq("id", document_id), visibility_filter(
                    self.kinds, policy.settings.disabled_features, lambda _k: TRUE
                )),
                limit=1,
            )
            document = found[0] if found else None
        else:
            document = self._visible_one(uow, policy, principal, document_id)
        if document is None:
            raise NotFoundError()
        if not staff and not policy.decide(principal, DOCUMENT_SHARE, document).allowed:
            raise PermissionDeniedError()
        return document, staff

    def share(
        self,
        principal: Principal,
        document_id: int,
        *,
        recipient: str,
        actions: Iterable[str] = (SHARE_VIEW, SHARE_DOWNLOAD),
        expires_in: dt.timedelta = DEFAULT_LIFETIME,
        client_key: str | None = None,
    ) -> CreatedShare:
        """Share one document with one recipient; returns the link's secret once.

        Staff may share any document that passes the visibility rules; a
        customer needs :data:`~portalkit.perms.DOCUMENT_SHARE` at the
        document's scope and must see the document.

        Raises:
            InvalidInputError: bad recipient, actions or lifetime.
            NotFoundError: the document is not visible to *principal*.
            PermissionDeniedError: visible, but *principal* may not share it.
        """
        document_id = _as_id(document_id)
        email = normalize_recipient(recipient)
        allowed = validate_actions(actions)
        lifetime = validate_lifetime(expires_in)
        secret = new_secret()
        now = self._clock.now()
        with self._storage.unit_of_work() as uow:
            policy = self._policies(uow, principal)
            document, staff = self._shareable(uow, policy, principal, document_id)
            assert principal.user_id is not None  # checked by _shareable
            link = uow.share_links.add(
                ShareLink(
                    id=0,
                    tenant_id=principal.tenant_id,
                    document_id=document.id,
                    recipient=email,
                    actions=allowed,
                    secret_hash=hash_secret(self._share_keys[0], secret),
                    created_by=principal.user_id,
                    created_by_staff=staff,
                    created_at=now,
                    expires_at=now + lifetime,
                )
            )
            self._audit(
                uow, principal.tenant_id, "document.share", document, document.id,
                actor=principal.user_id, client_key=client_key,
                detail={"share_id": str(link.id), "actions": ",".join(sorted(allowed))},
            )
            uow.commit()
        return CreatedShare(link, secret)

    def shares(self, principal: Principal, document_id: int) -> builtins.list[ShareLink]:
        """The share links of one document: all of them for staff, one's own for a customer.

        Raises:
            NotFoundError: the document is not visible to *principal*.
        """
        document_id = _as_id(document_id)
        with self._storage.unit_of_work(read_only=True) as uow:
            policy = self._policies(uow, principal)
            document, staff = self._shareable(uow, policy, principal, document_id)
            where: Filter = Eq("document_id", document.id)
            if not staff:
                where = all_of(where, Eq("created_by", principal.user_id))
            return uow.share_links.find(principal.tenant_id, where, order_by=("-created_at",))

    def revoke_share(
        self, principal: Principal, share_id: int, *, client_key: str | None = None
    ) -> ShareLink:
        """Revoke a link (staff: any link; a customer: their own). Idempotent.

        Raises:
            NotFoundError: no such link, or not *principal*'s to revoke.
        """
        share_id = _as_id(share_id)
        now = self._clock.now()
        with self._storage.unit_of_work() as uow:
            link = uow.share_links.get(principal.tenant_id, share_id)
            if link is None or principal.kind is not PrincipalKind.USER:
                raise NotFoundError()
            if link.created_by != principal.user_id and not self._user_is_staff(uow, principal):
                raise NotFoundError()
            if link.revoked_at is None:
                link = attrs.evolve(link, revoked_at=now)
                uow.share_links.update(link)
                uow.audit.add(
                    AuditEntry(
                        id=0, tenant_id=link.tenant_id, at=now, action="document.share.revoke",
                        outcome="success", actor_user_id=principal.user_id,
                        target=f"document:{link.document_id}", client_key=client_key,
                        detail={"share_id": str(link.id)},
                    )
                )
                uow.commit()
        return link

    def _find_link(self, uow: UnitOfWork, tenant_id: int, secret: object) -> ShareLink | None:
        if not isinstance(secret, str) or not 16 <= len(secret) <= 64 or not secret.isascii():
            return None
        for key in self._share_keys:
            link = uow.share_links.get_by_secret_hash(tenant_id, hash_secret(key, secret))
            if link is not None:
                return link
        return None

    def _use_share(
        self, tenant_id: int, secret: str, action: str, client_key: str | None
    ) -> Document:
        now = self._clock.now()
        with self._storage.unit_of_work() as uow:
            tenant = uow.tenants.get(tenant_id)
            if tenant is None:
                raise InvalidTokenError()
            require_open(tenant)
            link = self._find_link(uow, tenant_id, secret)
            if link is None:
                raise InvalidTokenError()
            document: Document | None = None
            expired = now >= link.expires_at
            # A link lives only as long as its creator's account is enabled,
            # staff included (a staff link does not depend on grants).
            author = uow.users.get(tenant_id, link.created_by)
            if link.allows(action, now) and author is not None and author.is_active:
                creator = Principal(
                    tenant_id=tenant_id, kind=PrincipalKind.USER, user_id=link.created_by
                )
                policy = self._policies(uow, creator)
                found = uow.documents.find(
                    tenant_id, self._share_filter(policy, link, creator), limit=1
                )
                document = found[0] if found else None
            self._audit(
                uow, tenant_id, f"document.share.{action}", document, link.document_id,
                actor=None, client_key=client_key,
                detail={"share_id": str(link.id), "recipient": link.recipient},
            )
            uow.commit()
        if link.revoked_at is not None:
            raise InvalidTokenError()
        if expired:
            raise TokenExpiredError()
        if action not in link.actions:
            raise PermissionDeniedError()
        if document is None:
            raise NotFoundError()
        return document

    def open_share(
        self, tenant_id: int, secret: str, *, client_key: str | None = None
    ) -> Document:
        """The shared document, viewed through its link (audited).

        Raises:
            InvalidTokenError: unknown or revoked link.
            TokenExpiredError: the link has expired.
            PermissionDeniedError: the link does not allow viewing.
            NotFoundError: the document no longer passes the visibility rules.
        """
        return self._use_share(tenant_id, secret, SHARE_VIEW, client_key)

    def download_shared(
        self, tenant_id: int, secret: str, *, client_key: str | None = None
    ) -> Download:
        """The shared document's file, through its link (audited); errors as :meth:`open_share`."""
        return self._file(self._use_share(tenant_id, secret, SHARE_DOWNLOAD, client_key))
