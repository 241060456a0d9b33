"""Asset lookup by number or licence plate, and the asset page (seed 000).

:meth:`AssetService.resolve` runs the lookup as **one** indexed query whose
WHERE clause holds both the normalized key and the policy's scope filter, so an
asset the principal may not see is never read: "exists elsewhere" and "does not
exist" take the same path, the same statements and the same result. Lookups
(hits and misses alike) are rate-limited per principal and per client address
through the shared :class:`~portalkit.ports.Throttle`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from portalkit import perms
from portalkit._services.policy import load_policy
from portalkit._services.throttle import Limit, acquire_all, throttle_key
from portalkit.domain.field_access import fields_for
from portalkit.domain.fields import ASSET, project
from portalkit.domain.filters import ScopeUnder, all_of
from portalkit.domain.identity import ThrottleRule
from portalkit.domain.policy import NoAccess, Policy, Sections
from portalkit.domain.principals import Principal
from portalkit.domain.records import Asset
from portalkit.domain.resolver import (
    MAX_MATCHES,
    Ambiguous,
    Candidate,
    LookupOptions,
    Resolution,
    choose,
    lookup_filter,
    lookup_key,
    lookup_region,
)
from portalkit.domain.scopes import ScopeNode, organization_id, organization_path
from portalkit.domain.tenants import TenantSettings
from portalkit.errors import InvalidInputError, NotFoundError
from portalkit.ports import Clock, Storage, Throttle, UnitOfWork

__all__ = ["AssetService"]

#: The permission that makes an asset findable; the page's sections have their own.
LOOKUP_PERMISSION = perms.ASSET_VIEW


def _organization_filter(organization: str | int | ScopeNode | None) -> ScopeUnder | None:
    if organization is None:
        return None
    if isinstance(organization, ScopeNode):
        return ScopeUnder(organization.organization_path)
    if isinstance(organization, int) and not isinstance(organization, bool):
        return ScopeUnder(f"/org:{organization}/")
    if isinstance(organization, str):
        try:
            return ScopeUnder(organization_path(organization))
        except (InvalidInputError, ValueError):
            pass
    raise InvalidInputError.for_field("organization", "Choose one of the listed organizations.")


class AssetService:
    """Find assets by number or plate and build the asset page.

    Args:
        storage: Where assets and the policy rows live.
        throttle: Lookup counters shared by every worker.
        clock: Where time comes from.
        registry: The permission catalogue.
        lookup_window: The window a tenant's lookup rate counts in.
        lookup_backoff_max: The longest block after too many lookups.
    """

    def __init__(
        self,
        storage: Storage,
        *,
        throttle: Throttle,
        clock: Clock,
        registry: perms.PermissionRegistry | None = None,
        lookup_window: dt.timedelta = dt.timedelta(minutes=1),
        lookup_backoff_max: dt.timedelta = dt.timedelta(hours=24),
    ) -> None:
        self._storage = storage
        self._throttle = throttle
        self._clock = clock
        self._registry = registry
        self._lookup_window = lookup_window
        self._lookup_backoff_max = lookup_backoff_max

    def _limit(self, principal: Principal, client_key: str | None, rate: int) -> None:
        rule = ThrottleRule(
            limit=max(1, rate), window=self._lookup_window, backoff_max=self._lookup_backoff_max
        )
        who = principal.user_id if principal.user_id is not None else principal.kind.value
        limits = [Limit(throttle_key("lookup", principal.tenant_id, "principal", who), rule)]
        if client_key:
            limits.append(
                Limit(throttle_key("lookup", principal.tenant_id, "client", client_key), rule)
            )
        acquire_all(self._throttle, limits, self._clock.now())

    def resolve(
        self,
        principal: Principal,
        text: str,
        *,
        organization: str | int | ScopeNode | None = None,
        region: str | None = None,
        client_key: str | None = None,
        policy: Policy | None = None,
    ) -> Resolution:
        """Find the asset whose number or plate is *text*, among those the principal may see.

        Args:
            principal: Who is looking.
            text: What they typed (at most 64 characters).
            organization: The organization chosen after an :class:`Ambiguous`
                answer (its id, path or node).
            region: The plate's region or state, when the host stores one.
            client_key: The client's address (from
                :func:`~portalkit._services.identity.client_key`), for the
                per-client limit.
            policy: The request's policy, if already loaded.

        Returns:
            :class:`Found`, :class:`Ambiguous` (organizations to choose from) or
            :data:`NOT_FOUND`.

        Raises:
            InvalidInputError: Empty, too long, or with control characters.
            ThrottledError: Too many lookups; ``retry_after`` says how long to wait.
        """
        key = lookup_key(text)
        only = _organization_filter(organization)
        region = lookup_region(region)
        if policy is None:
            with self._storage.unit_of_work(read_only=True) as uow:
                policy = load_policy(uow, principal, registry=self._registry)
        settings = policy.settings
        if settings.lookup_rate > 0:
            # Outside any transaction: the counters commit on their own (SQLite has one writer).
            self._limit(principal, client_key, settings.lookup_rate)
        with self._storage.unit_of_work(read_only=True) as uow:
            return self._resolve(
                uow,
                principal=principal,
                policy=policy,
                settings=settings,
                key=key,
                only=only,
                region=region,
            )

    def _resolve(
        self,
        uow: UnitOfWork,
        *,
        principal: Principal,
        policy: Policy,
        settings: TenantSettings,
        key: str,
        only: ScopeUnder | None,
        region: str | None,
    ) -> Resolution:
        options = LookupOptions(
            fold_similar=settings.lookup_fold_similar, match_plates=settings.lookup_plates
        )
        visible = policy.filter_for(principal, LOOKUP_PERMISSION)
        spec = all_of(lookup_filter(key, options, region), visible, *([only] if only else []))
        matches = uow.assets.find(principal.tenant_id, spec, limit=MAX_MATCHES)
        outcome = choose(matches, key)
        if not isinstance(outcome, list):
            return outcome
        ids = [organization_id(p) for p in outcome]
        names = {n.id: n.name for n in uow.scopes.get_many(principal.tenant_id, ids)}
        candidates = [
            Candidate(organization_path=p, organization_id=i, name=names.get(i, ""))
            for p, i in zip(outcome, ids, strict=True)
        ]
        candidates.sort(key=lambda c: (c.name.casefold(), c.organization_id))
        return Ambiguous(tuple(candidates))

    def get(self, principal: Principal, asset_id: int, *, policy: Policy | None = None) -> Asset:
        """The asset with *asset_id* if the principal may see it; NotFoundError otherwise."""
        with self._storage.unit_of_work(read_only=True) as uow:
            policy = policy or load_policy(uow, principal, registry=self._registry)
            asset = uow.assets.get(principal.tenant_id, asset_id)
        if asset is None or not policy.decide(principal, LOOKUP_PERMISSION, asset).allowed:
            raise NotFoundError()
        return asset

    def sections(
        self, principal: Principal, asset: Asset, *, policy: Policy | None = None
    ) -> Sections | NoAccess:
        """The asset page's sections the principal may see, or NoAccess (seed 000)."""
        if policy is None:
            with self._storage.unit_of_work(read_only=True) as uow:
                policy = load_policy(uow, principal, registry=self._registry)
        return policy.sections(principal, asset)

    def fields(
        self, principal: Principal, asset: Asset, *, policy: Policy | None = None
    ) -> list[tuple[str, Any]]:
        """The asset's fields *principal* may see, as (label, value) in display order.

        One rule (:func:`~portalkit.domain.field_access.fields_for`): the tenant
        shows the field (seed 002: hidden ones are left out, renamed ones carry
        the tenant's label) and the principal holds the field's permission at
        the asset's scope (seed 000: model, serial, customer ref and test
        history need ``asset.identification.view``). The organization's name
        is read only when the ``customer`` field is shown.
        """
        with self._storage.unit_of_work(read_only=True) as uow:
            policy = policy or load_policy(uow, principal, registry=self._registry)
            shown = fields_for(policy, principal, ASSET, asset)
            org = (
                uow.scopes.get_many(principal.tenant_id, [organization_id(asset.scope_path)])
                if any(f.name == "customer" for f in shown) else []
            )
        values = project(asset, shown, extra={"customer": org[0].name if org else ""}, keep=())
        return [(f.label, values[f.name]) for f in shown]
