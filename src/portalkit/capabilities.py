"""The capabilities as a request sees them: ``req.assets``, ``req.documents`` …

Each class binds one of the portal's services to a
:class:`~portalkit.PortalRequest`: the tenant, principal, policy and client
key come from the request, so its methods take only what the customer chose.
They are thin on purpose; the rules live in the services. Get them from the
request's attributes; do not build them directly.
"""

from __future__ import annotations

import builtins
import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from portalkit._boundary import guard_inputs
from portalkit._services.accounts import AccountService
from portalkit._services.actions import (
    Appointments,
    Maintenance,
    Meters,
    Quotes,
    Rentals,
    ServiceRequests,
)
from portalkit._services.appointments import AvailableSlot
from portalkit._services.assets import AssetService
from portalkit._services.documents import CreatedShare, DocumentService, Download
from portalkit._services.identity import ClaimTicket, IdentityService, SignIn
from portalkit._services.invitation_types import (
    AlreadySignedUp,
    Contact,
    SendOutcome,
    SendReport,
    SignedUp,
    SignUpForm,
)
from portalkit._services.invitations import InvitationService
from portalkit._services.jobs import JobService
from portalkit._services.mail_composer import reader_language
from portalkit._services.messages import MessageService, MessageView
from portalkit._services.registration import RegistrationService
from portalkit.domain.accounts import AccountSummary, Contract, Defect, ItemOut, KpiTile
from portalkit.domain.actions import (
    Appointment,
    CallOff,
    Meter,
    MeterReading,
    QuoteDecision,
    RentalItem,
    Schedule,
    ServiceRequest,
)
from portalkit.domain.invitations import Invitation, InvitationStatus
from portalkit.domain.pagination import Page
from portalkit.domain.policy import NoAccess, Sections
from portalkit.domain.principals import User
from portalkit.domain.records import Asset, Document, Job
from portalkit.domain.resolver import Resolution
from portalkit.domain.scopes import ScopeNode
from portalkit.domain.shares import ShareLink
from portalkit.domain.templates import EmailTemplate

if TYPE_CHECKING:
    from portalkit._request import PortalRequest

__all__ = [
    "RequestAccounts",
    "RequestAppointments",
    "RequestAssets",
    "RequestDocuments",
    "RequestInvitations",
    "RequestJobs",
    "RequestMaintenance",
    "RequestMessages",
    "RequestMeters",
    "RequestPasswordReset",
    "RequestProfile",
    "RequestQuotes",
    "RequestRegistration",
    "RequestRentals",
    "RequestServiceRequests",
]

S = TypeVar("S")

_WEEK = dt.timedelta(days=7)


class _Bound(Generic[S]):
    """A service bound to one request; every public method checks its arguments first."""

    __slots__ = ("_req", "_service")

    def __init__(self, service: S, request: PortalRequest) -> None:
        self._service = service
        self._req = request

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        guard_inputs(cls)


class RequestAssets(_Bound[AssetService]):
    """Find assets by number or plate and build the asset page. For this request: no tenant,
    principal, policy or client key to pass.
    """

    def resolve(
        self,
        text: str,
        *,
        organization: str | int | ScopeNode | None = None,
        region: str | None = None,
    ) -> Resolution:
        """Find the asset whose number or plate is *text*, among those the principal may see."""
        return self._service.resolve(
            self._req.principal,
            text,
            organization=organization,
            region=region,
            client_key=self._req.client_key,
            policy=self._req.policy,
        )

    def get(self, asset_id: int) -> Asset:
        """The asset with *asset_id* if the principal may see it; NotFoundError otherwise."""
        return self._service.get(self._req.principal, asset_id, policy=self._req.policy)

    def sections(self, asset: Asset) -> Sections | NoAccess:
        """The asset page's sections the principal may see, or NoAccess (seed 000)."""
        return self._service.sections(self._req.principal, asset, policy=self._req.policy)

    def fields(self, asset: Asset) -> builtins.list[tuple[str, Any]]:
        """The asset's fields the principal may see, as (label, value) in display order.

        The tenant shows the field (seed 002) and, for identification fields,
        the principal may view the asset's identification (seed 000).
        """
        return self._service.fields(self._req.principal, asset, policy=self._req.policy)


