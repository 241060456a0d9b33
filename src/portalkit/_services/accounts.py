"""Account views (seed 004), the asset list and defects (seed 002), KPI tiles (seed 001).

- **Account summary**: current balance, last payment amount and date, for one
  organization the principal may see the summary of
  (:data:`~portalkit.perms.ACCOUNT_SUMMARY_VIEW` at the organization).
- **Statements by date**: statement documents through the document
  visibility rule (:class:`~portalkit._services.documents.DocumentService`).
- **Contracts** (number, status, items out) and **items on rent**, filtered by
  the policy's scope filter for :data:`~portalkit.perms.CONTRACT_VIEW` /
  :data:`~portalkit.perms.ITEMS_OUT_VIEW`.
- The ledger and rentals come from the host's
  :class:`~portalkit.ports.AccountSource`; :class:`StoredAccountSource` is the
  SQL-backed (or in-memory) default the demo uses.
- **Asset list** with the tenant's field visibility (show/hide/rename) and
  **defects** searchable by asset, one query per page.
- **KPI tiles**: a principal sees the tiles of the groups they belong to
  (``Group.kpi_keys``), if allowed :data:`~portalkit.perms.KPI_VIEW`; values
  come from the host's :class:`~portalkit.ports.KpiSource`.
"""

from __future__ import annotations

import builtins
import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

from portalkit._services.documents import DocumentService
from portalkit._services.listing import (
    PolicyProvider,
    derive_key,
    list_context,
    page_of,
    policy_in,
)
from portalkit.domain.accounts import (
    KPI_CATALOGUE,
    AccountBalance,
    AccountSummary,
    Contract,
    Defect,
    ItemOut,
    KpiTile,
)
from portalkit.domain.assets import normalize_identifier
from portalkit.domain.field_access import project_for
from portalkit.domain.fields import ASSET, visible_fields
from portalkit.domain.filters import Eq, Filter, In, Range, ScopeUnder, all_of, evaluate
from portalkit.domain.pagination import (
    DEFAULT_PAGE_SIZE,
    CursorCodec,
    Page,
    SortField,
    Sorting,
    check_page_size,
)
from portalkit.domain.policy import Policy, Target
from portalkit.domain.principals import Principal
from portalkit.domain.records import Asset, Document
from portalkit.domain.scopes import organization_id
from portalkit.errors import ConfigurationError, InvalidInputError, NotFoundError
from portalkit.perms import (
    ACCOUNT_SUMMARY_VIEW,
    ASSET_VIEW,
    CONTRACT_VIEW,
    DEFECT_VIEW,
    ITEMS_OUT_VIEW,
    KPI_VIEW,
)
from portalkit.ports import AccountSource, KpiSource, Storage, UnitOfWork

__all__ = [
    "ASSET_SORTS",
    "DEFECT_SORTS",
    "AccountService",
    "StoredAccountSource",
]

ASSET_SORTS: tuple[SortField, ...] = (
    SortField("number"),
    SortField("last_test_date", nullable=True),
    SortField("asset_type"),
    SortField("id"),
)
DEFECT_SORTS: tuple[SortField, ...] = (
    SortField("reported_on", nullable=True),
    SortField("number"),
    SortField("id"),
)


