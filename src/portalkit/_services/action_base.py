"""Plumbing shared by the customer-action use cases (see :mod:`portalkit._services.actions`).

:class:`ActionService` runs every submitting use case the same way
(:meth:`ActionService._submit`): strict input, the idempotency key claimed
first, the access check, the action, its outbox event and its audit entry in
one unit of work; a denial audited in a unit of its own.

Every public read and write of the action services takes ``policy=``: the
request's compiled policy of the same principal (``portal.policy.policy_for``
once per request, ``pk.policy_from()`` in Flask). It is used instead of
loading the policy again, exactly like the documents and jobs services'
``policy=``; a policy of another tenant is a
:class:`~portalkit.errors.ConfigurationError`. With it, a read costs only its
own statements: the tenant record and the action settings are read only by
the use cases that need them.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import attrs

from portalkit._services import audit
from portalkit._services.listing import policy_in
from portalkit._services.policy import load_policy
from portalkit._services.throttle import Limit, acquire_all, throttle_key
from portalkit.domain.actions import (
    ActionSettings,
    IdempotencyKey,
    clean_idempotency_key,
    fingerprint,
    parse_id,
)
from portalkit.domain.events import OutboxEvent
from portalkit.domain.i18n import Msg
from portalkit.domain.identity import ThrottleRule
from portalkit.domain.policy import Policy, Target
from portalkit.domain.principals import Principal, PrincipalKind
from portalkit.domain.records import Asset
from portalkit.domain.scopes import ScopeNode
from portalkit.domain.tenants import Tenant
from portalkit.errors import (
    ConfigurationError,
    ConflictError,
    NotFoundError,
    PermissionDeniedError,
    PortalkitError,
    ThrottledError,
)
from portalkit.ports import Availability, Clock, Storage, Throttle, UnitOfWork

__all__ = [
    "ActionContext",
    "ActionService",
    "PolicyLoader",
    "iso",
    "load_one",
    "merge_fields",
    "settings_of",
    "timezone_of",
]

T = TypeVar("T")

#: The limit on customer-side writes when none is configured (see LimitsConfig).
ACTION_LIMIT = ThrottleRule(
    limit=100, window=dt.timedelta(hours=1), backoff_max=dt.timedelta(hours=1)
)

#: Loads the current access policy for a principal inside a unit of work
#: (:func:`portalkit._services.policy.load_policy` by default).
PolicyLoader = Callable[[UnitOfWork, Principal], Policy]


class _KeyTaken(Exception):
    """Another unit claimed the same idempotency key first; retry to read its result."""


class ActionContext:
    """What a use case sees inside its unit of work: tenant, policy, settings, now.

    The tenant record and the action settings are read from the unit the
    first time they are asked for (a list that needs neither costs no
    statement for them); :attr:`tenant_id` never needs a query.
    """

    __slots__ = (
        "_settings",
        "_tenant",
        "action",
        "client_key",
        "now",
        "policy",
        "principal",
        "uow",
    )

    def __init__(
        self,
        *,
        uow: UnitOfWork,
        policy: Policy,
        principal: Principal,
        now: dt.datetime,
        client_key: str | None,
        action: str = "",
        tenant: Tenant | None = None,
        settings: ActionSettings | None = None,
    ) -> None:
        self.uow = uow
        self.policy = policy
        self.principal = principal
        self.now = now
        self.client_key = client_key
        self.action = action
        self._tenant = tenant
        self._settings = settings

    @property
    def tenant_id(self) -> int:
        """The principal's tenant (no query)."""
        return self.principal.tenant_id

    @property
    def tenant(self) -> Tenant:
        """The tenant record, read once; NotFoundError if there is none."""
        if self._tenant is None:
            found = self.uow.tenants.get(self.principal.tenant_id)
            if found is None:
                raise NotFoundError()
            self._tenant = found
        return self._tenant

    @property
    def settings(self) -> ActionSettings:
        """The tenant's action settings, read once (defaults when none are stored)."""
        if self._settings is None:
            self._settings = settings_of(self.uow, self.principal.tenant_id)
        return self._settings


def _owner(principal: Principal) -> str:
    if principal.kind is PrincipalKind.USER:
        return f"user:{principal.user_id}"
    return str(principal.kind.value)


def merge_fields(
    payload: Mapping[str, object] | None, fields: Mapping[str, object]
) -> dict[str, object]:
    """A form payload and keyword fields as one dict (keywords win)."""
    data = dict(payload or {})
    data.update(fields)
    return data


def iso(value: dt.date | dt.datetime | None) -> str | None:
    """ISO 8601 text for an event payload (None stays None)."""
    return None if value is None else value.isoformat()