class RequestDocuments(_Bound[DocumentService]):
    """Use cases on documents for one portal (see the module docstring). For this request: no
    tenant, principal, policy or client key to pass.
    """

    def list(
        self,
        *,
        kind: str | Iterable[str] | None = None,
        status: str | Iterable[str] | None = None,
        number: str | None = None,
        issued_from: dt.date | None = None,
        issued_to: dt.date | None = None,
        sort: str = "-issued_on",
        size: int = 50,
        cursor: str | None = None,
        with_total: bool = False,
    ) -> Page[Document]:
        """A page of the documents *principal* may see, newest first by default."""
        return self._service.list(
            self._req.principal,
            kind=kind,
            status=status,
            number=number,
            issued_from=issued_from,
            issued_to=issued_to,
            sort=sort,
            size=size,
            cursor=cursor,
            with_total=with_total,
            policy=self._req.policy,
        )

    search = list  # the services' name for a list with criteria

    def count(
        self,
        *,
        kind: str | Iterable[str] | None = None,
        status: str | Iterable[str] | None = None,
        issued_from: dt.date | None = None,
        issued_to: dt.date | None = None,
    ) -> int:
        """How many documents *principal* may see (one SQL statement)."""
        return self._service.count(
            self._req.principal,
            kind=kind,
            status=status,
            issued_from=issued_from,
            issued_to=issued_to,
            policy=self._req.policy,
        )

    def latest(
        self, *, kind: str | Iterable[str] | None = None, limit: int = 5
    ) -> builtins.list[Document]:
        """The newest documents *principal* may see, for a "latest" widget (<= 20)."""
        return self._service.latest(
            self._req.principal, kind=kind, limit=limit, policy=self._req.policy
        )

    def get(self, document_id: int) -> Document:
        """The document if *principal* may see it (exactly when it is in their list)."""
        return self._service.get(self._req.principal, document_id, policy=self._req.policy)

    def download(self, document_id: int) -> Download:
        """The document's file, if the principal may see it now (audited); no token.

        Answer a page's "Download" POST with it: no token in any URL.
        """
        return self._service.download(
            self._req.principal, document_id, client_key=self._req.client_key,
            policy=self._req.policy,
        )

    def download_token(self, document_id: int) -> str:
        """A signed token that lets this principal, in this session, download the document once."""
        return self._service.download_token(
            self._req.principal, document_id, session=self._req.session_binding,
            policy=self._req.policy,
        )

    def open_download(self, token: str) -> Download:
        """The file behind a download token, once, if it is still visible to the principal now."""
        return self._service.open_download(
            self._req.principal, token, session=self._req.session_binding,
            client_key=self._req.client_key, policy=self._req.policy,
        )

    def share(
        self,
        document_id: int,
        *,
        recipient: str,
        actions: Iterable[str] = ("view", "download"),
        expires_in: dt.timedelta = _WEEK,
    ) -> CreatedShare:
        """Share one document with one recipient; returns the link's secret once."""
        return self._service.share(
            self._req.principal,
            document_id,
            recipient=recipient,
            actions=actions,
            expires_in=expires_in,
            client_key=self._req.client_key,
        )

    def shares(self, document_id: int) -> builtins.list[ShareLink]:
        """The share links of one document: all of them for staff, one's own for a customer."""
        return self._service.shares(self._req.principal, document_id)

    def revoke_share(self, share_id: int) -> ShareLink:
        """Revoke a link (staff: any link; a customer: their own). Idempotent."""
        return self._service.revoke_share(
            self._req.principal, share_id, client_key=self._req.client_key
        )


class RequestJobs(_Bound[JobService]):
    """Use cases on jobs for one portal. For this request: no tenant, principal, policy or client
    key to pass.
    """

    def project(self, jobs: Iterable[Job]) -> builtins.list[dict[str, Any]]:
        """Plain dicts of *jobs* with only the fields the tenant shows (plus ``id``)."""
        return self._service.project(self._req.principal, jobs, policy=self._req.policy)

    def list(
        self,
        *,
        scheduled_from: dt.date | None = None,
        scheduled_to: dt.date | None = None,
        site: int | None = None,
        asset: int | None = None,
        status: str | Iterable[str] | None = None,
        number: str | None = None,
        sort: str = "-scheduled_on",
        size: int = 50,
        cursor: str | None = None,
        with_total: bool = False,
    ) -> Page[Job]:
        """A page of the jobs *principal* may see, matching the search."""
        return self._service.list(
            self._req.principal,
            scheduled_from=scheduled_from,
            scheduled_to=scheduled_to,
            site=site,
            asset=asset,
            status=status,
            number=number,
            sort=sort,
            size=size,
            cursor=cursor,
            with_total=with_total,
            policy=self._req.policy,
        )

    search = list  # the services' name for a list with criteria

    def get(self, job_id: int) -> Job:
        """The job if *principal* may see it (exactly when it is in their list)."""
        return self._service.get(self._req.principal, job_id, policy=self._req.policy)