class StoredAccountSource:
    """The default :class:`~portalkit.ports.AccountSource`: portalkit's own tables.

    The demo and hosts without an ERP connection fill ``account_balances`` and
    ``contracts`` through the unit of work; items on rent are the rental items
    of the customer-actions capability.
    """

    def __init__(self, storage: Storage) -> None:
        self._storage = storage

    def balance(self, tenant_id: int, organization_id: int) -> AccountBalance | None:
        """The stored balance row of the organization, or None."""
        with self._storage.unit_of_work(read_only=True) as uow:
            found = uow.account_balances.find(
                tenant_id, Eq("organization_id", organization_id), limit=1
            )
        return found[0] if found else None

    def contracts(self, tenant_id: int, organization_id: int) -> Sequence[Contract]:
        """The stored contracts of the organization, by number."""
        with self._storage.unit_of_work(read_only=True) as uow:
            return uow.contracts.find(
                tenant_id, Eq("organization_id", organization_id), order_by=("number",)
            )

    def items_out(self, tenant_id: int, organization_id: int) -> Sequence[ItemOut]:
        """The organization's items still on rent, by contract and item.

        They are the rental items of the customer-actions capability
        (``uow.actions.rentals``, synced by the host), so the Items Out page
        and call-off-rent requests read one source.
        """
        with self._storage.unit_of_work(read_only=True) as uow:
            rentals = uow.actions.rentals.find(
                tenant_id,
                ScopeUnder(f"/org:{organization_id}/"),
                order_by=("contract_number", "item_number"),
            )
        return [
            ItemOut(
                id=r.id,
                tenant_id=r.tenant_id,
                organization_id=organization_id,
                scope_path=r.scope_path,
                contract_number=r.contract_number,
                item_number=r.item_number,
                description=r.description,
                quantity_out=r.quantity_out - r.quantity_returned,
                quantity_called_off=r.quantity_called_off,
                out_since=r.out_since,
                external_key=r.external_key,
            )
            for r in rentals
            if r.quantity_out > r.quantity_returned
        ]