def timezone_of(name: str) -> dt.tzinfo:
    """The zone called *name*; ConfigurationError if unknown."""
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
        raise ConfigurationError(f"Unknown time zone {name!r} in the action settings.") from exc


class ActionService:
    """Base of the action use cases: tenant, policy, settings, idempotency, outbox, audit.

    Args:
        storage: The portal's storage.
        clock: Where time comes from.
        policy_loader: Loads the access policy (the policy service's by default).
        availability: The host's appointment calendar, if any.
        throttle: Counts submissions per principal and per client; None
            submits without limits (services built outside a Portal).
        per_principal: The limit per principal (``LimitsConfig.action_principal``).
        per_client: The limit per client key (``LimitsConfig.action_client``).
    """

    def __init__(
        self,
        storage: Storage,
        clock: Clock,
        *,
        policy_loader: PolicyLoader | None = None,
        availability: Availability | None = None,
        throttle: Throttle | None = None,
        per_principal: ThrottleRule = ACTION_LIMIT,
        per_client: ThrottleRule = ACTION_LIMIT,
    ) -> None:
        self._storage = storage
        self._clock = clock
        self._load_policy: PolicyLoader = policy_loader or load_policy
        self._availability = availability
        self._throttle = throttle
        self._per_principal = per_principal
        self._per_client = per_client

    # Context -----------------------------------------------------------------
    def _context(
        self,
        uow: UnitOfWork,
        principal: Principal,
        client_key: str | None,
        action: str = "",
        *,
        policy: Policy | None = None,
    ) -> ActionContext:
        """The context of one use case; *policy* (the request's) saves loading it again."""
        tenant: Tenant | None = None
        if policy is None:
            tenant = uow.tenants.get(principal.tenant_id)
            if tenant is None:
                raise NotFoundError()
        policy = policy_in(uow, principal, policy, self._load_policy)
        return ActionContext(
            uow=uow,
            tenant=tenant,
            policy=policy,
            principal=principal,
            now=self._clock.now(),
            client_key=client_key,
            action=action,
        )

    def _read(
        self,
        principal: Principal,
        body: Callable[[ActionContext], T],
        policy: Policy | None = None,
    ) -> T:
        with self._storage.unit_of_work(read_only=True) as uow:
            return body(self._context(uow, principal, None, policy=policy))

    @staticmethod
    def _require(ctx: ActionContext, action: str, resource: Asset | ScopeNode | Any) -> None:
        """Allow, or raise NotFound (nothing of it is visible) or PermissionDenied."""
        target = Target.of(resource) if isinstance(resource, ScopeNode) else resource
        if ctx.policy.decide(ctx.principal, action, target).allowed:
            return
        if ctx.policy.allowed_actions(ctx.principal, target):
            raise PermissionDeniedError()
        raise NotFoundError()

    @staticmethod
    def _asset(ctx: ActionContext, asset: object, action: str, field: str = "asset") -> Asset:
        asset_id = parse_id(field, asset)
        found = ctx.uow.assets.get(ctx.tenant_id, asset_id) if asset_id is not None else None
        if found is None:
            raise NotFoundError()
        ActionService._require(ctx, action, found)
        return found

    # Submitting ----------------------------------------------------------------
    def _submit(
        self,
        principal: Principal,
        *,
        action: str,
        values: Mapping[str, object],
        idempotency_key: object,
        client_key: str | None,
        perform: Callable[[ActionContext], tuple[T, str]],
        load: Callable[[UnitOfWork, int, str], T],
        policy: Policy | None = None,
    ) -> T:
        """Run *perform* once per idempotency key, in one unit of work with its events.

        *policy*, when given, is the request's policy of *principal* (it is not
        loaded again); it must be of the principal's tenant.
        """
        key = clean_idempotency_key(idempotency_key)
        print_ = fingerprint(action, values)
        owner = _owner(principal)
        self._limit(principal, action, owner, client_key)
        for _attempt in range(5):
            try:
                return self._submit_once(
                    principal,
                    action=action,
                    key=key,
                    print_=print_,
                    owner=owner,
                    client_key=client_key,
                    perform=perform,
                    load=load,
                    policy=policy,
                )
            except _KeyTaken:
                continue
            except (PermissionDeniedError, NotFoundError):
                self._audit_denied(principal, action, client_key)
                raise
        raise ConflictError(Msg("action.in_progress"))  # pragma: no cover - needs 5 races

    def _limit(
        self, principal: Principal, action: str, owner: str, client_key: str | None
    ) -> None:
        """Count one submission for the principal and the client; ThrottledError past a limit.

        Every submission counts (a refused one too), whatever the use case:
        the limits cap how much one principal or one client can write. A
        guest is counted by its client alone when the client is known.
        """
        if self._throttle is None:
            return
        tid = principal.tenant_id
        limits: list[Limit] = []
        if client_key:
            limits.append(
                Limit(throttle_key("action", tid, "client", client_key), self._per_client)
            )
        # Every anonymous visitor is the one guest principal: counting it when
        # the client is known would let one client block every visitor.
        if principal.kind is not PrincipalKind.GUEST or not client_key:
            limits.append(
                Limit(throttle_key("action", tid, "principal", owner), self._per_principal)
            )
        try:
            acquire_all(self._throttle, limits, self._clock.now())
        except ThrottledError:
            self._audit_denied(principal, action, client_key, outcome=audit.THROTTLED)
            raise

    def _audit_denied(
        self,
        principal: Principal,
        action: str,
        client_key: str | None,
        *,
        outcome: str = audit.DENIED,
    ) -> None:
        """Record a denial in a unit of its own; never hides the denial itself."""
        try:
            audit.record_now(
                self._storage,
                self._clock,
                tenant_id=principal.tenant_id,
                action=action,
                outcome=outcome,
                actor=principal,
                client_key=client_key,
            )
        except PortalkitError:  # e.g. a principal of an unknown tenant: nothing to attach to
            return

    def _submit_once(
        self,
        principal: Principal,
        *,
        action: str,
        key: str | None,
        print_: str,
        owner: str,
        client_key: str | None,
        perform: Callable[[ActionContext], tuple[T, str]],
        load: Callable[[UnitOfWork, int, str], T],
        policy: Policy | None,
    ) -> T:
        with self._storage.unit_of_work() as uow:
            tid = principal.tenant_id
            claim: IdempotencyKey | None = None
            if key is not None:
                existing = uow.actions.idempotency.get_by_key(tid, owner, key)
                if existing is not None:
                    if existing.action != action or existing.fingerprint != print_:
                        raise ConflictError(Msg("action.idempotency_mismatch"))
                    if existing.result_ref is None:  # pragma: no cover - committed with result
                        raise ConflictError(Msg("action.in_progress"))
                    return load(uow, tid, existing.result_ref)
                try:
                    claim = uow.actions.idempotency.add(
                        IdempotencyKey(
                            id=0,
                            tenant_id=tid,
                            owner=owner,
                            key=key,
                            action=action,
                            fingerprint=print_,
                            created_at=self._clock.now(),
                        )
                    )
                except ConflictError:
                    raise _KeyTaken() from None
            ctx = self._context(uow, principal, client_key, action, policy=policy)
            result, ref = perform(ctx)
            if claim is not None:
                uow.actions.idempotency.update(attrs.evolve(claim, result_ref=ref))
            uow.commit()
            return result

    def _emit(
        self,
        ctx: ActionContext,
        topic: str,
        payload: Mapping[str, Any],
        *,
        target: str,
        scope_path: str | None,
    ) -> None:
        """Add the outbox event and the audit entry of an action to its unit."""
        body = {
            "event_version": 1,
            "tenant_id": ctx.tenant_id,
            "tenant": ctx.tenant.slug,
            "user_id": ctx.principal.user_id,
            "principal": ctx.principal.kind.value,
            "client_key": ctx.client_key,
            **payload,
        }
        ctx.uow.outbox.add(
            OutboxEvent(
                id=0, tenant_id=ctx.tenant_id, topic=topic, payload=body, created_at=ctx.now
            )
        )
        audit.record(
            ctx.uow,
            self._clock,
            tenant_id=ctx.tenant_id,
            action=ctx.action or topic,
            outcome=audit.SUCCESS,
            actor=ctx.principal,
            target=target,
            scope_path=scope_path,
            client_key=ctx.client_key,
        )


def settings_of(uow: UnitOfWork, tenant_id: int) -> ActionSettings:
    """The tenant's action settings (defaults when none are stored)."""
    found = uow.actions.settings.find(tenant_id, limit=1)
    return ActionSettings.from_dict(found[0].data) if found else ActionSettings()


def load_one(
    uow: UnitOfWork, repo_get: Callable[[int, int], T | None], tid: int, ref: str
) -> T:
    """The record an idempotency key's result reference (``kind:id``) names."""
    found = repo_get(tid, int(ref.rsplit(":", 1)[1]))
    if found is None:  # pragma: no cover - the key and its result commit together
        raise NotFoundError()
    return found