class RequestAccounts(_Bound[AccountService]):
    """Use cases behind the account pages, the asset list and the KPI tiles. For this request: no
    tenant, principal, policy or client key to pass.
    """

    def project_assets(self, assets: Iterable[Asset]) -> builtins.list[dict[str, Any]]:
        """Plain dicts of *assets* with only the fields the tenant shows (plus ``id``)."""
        return self._service.project_assets(self._req.principal, assets, policy=self._req.policy)

    def summary(self, *, organization: int | None = None) -> AccountSummary:
        """Balance and last payment of an organization the principal may see."""
        return self._service.summary(
            self._req.principal, organization=organization, policy=self._req.policy
        )

    def assets(
        self,
        *,
        number: str | None = None,
        asset_type: str | None = None,
        sort: str = "number",
        size: int = 50,
        cursor: str | None = None,
        with_total: bool = False,
    ) -> Page[Asset]:
        """A page of the assets *principal* may see (one query); *number* is normalized."""
        return self._service.assets(
            self._req.principal,
            number=number,
            asset_type=asset_type,
            sort=sort,
            size=size,
            cursor=cursor,
            with_total=with_total,
            policy=self._req.policy,
        )

    def contracts(self, *, organization: int | None = None) -> builtins.list[Contract]:
        """Contracts (number, status, items out) the principal may see, by number."""
        return self._service.contracts(
            self._req.principal, organization=organization, policy=self._req.policy
        )

    def items_out(
        self, *, organization: int | None = None, contract_number: str | None = None
    ) -> builtins.list[ItemOut]:
        """Items on rent the principal may see, optionally of one contract."""
        return self._service.items_out(
            self._req.principal,
            organization=organization,
            contract_number=contract_number,
            policy=self._req.policy,
        )

    def statements(
        self,
        *,
        issued_from: dt.date | None = None,
        issued_to: dt.date | None = None,
        size: int = 50,
        cursor: str | None = None,
    ) -> Page[Document]:
        """The statements *principal* may see, newest first, optionally by date range."""
        return self._service.statements(
            self._req.principal,
            issued_from=issued_from,
            issued_to=issued_to,
            size=size,
            cursor=cursor,
            policy=self._req.policy,
        )

    def statement_for(self, on: dt.date) -> Document:
        """The statement for a chosen date: the latest one issued on or before *on*."""
        return self._service.statement_for(self._req.principal, on, policy=self._req.policy)

    def kpi_tiles(
        self,
    ) -> builtins.list[KpiTile]:
        """The KPI tiles of the principal's groups, with values from the host, by key."""
        return self._service.kpi_tiles(self._req.principal, policy=self._req.policy)

    def defects(
        self,
        *,
        asset: int | None = None,
        status: str | Iterable[str] | None = None,
        reported_from: dt.date | None = None,
        reported_to: dt.date | None = None,
        sort: str = "-reported_on",
        size: int = 50,
        cursor: str | None = None,
        with_total: bool = False,
    ) -> Page[Defect]:
        """A page of the defects *principal* may see, searchable by asset (one query)."""
        return self._service.defects(
            self._req.principal,
            asset=asset,
            status=status,
            reported_from=reported_from,
            reported_to=reported_to,
            sort=sort,
            size=size,
            cursor=cursor,
            with_total=with_total,
            policy=self._req.policy,
        )


