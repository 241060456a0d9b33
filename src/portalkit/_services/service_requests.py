"""Service requests (seed 000) and job requests (seed 002) by customers."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

from portalkit import perms
from portalkit._services.account_flow import is_staff
from portalkit._services.action_base import (
    ActionContext,
    ActionService,
    load_one,
    merge_fields,
)
from portalkit.domain.actions import (
    CONTACT_FIELDS,
    RequestKind,
    ServiceRequest,
    check_fields,
    clean_contact,
    clean_text,
    parse_id,
)
from portalkit.domain.contact import PhoneNormalizer
from portalkit.domain.filters import Eq, all_of, any_of
from portalkit.domain.i18n import Msg
from portalkit.domain.policy import Policy
from portalkit.domain.principals import Principal, PrincipalKind
from portalkit.domain.records import Asset, Job
from portalkit.domain.scopes import ScopeKind
from portalkit.errors import (
    InvalidInputError,
    NotFoundError,
)

__all__ = [
    "ServiceRequests",
]


class ServiceRequests(ActionService):
    """Request service on an asset (seed 000) or a job at a site (seed 002).

    Args:
        phones: Normalizes a request's contact phone number to E.164 (kept as
            typed when None); the other arguments are :class:`ActionService`'s.
    """

    JOB_FIELDS = frozenset({"site", "asset", "job_type", "description"})
    SERVICE_FIELDS = frozenset({"asset", "job_type", "description", *CONTACT_FIELDS})

    def __init__(self, *args: Any, phones: PhoneNormalizer | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._phones = phones

    def request_job(
        self,
        principal: Principal,
        payload: Mapping[str, object] | None = None,
        /,
        *,
        idempotency_key: str | None = None,
        client_key: str | None = None,
        policy: Policy | None = None,
        **fields: object,
    ) -> ServiceRequest:
        """Request a job at one of the principal's sites (``site``, optional ``asset``
        there, ``job_type``, ``description``).

        It becomes an unscheduled job with the tenant's default status (visible
        at once in the job list) and a ``job.requested`` event.

        Raises:
            InvalidInputError: a bad or unexpected field (nothing is stored).
            NotFoundError: the site or asset is not one of the principal's.
            PermissionDeniedError: the principal may not request jobs there.
        """
        data = merge_fields(payload, fields)
        check_fields(data, self.JOB_FIELDS)
        values = {
            "site": parse_id("site", data.get("site")),
            "asset": parse_id("asset", data.get("asset"), required=False),
            "job_type": data.get("job_type"),
            "description": data.get("description"),
        }
        return self._submit(
            principal,
            action="job.request",
            values=values,
            idempotency_key=idempotency_key,
            client_key=client_key,
            policy=policy,
            perform=lambda ctx: self._create(ctx, RequestKind.JOB, values),
            load=lambda uow, tid, ref: load_one(uow, uow.actions.requests.get, tid, ref),
        )

    def request_service(
        self,
        principal: Principal,
        payload: Mapping[str, object] | None = None,
        /,
        *,
        idempotency_key: str | None = None,
        client_key: str | None = None,
        policy: Policy | None = None,
        **fields: object,
    ) -> ServiceRequest:
        """Request service on an asset (``asset``, ``description``, optional ``job_type``).

        ``contact_name``, ``contact_phone`` and ``contact_email`` say how to
        reach whoever asked: a guest must give a name and a phone number or an
        email address (they are all the staff will know), a user may. The
        phone number is stored in E.164 when the portal has a phone normalizer.

        Raises:
            InvalidInputError: a bad or unexpected field (nothing is stored).
            NotFoundError: the asset is not one of the principal's.
            PermissionDeniedError: the principal may not request service on it.
        """
        data = merge_fields(payload, fields)
        check_fields(data, self.SERVICE_FIELDS)
        values = {
            "asset": parse_id("asset", data.get("asset")),
            "job_type": data.get("job_type"),
            "description": data.get("description"),
            **{name: data.get(name) for name in CONTACT_FIELDS},
        }
        return self._submit(
            principal,
            action="service_request.create",
            values=values,
            idempotency_key=idempotency_key,
            client_key=client_key,
            policy=policy,
            perform=lambda ctx: self._create(ctx, RequestKind.SERVICE, values),
            load=lambda uow, tid, ref: load_one(uow, uow.actions.requests.get, tid, ref),
        )

    def _create(
        self, ctx: ActionContext, kind: RequestKind, values: Mapping[str, Any]
    ) -> tuple[ServiceRequest, str]:
        s = ctx.settings
        job_type = clean_text("job_type", values["job_type"], max_length=60)
        if s.job_types is not None and job_type and job_type not in s.job_types:
            raise InvalidInputError.for_field("job_type", Msg("field.not_a_choice"))
        description = clean_text(
            "description",
            values["description"],
            max_length=s.description_max_length,
            required=kind is RequestKind.SERVICE,
        )
        contact = clean_contact(
            values.get("contact_name"),
            values.get("contact_phone"),
            values.get("contact_email"),
            required=kind is RequestKind.SERVICE and ctx.principal.kind is PrincipalKind.GUEST,
            phones=self._phones,
            region=ctx.tenant.settings.default_region
            if values.get("contact_phone") else "US",
        )
        tid = ctx.tenant_id
        asset: Asset | None = None
        if kind is RequestKind.JOB:
            site = ctx.uow.scopes.get(tid, values["site"])
            if site is None:
                raise NotFoundError()
            self._require(ctx, perms.JOB_REQUEST, site)
            if site.kind is not ScopeKind.SITE:
                raise InvalidInputError.for_field("site", Msg("action.site_not_a_site"))
            if values["asset"] is not None:
                asset = self._asset(ctx, values["asset"], perms.JOB_REQUEST)
                if not asset.scope_path.startswith(site.path):
                    raise InvalidInputError.for_field("asset", Msg("action.asset_not_at_site"))
            scope_id, scope_path = site.id, site.path
        else:
            asset = self._asset(ctx, values["asset"], perms.SERVICE_REQUEST_EDIT)
            scope_id, scope_path = asset.scope_id, asset.scope_path
        request = ctx.uow.actions.requests.add(
            ServiceRequest(
                id=0,
                tenant_id=tid,
                scope_id=scope_id,
                scope_path=scope_path,
                kind=kind.value,
                status=s.default_job_status,
                job_type=job_type,
                description=description,
                asset_id=asset.id if asset else None,
                requested_by=ctx.principal.user_id,
                created_at=ctx.now,
                contact_name=contact.name,
                contact_phone=contact.phone,
                contact_email=contact.email,
            )
        )
        job_key: str | None = None
        if kind is RequestKind.JOB:
            job_key = f"portalkit-request:{request.id}"
            job = ctx.uow.jobs.add(
                Job(
                    id=0,
                    tenant_id=tid,
                    scope_id=scope_id,
                    scope_path=scope_path,
                    number=f"REQ-{request.id}",
                    status=s.default_job_status,
                    job_type=job_type,
                    notes=description,
                    asset_id=request.asset_id,
                    external_key=job_key,
                    created_at=ctx.now,
                )
            )
            request = attrs.evolve(request, job_id=job.id)
            ctx.uow.actions.requests.update(request)
        topic = "job.requested" if kind is RequestKind.JOB else "service_request.created"
        self._emit(
            ctx,
            topic,
            {
                "request_id": request.id,
                "kind": request.kind,
                "status": request.status,
                "scope_id": scope_id,
                "scope_path": scope_path,
                "asset_id": request.asset_id,
                "job_type": job_type,
                "description": description,
                "job_id": request.job_id,
                "job_external_key": job_key,
                "contact_name": contact.name,
                "contact_phone": contact.phone,
                "contact_email": contact.email,
            },
            target=f"service_request:{request.id}",
            scope_path=scope_path,
        )
        return request, f"service_request:{request.id}"

    def list(
        self,
        principal: Principal,
        *,
        asset: int | Asset | None = None,
        limit: int = 50,
        policy: Policy | None = None,
    ) -> list[ServiceRequest]:
        """The principal's visible requests, newest first (service requests need
        Service Request View, job requests Jobs View).

        A request's contact details are shown to staff and to the user who
        asked; for anyone else they are None.
        """

        def body(ctx: ActionContext) -> list[ServiceRequest]:
            visible = any_of(
                all_of(
                    Eq("kind", RequestKind.SERVICE.value),
                    ctx.policy.filter_for(principal, perms.SERVICE_REQUEST_VIEW),
                ),
                all_of(
                    Eq("kind", RequestKind.JOB.value),
                    ctx.policy.filter_for(principal, perms.JOB_VIEW),
                ),
            )
            if asset is not None:
                visible = all_of(visible, Eq("asset_id", parse_id("asset", asset)))
            found = ctx.uow.actions.requests.find(
                ctx.tenant_id, visible, order_by=("-created_at",), limit=max(1, min(limit, 500))
            )
            return _contacts_for(ctx, found)

        return self._read(principal, body, policy)


def _contacts_for(ctx: ActionContext, requests: list[ServiceRequest]) -> list[ServiceRequest]:
    """*requests* with the contact details this principal may not see taken out.

    The user is read (one statement) only when some request carries a contact.
    """
    if not any(r.contact_name or r.contact_phone or r.contact_email for r in requests):
        return requests
    if is_staff(ctx.uow, ctx.principal):
        return requests
    me = ctx.principal.user_id if ctx.principal.kind is PrincipalKind.USER else None
    return [
        r if me is not None and r.requested_by == me
        else attrs.evolve(r, contact_name=None, contact_phone=None, contact_email=None)
        for r in requests
    ]
