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

Where the parts live: :class:`DocumentService` is this module's lists on top
of ``document_shares`` (share links), ``document_downloads`` (downloads) and
``document_access`` (the visibility rule, one visible document, the audit line),
each a base class of the next.
"""

from __future__ import annotations

import builtins
import datetime as dt
from collections.abc import Iterable

from portalkit._services.document_access import DEFAULT_DOWNLOAD_MAX_AGE
from portalkit._services.document_downloads import Download
from portalkit._services.document_shares import CreatedShare, _DocumentShares
from portalkit._services.listing import (
    list_context,
    page_of,
    policy_in,
    search_choices,
    search_text,
)
from portalkit.domain.documents import DocumentKind
from portalkit.domain.filters import Eq, Filter, In, Range, all_of
from portalkit.domain.pagination import (
    DEFAULT_PAGE_SIZE,
    Page,
    SortField,
    Sorting,
    check_page_size,
)
from portalkit.domain.policy import Policy
from portalkit.domain.principals import Principal
from portalkit.domain.records import Document
from portalkit.errors import InvalidInputError

__all__ = [
    "DEFAULT_DOWNLOAD_MAX_AGE",
    "DOCUMENT_SORTS",
    "CreatedShare",
    "DocumentService",
    "Download",
]


#: The fields a document list may be sorted on.
DOCUMENT_SORTS: tuple[SortField, ...] = (
    SortField("issued_on", nullable=True),
    SortField("number"),
    SortField("created_at", nullable=True),
    SortField("total_cents", nullable=True),
    SortField("id"),
)

_LATEST_MAX = 20


class DocumentService(_DocumentShares):
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