class RequestServiceRequests(_Bound[ServiceRequests]):
    """Request service on an asset (seed 000) or a job at a site (seed 002). For this request: no
    tenant, principal, policy or client key to pass.
    """

    def list(
        self, *, asset: int | Asset | None = None, limit: int = 50
    ) -> builtins.list[ServiceRequest]:
        """The principal's visible requests, newest first (service requests need Service Request
        View, job requests Jobs View).
        """
        return self._service.list(
            self._req.principal, asset=asset, limit=limit, policy=self._req.policy
        )

    def request_service(
        self,
        payload: Mapping[str, object] | None = None,
        /,
        *,
        idempotency_key: str | None = None,
        **fields: object,
    ) -> ServiceRequest:
        """Request service on an asset (``asset``, ``description``, optional ``job_type``)."""
        return self._service.request_service(
            self._req.principal,
            payload,
            idempotency_key=idempotency_key,
            client_key=self._req.client_key,
            policy=self._req.policy,
            **fields,
        )

    def request_job(
        self,
        payload: Mapping[str, object] | None = None,
        /,
        *,
        idempotency_key: str | None = None,
        **fields: object,
    ) -> ServiceRequest:
        """Request a job at one of the principal's sites (``site``, optional ``asset`` there,
        ``job_type``, ``description``).
        """
        return self._service.request_job(
            self._req.principal,
            payload,
            idempotency_key=idempotency_key,
            client_key=self._req.client_key,
            policy=self._req.policy,
            **fields,
        )


class RequestAppointments(_Bound[Appointments]):
    """View, book, move and cancel appointments (seed 000), each behind its permission. For this
    request: no tenant, principal, policy or client key to pass.
    """

    def list(
        self,
        *,
        asset: int | Asset | None = None,
        include_past: bool = False,
        include_cancelled: bool = False,
        limit: int = 100,
    ) -> builtins.list[Appointment]:
        """The appointments the principal may view (Customer Appointment View), soonest first."""
        return self._service.list(
            self._req.principal,
            asset=asset,
            include_past=include_past,
            include_cancelled=include_cancelled,
            limit=limit,
            policy=self._req.policy,
        )

    def available(
        self,
        asset: int | Asset,
        *,
        start: dt.datetime | None = None,
        end: dt.datetime | None = None,
    ) -> builtins.list[AvailableSlot]:
        """Slots with free places for *asset* between *start* (default now) and *end* (default: the
        booking horizon); never a slot in the past.
        """
        return self._service.available(
            self._req.principal, asset, start=start, end=end, policy=self._req.policy
        )

    def book(
        self,
        payload: Mapping[str, object] | None = None,
        /,
        *,
        idempotency_key: str | None = None,
        **fields: object,
    ) -> Appointment:
        """Book a slot for an asset (``asset``, ``starts_at``, optional ``location``, ``notes``)."""
        return self._service.book(
            self._req.principal,
            payload,
            idempotency_key=idempotency_key,
            client_key=self._req.client_key,
            policy=self._req.policy,
            **fields,
        )

    def reschedule(
        self,
        appointment: int | Appointment,
        payload: Mapping[str, object] | None = None,
        /,
        *,
        idempotency_key: str | None = None,
        **fields: object,
    ) -> Appointment:
        """Move an upcoming appointment to another slot and/or change its notes (``starts_at``,
        ``location``, ``notes``); needs Customer Appointment Add/Edit.
        """
        return self._service.reschedule(
            self._req.principal,
            appointment,
            payload,
            idempotency_key=idempotency_key,
            client_key=self._req.client_key,
            policy=self._req.policy,
            **fields,
        )

    def cancel(
        self, appointment: int | Appointment, *, idempotency_key: str | None = None
    ) -> Appointment:
        """Cancel an upcoming appointment (needs Customer Appointment Cancel)."""
        return self._service.cancel(
            self._req.principal,
            appointment,
            idempotency_key=idempotency_key,
            client_key=self._req.client_key,
            policy=self._req.policy,
        )


class RequestMeters(_Bound[Meters]):
    """Record meter readings for assets in scope (seed 000: Meter Reading Add/Edit). For this
    request: no tenant, principal, policy or client key to pass.
    """

    def meters(self, asset: int | Asset) -> builtins.list[Meter]:
        """The meters of an asset the principal may record readings for."""
        return self._service.meters(self._req.principal, asset, policy=self._req.policy)

    def readings(self, meter: int | Meter, *, limit: int = 20) -> builtins.list[MeterReading]:
        """A meter's readings, newest first."""
        return self._service.readings(
            self._req.principal, meter, limit=limit, policy=self._req.policy
        )

    def record(
        self,
        payload: Mapping[str, object] | None = None,
        /,
        *,
        idempotency_key: str | None = None,
        **fields: object,
    ) -> MeterReading:
        """Record a reading (``meter``, ``value``, optional ``read_at`` (default now), ``unit``
        (converted if it is another distance unit), ``is_replacement``).
        """
        return self._service.record(
            self._req.principal,
            payload,
            idempotency_key=idempotency_key,
            client_key=self._req.client_key,
            policy=self._req.policy,
            **fields,
        )