class AccountService:
    """Use cases behind the account pages, the asset list and the KPI tiles.

    Args:
        storage: Where assets, defects and (by default) the ledger are.
        policies: Loads a principal's compiled policy inside a unit of work.
        documents: The document service (statements are documents).
        secret_keys: The portal's secret keys (a sub-key signs cursors).
        accounts: The host's ledger; :class:`StoredAccountSource` by default.
        kpis: The host's KPI figures; without one, tiles have no value.
    """

    def __init__(
        self,
        storage: Storage,
        *,
        policies: PolicyProvider,
        documents: DocumentService,
        secret_keys: Sequence[bytes],
        accounts: AccountSource | None = None,
        kpis: KpiSource | None = None,
    ) -> None:
        if not secret_keys:
            raise ConfigurationError("A secret key is required.")
        self._storage = storage
        self._policies = policies
        self._documents = documents
        self._accounts: AccountSource = accounts or StoredAccountSource(storage)
        self._kpis = kpis
        self._codec = CursorCodec(derive_key(secret_keys, "cursor.accounts"))

    def _policy(self, principal: Principal, policy: Policy | None) -> Policy:
        with self._storage.unit_of_work(read_only=True) as uow:
            return policy_in(uow, principal, policy, self._policies)

    def _organization(
        self, policy: Policy, principal: Principal, organization: int | None
    ) -> int:
        """The organization an account view is for: given, the active one, or the only one."""
        orgs = policy.organizations(principal)
        if organization is not None:
            path = f"/org:{organization}/" if isinstance(organization, int) else None
            if path is None or path not in orgs:
                raise NotFoundError()
            return int(organization)
        if principal.active_organization is not None:
            path = principal.active_organization
        elif len(orgs) == 1:
            path = orgs[0]
        else:
            raise InvalidInputError.for_field("organization", "Choose an account.")
        return organization_id(path)

    # Account pages (seed 004) -------------------------------------------------
    def summary(
        self,
        principal: Principal,
        *,
        organization: int | None = None,
        policy: Policy | None = None,
    ) -> AccountSummary:
        """Balance and last payment of an organization the principal may see.

        Raises:
            NotFoundError: not allowed (or no such organization).
            InvalidInputError: the principal has several organizations and
                named none (field ``organization``).
        """
        the_policy = self._policy(principal, policy)
        org_id = self._organization(the_policy, principal, organization)
        target = Target(principal.tenant_id, f"/org:{org_id}/")
        if not the_policy.decide(principal, ACCOUNT_SUMMARY_VIEW, target).allowed:
            raise NotFoundError()
        balance = self._accounts.balance(principal.tenant_id, org_id)
        if balance is None:
            return AccountSummary(org_id, None, "USD", None, None)
        return AccountSummary(
            org_id,
            balance.balance_cents,
            balance.currency,
            balance.last_payment_cents,
            balance.last_payment_on,
            balance.as_of,
        )

    def statements(
        self,
        principal: Principal,
        *,
        issued_from: dt.date | None = None,
        issued_to: dt.date | None = None,
        size: int = DEFAULT_PAGE_SIZE,
        cursor: str | None = None,
        policy: Policy | None = None,
    ) -> Page[Document]:
        """The statements *principal* may see, newest first, optionally by date range."""
        return self._documents.list(
            principal, kind="statement", issued_from=issued_from, issued_to=issued_to,
            size=size, cursor=cursor, policy=policy,
        )

    def statement_for(
        self, principal: Principal, on: dt.date, *, policy: Policy | None = None
    ) -> Document:
        """The statement for a chosen date: the latest one issued on or before *on*.

        Raises:
            NotFoundError: none visible.
        """
        if not isinstance(on, dt.date) or isinstance(on, dt.datetime):
            raise InvalidInputError.for_field("on", "Enter a date.")
        page = self._documents.list(
            principal, kind="statement", issued_to=on, size=1, policy=policy
        )
        if not page.items:
            raise NotFoundError()
        return page.items[0]

    def contracts(
        self,
        principal: Principal,
        *,
        organization: int | None = None,
        policy: Policy | None = None,
    ) -> builtins.list[Contract]:
        """Contracts (number, status, items out) the principal may see, by number."""
        the_policy = self._policy(principal, policy)
        org_id = self._organization(the_policy, principal, organization)
        allowed = the_policy.filter_for(principal, CONTRACT_VIEW)
        return [
            c for c in self._accounts.contracts(principal.tenant_id, org_id)
            if c.tenant_id == principal.tenant_id and evaluate(allowed, c)
        ]

    def items_out(
        self,
        principal: Principal,
        *,
        organization: int | None = None,
        contract_number: str | None = None,
        policy: Policy | None = None,
    ) -> builtins.list[ItemOut]:
        """Items on rent the principal may see, optionally of one contract."""
        the_policy = self._policy(principal, policy)
        org_id = self._organization(the_policy, principal, organization)
        allowed = the_policy.filter_for(principal, ITEMS_OUT_VIEW)
        return [
            i for i in self._accounts.items_out(principal.tenant_id, org_id)
            if i.tenant_id == principal.tenant_id
            and evaluate(allowed, i)
            and (contract_number is None or i.contract_number == contract_number)
        ]

    # KPI tiles (seed 001) -------------------------------------------------
    def kpi_tiles(self, principal: Principal, *, policy: Policy | None = None) -> list[KpiTile]:
        """The KPI tiles of the principal's groups, with values from the host, by key."""
        the_policy = self._policy(principal, policy)
        keys = the_policy.kpi_keys(principal)
        if not keys:
            return []
        values: dict[str, Any] = {}
        if self._kpis is not None:
            paths = the_policy.granted_paths(principal, KPI_VIEW)
            values = dict(self._kpis.values(principal.tenant_id, frozenset(keys), paths))
        return [
            KpiTile(key, KPI_CATALOGUE.get(key, key.replace("_", " ").title()), values.get(key))
            for key in sorted(keys)
        ]

    # Asset list and defects (seed 002) --------------------------------------
    def assets(
        self,
        principal: Principal,
        *,
        number: str | None = None,
        asset_type: str | None = None,
        sort: str = "number",
        size: int = DEFAULT_PAGE_SIZE,
        cursor: str | None = None,
        with_total: bool = False,
        policy: Policy | None = None,
    ) -> Page[Asset]:
        """A page of the assets *principal* may see (one query); *number* is normalized."""
        parts: list[Filter] = []
        if number is not None:
            key = normalize_identifier(number) if isinstance(number, str) else ""
            if not key:
                raise InvalidInputError.for_field("number", "Enter an asset number.")
            parts.append(Eq("number_key", key))
        if asset_type is not None:
            parts.append(Eq("asset_type", asset_type))
        criteria = all_of(*parts)
        sorting = Sorting.parse(sort, ASSET_SORTS)
        check_page_size(size)
        context = list_context(principal, "assets", criteria, sorting.key)
        with self._storage.unit_of_work(read_only=True) as uow:
            the_policy = policy_in(uow, principal, policy, self._policies)
            where = all_of(the_policy.filter_for(principal, ASSET_VIEW), criteria)
            return page_of(
                uow.assets, principal.tenant_id, where, sorting=sorting, size=size,
                cursor=cursor, codec=self._codec, context=context, with_total=with_total,
            )

    def project_assets(
        self, principal: Principal, assets: Iterable[Asset], *, policy: Policy | None = None
    ) -> builtins.list[dict[str, Any]]:
        """Plain dicts of *assets* with ``id`` and the fields *principal* may see of each.

        One rule (:func:`~portalkit.domain.field_access.fields_for`): the tenant
        shows the field and the principal holds its permission at the asset's
        scope (identification fields need ``asset.identification.view``); a
        field the principal may not see is absent from that asset's dict. The
        computed ``customer`` field (the organization's name) costs one query,
        only when the tenant shows it.
        """
        items = builtins.list(assets)
        with self._storage.unit_of_work(read_only=True) as uow:
            the_policy = policy_in(uow, principal, policy, self._policies)
            shown = visible_fields(ASSET, the_policy.settings.field_overrides)
            names = (
                self._organization_names(uow, principal.tenant_id, items)
                if any(f.name == "customer" for f in shown) else {}
            )
        extra = {a.id: {"customer": names.get(_org_path(a.scope_path), "")} for a in items}
        return project_for(the_policy, principal, ASSET, items, extra)

    @staticmethod
    def _organization_names(
        uow: UnitOfWork, tenant_id: int, assets: Sequence[Asset]
    ) -> dict[str, str]:
        ids = sorted({organization_id(p) for a in assets if (p := a.scope_path)})
        return {n.path: n.name for n in uow.scopes.get_many(tenant_id, ids)} if ids else {}

    def defects(
        self,
        principal: Principal,
        *,
        asset: int | None = None,
        status: str | Iterable[str] | None = None,
        reported_from: dt.date | None = None,
        reported_to: dt.date | None = None,
        sort: str = "-reported_on",
        size: int = DEFAULT_PAGE_SIZE,
        cursor: str | None = None,
        with_total: bool = False,
        policy: Policy | None = None,
    ) -> Page[Defect]:
        """A page of the defects *principal* may see, searchable by asset (one query)."""
        parts: list[Filter] = []
        if asset is not None:
            if not isinstance(asset, int) or isinstance(asset, bool) or asset < 1:
                raise InvalidInputError.for_field("asset", "Choose an asset from the list.")
            parts.append(Eq("asset_id", asset))
        if status is not None:
            statuses = (status,) if isinstance(status, str) else tuple(status)
            if not statuses:
                raise InvalidInputError.for_field("status", "Name at least one status.")
            parts.append(In("status", statuses))
        if reported_from is not None or reported_to is not None:
            parts.append(Range("reported_on", reported_from, reported_to, include_high=True))
        criteria = all_of(*parts)
        sorting = Sorting.parse(sort, DEFECT_SORTS)
        check_page_size(size)
        context = list_context(principal, "defects", criteria, sorting.key)
        with self._storage.unit_of_work(read_only=True) as uow:
            the_policy = policy_in(uow, principal, policy, self._policies)
            where = all_of(the_policy.filter_for(principal, DEFECT_VIEW), criteria)
            return page_of(
                uow.defects, principal.tenant_id, where, sorting=sorting, size=size,
                cursor=cursor, codec=self._codec, context=context, with_total=with_total,
            )


def _org_path(path: str) -> str:
    return path[: path.index("/", 1) + 1] if path.startswith("/org:") else ""