class RequestMaintenance(_Bound[Maintenance]):
    """An asset's upcoming and overdue PMs and SAs, each kind behind its permission. For this
    request: no tenant, principal, policy or client key to pass.
    """

    def schedule(self, asset: int | Asset, *, horizon_days: int | None = None) -> Schedule:
        """The schedule of *asset*: PMs if PMs View is allowed, SAs if SAs View is."""
        return self._service.schedule(
            self._req.principal, asset, horizon_days=horizon_days, policy=self._req.policy
        )


class RequestRentals(_Bound[Rentals]):
    """Items out on rent and calling them off (seed 004). For this request: no tenant, principal,
    policy or client key to pass.
    """

    def items_out(self, *, limit: int = 500) -> builtins.list[RentalItem]:
        """Items still out (not fully called off or returned) that the principal may see."""
        return self._service.items_out(self._req.principal, limit=limit, policy=self._req.policy)

    def call_off(
        self,
        payload: Mapping[str, object] | None = None,
        /,
        *,
        idempotency_key: str | None = None,
        **fields: object,
    ) -> builtins.list[CallOff]:
        """Ask for items to be picked up: ``items`` (``{item id: quantity}`` or a list of ``(item
        id, quantity)``), ``pickup_on`` (a date), optional ``notes``.
        """
        return self._service.call_off(
            self._req.principal,
            payload,
            idempotency_key=idempotency_key,
            client_key=self._req.client_key,
            policy=self._req.policy,
            **fields,
        )


class RequestQuotes(_Bound[Quotes]):
    """Approve, decline or ask for changes to a sent quote or proposal. For this request: no
    tenant, principal, policy or client key to pass.
    """

    def decisions(self, document: int | Document) -> builtins.list[QuoteDecision]:
        """The decisions recorded on a quote the principal can see, oldest first."""
        return self._service.decisions(self._req.principal, document, policy=self._req.policy)

    def approve(
        self,
        document: int | Document,
        *,
        signer_name: str,
        signature: str,
        idempotency_key: str | None = None,
    ) -> QuoteDecision:
        """Approve with a typed signature and the signer's name (both required)."""
        return self._service.approve(
            self._req.principal,
            document,
            signer_name=signer_name,
            signature=signature,
            idempotency_key=idempotency_key,
            client_key=self._req.client_key,
            policy=self._req.policy,
        )

    def decline(
        self, document: int | Document, *, reason: str, idempotency_key: str | None = None
    ) -> QuoteDecision:
        """Decline with a reason (required)."""
        return self._service.decline(
            self._req.principal,
            document,
            reason=reason,
            idempotency_key=idempotency_key,
            client_key=self._req.client_key,
            policy=self._req.policy,
        )

    def request_changes(
        self, document: int | Document, *, message: str, idempotency_key: str | None = None
    ) -> QuoteDecision:
        """Ask for changes with a message (required); the quote stays open."""
        return self._service.request_changes(
            self._req.principal,
            document,
            message=message,
            idempotency_key=idempotency_key,
            client_key=self._req.client_key,
            policy=self._req.policy,
        )


class RequestMessages(_Bound[MessageService]):
    """Broadcast messages of every tenant. For this request: no tenant, principal, policy or client
    key to pass.
    """

    def inbox(
        self,
    ) -> builtins.list[MessageView]:
        """The messages that apply to *principal* now, newest first, with read state."""
        return self._service.inbox(self._req.principal, policy=self._req.policy)

    def unread_count(
        self,
    ) -> int:
        """How many of the principal's current messages are unread."""
        return self._service.unread_count(self._req.principal, policy=self._req.policy)

    def mark_read(self, message_id: int) -> MessageView:
        """Mark a message read for this user (again is harmless)."""
        return self._service.mark_read(self._req.principal, message_id, policy=self._req.policy)


class RequestInvitations(_Bound[InvitationService]):
    """Invitations of every tenant, through the storage, signer and mailer ports. For this request:
    no tenant, principal, policy or client key to pass.
    """

    def show(self, token: str) -> SignUpForm | AlreadySignedUp:
        """What the invitation link shows (its GET): the sign-up form, or "already signed up"."""
        return self._service.show(self._req.tenant.id, token)

    def accept(self, token: str, password: str, password_again: str) -> SignedUp:
        """Sign up through an invitation: create the user with this password."""
        return self._service.accept(self._req.tenant.id, token, password, password_again)

    def send(
        self,
        contacts: Iterable[Contact | Mapping[str, Any]],
        *,
        template: EmailTemplate | None = None,
        scope_id: int | None = None,
        role: str | None = None,
        group: str | None = None,
        values: Mapping[str, str] | None = None,
        on_progress: Callable[[SendReport], None] | None = None,
        resume: bool = False,
    ) -> SendReport:
        """Invite *contacts* (any iterable, read lazily) and email each a sign-up link."""
        return self._service.send(
            self._req.principal,
            contacts,
            template=template,
            scope_id=scope_id,
            role=role,
            group=group,
            values=values,
            on_progress=on_progress,
            resume=resume,
        )

    def find(
        self,
        *,
        status: InvitationStatus | None = None,
        unsent: bool | None = None,
        limit: int = 100,
    ) -> builtins.list[Invitation]:
        """The tenant's invitations, newest first (for the staff screen)."""
        return self._service.find(self._req.principal, status=status, unsent=unsent, limit=limit)

    def resend(self, invitation_id: int, *, template: EmailTemplate | None = None) -> SendOutcome:
        """Send an invitation again with a new token; every older token stops working."""
        return self._service.resend(self._req.principal, invitation_id, template=template)

    def revoke(self, invitation_id: int) -> Invitation:
        """Withdraw an invitation; its links stop working at once."""
        return self._service.revoke(self._req.principal, invitation_id)


class RequestRegistration(_Bound[RegistrationService]):
    """Registration by proof, on the ports and settings of an :class:`IdentityService`. For this
    request: no tenant, principal, policy or client key to pass.
    """

    def claim(self, *, phone: str, email: str, postal_code: str) -> ClaimTicket:
        """Start registration by proof (seed 004): phone, plus email and postal code on file."""
        with reader_language(self._req.locale):
            return self._service.claim(
                self._req.tenant,
                phone=phone,
                email=email,
                postal_code=postal_code,
                client_key=self._req.client_key,
            )

    def complete_claim(
        self, ticket: str, *, code: str | None, password: str, confirmation: str | None
    ) -> SignIn:
        """Finish registration by proof: check the emailed code, create the user, sign in.

        This request goes on signed in as the new user
        (:attr:`~portalkit.PortalRequest.new_session` holds the cookie value).
        """
        result = self._service.complete_claim(
            self._req.tenant,
            ticket,
            code=code,
            password=password,
            confirmation=confirmation,
            client_key=self._req.client_key,
            user_agent=self._req.user_agent,
        )
        self._req._signed_in(result)
        return result


class RequestProfile(_Bound[IdentityService]):
    """The signed-in user's profile and password (AuthenticationError when nobody is)."""

    def change_password(
        self, current_password: str, new_password: str, confirmation: str | None
    ) -> SignIn:
        """Change the password; every other session of the user ends.

        This request goes on signed in with a new session
        (:attr:`~portalkit.PortalRequest.new_session`, to store in the cookie).
        """
        user = self._req._require_user()
        result = self._service.change_password(
            self._req.tenant,
            user.id,
            current_password,
            new_password,
            confirmation,
            client_key=self._req.client_key,
        )
        self._req._signed_in(result)
        return result

    def update(
        self,
        *,
        first_name: str,
        last_name: str,
        email: str,
        phone: str | None = None,
        current_password: str | None = None,
    ) -> User:
        """Update name and contact details (a new email or phone needs the current password)."""
        user = self._req._require_user()
        return self._service.update_profile(
            self._req.tenant,
            user.id,
            first_name=first_name,
            last_name=last_name,
            email=email,
            phone=phone,
            current_password=current_password,
            client_key=self._req.client_key,
        )


class RequestPasswordReset(_Bound[IdentityService]):
    """Password reset by emailed code; the answer never says whether an account exists."""

    def request(self, email: str) -> None:
        """Email a reset code to *email* if it belongs to a user (the same answer either way).

        The email is in the request's locale when one was given, else the tenant's.
        """
        with reader_language(self._req.locale):
            self._service.request_password_reset(
                self._req.tenant, email, client_key=self._req.client_key
            )

    def complete(self, email: str, code: str, password: str, confirmation: str | None) -> None:
        """Set a new password with the emailed code; every session of the user ends."""
        self._service.reset_password(
            self._req.tenant, email, code, password, confirmation, client_key=self._req.client_key
        )
