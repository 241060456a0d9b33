"""One HTTP request as one object: :meth:`Portal.request <portalkit.Portal.request>`.

A request resolves its tenant once, authenticates its session once, loads
the principal's policy at most once (on first use) and carries the client
key and locale, so no customer-facing call takes them again.

Every unit of work a service opens while the request is active joins the
request's single unit of work. The services are not told: the portal gives
them a :class:`RequestRouting` storage that hands out the active request's
unit (found through a context variable, so threads and async tasks each see
their own request). Reads run in one read-only transaction (a deferred
``BEGIN`` on SQLite: readers never wait). The first unit that may write turns
it into a writing one (:meth:`~portalkit.ports.UnitOfWork.begin_writes`: on
SQLite a new ``BEGIN IMMEDIATE`` transaction, which waits for the write lock
instead of failing when a read transaction cannot be upgraded). Each writing
unit runs inside a savepoint, so a service that fails or does not commit
leaves no trace, exactly as its own transaction would have. Everything the
request wrote commits when its block ends without an exception, and nothing
does otherwise.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import hashlib
from types import TracebackType
from typing import TYPE_CHECKING, Any

from portalkit._boundary import guard_inputs
from portalkit._request_units import RequestRouting
from portalkit._services.identity import SessionInfo, SignIn
from portalkit._services.policy import load_policy
from portalkit.capabilities import (
    RequestAccounts,
    RequestAppointments,
    RequestAssets,
    RequestDocuments,
    RequestInvitations,
    RequestJobs,
    RequestMaintenance,
    RequestMessages,
    RequestMeters,
    RequestPasswordReset,
    RequestPeople,
    RequestProfile,
    RequestQuotes,
    RequestRegistration,
    RequestRentals,
    RequestSecondFactors,
    RequestServiceRequests,
)
from portalkit.domain.policy import Policy, Resource
from portalkit.domain.principals import Principal, PrincipalKind, User
from portalkit.domain.scopes import ScopeNode, organization_id
from portalkit.domain.sessions import SessionSummary
from portalkit.domain.tenants import Tenant, require_open
from portalkit.errors import AuthenticationError, InvalidTokenError, PortalkitError
from portalkit.ports import UnitOfWork
from portalkit.web.clients import client_key as make_client_key

if TYPE_CHECKING:
    from portalkit._portal import Portal

__all__ = ["PortalRequest"]

_ENDED = "This request has ended: use the request object only inside its `with` block."


@guard_inputs
class PortalRequest:
    """One request to the portal: who asks, for which tenant, from where, in one transaction.

    Made by :meth:`Portal.request <portalkit.Portal.request>`; use it as a
    context manager. Inside the block:

    - :attr:`tenant`, :attr:`principal`, :attr:`user` and :attr:`client_key`
      are known; :attr:`policy` loads on first use, once;
    - the capability attributes (:attr:`assets`, :attr:`documents`, …) take
      no tenant, principal, policy or client key;
    - :meth:`sign_in` / :meth:`sign_out` change who the request runs as and
      leave the cookie value to set (:attr:`new_session`) or to clear
      (:attr:`clear_session`).

    When the block ends without an exception, everything the request wrote
    commits at once; an exception rolls all of it back. Using the object
    after its block ended raises :class:`RuntimeError`.
    """

    def __init__(
        self,
        portal: Portal,
        routing: RequestRouting,
        *,
        tenant: str | Tenant | None,
        session: str | None,
        client: str | None,
        locale: str | None,
        user_agent: str | None,
    ) -> None:
        self._portal = portal
        self._routing = routing
        self._tenant_arg = tenant
        self._session_value = session or None
        #: The client's key for throttling and audit (from the *client* address).
        self.client_key: str | None = make_client_key(client) if client else None
        #: The locale asked for (``"es"``), or None for the tenant's default.
        self.locale = locale
        #: The client's user agent, kept as the session's label on sign-in.
        self.user_agent = user_agent
        #: A session value to store in the cookie (after :meth:`sign_in`).
        self.new_session: str | None = None
        #: True when the cookie's session value must be cleared (signed out,
        #: or the value was expired, revoked, forged or of another tenant).
        self.clear_session = False
        self._state = "new"
        self._context_token: contextvars.Token[PortalRequest | None] | None = None
        self._uow: UnitOfWork | None = None
        self._writes = False
        self._tenant: Tenant | None = None
        self._principal: Principal | None = None
        self._user: User | None = None
        self._policy: Policy | None = None
        self._touch: int | None = None  # the session whose "last seen" is due
        self._remembered: dict[str, dict[tuple[int, ...], Any]] = {}

    # The block -------------------------------------------------------------
    def __enter__(self) -> PortalRequest:
        if self._state != "new":
            raise RuntimeError("A request object can be used for one `with` block only.")
        if self._routing.active.get() is not None:
            raise RuntimeError("A request of this portal is already active in this context.")
        self._state = "open"
        self._context_token = self._routing.active.set(self)
        try:
            self._start()
        except BaseException as exc:
            self._finish(exc)
            raise
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._finish(exc)

    def _finish(self, exc: BaseException | None) -> None:
        touch, self._touch = self._touch, None
        if exc is None and touch is not None and self._writes and self._state == "open":
            self._touch_session(touch, wait=True)  # rides on the request's own write
            touch = None
        uow, self._uow = self._uow, None
        self._state = "closed"
        try:
            if uow is not None:
                try:
                    if exc is None and self._writes:
                        uow.commit()
                finally:
                    uow.__exit__(type(exc) if exc else None, exc, None)
        finally:
            if self._context_token is not None:
                try:
                    self._routing.active.reset(self._context_token)
                except ValueError:  # ended in another context than it began (a thread pool)
                    self._routing.active.set(None)
                self._context_token = None
        if touch is not None and self._tenant is not None:
            # A read-only request stays read-only: "last seen" (at most once per
            # interval) is one small write of its own, after the reads ended,
            # that never waits for another writer.
            self._touch_session(touch, wait=False)

    def _touch_session(self, session_id: int, *, wait: bool) -> None:
        assert self._tenant is not None
        # "Last seen" is a convenience: if it cannot be written, the next request tries.
        with contextlib.suppress(PortalkitError):
            self._portal.identity.touch(self._tenant, session_id, wait=wait)

    def _unit(self, *, writes: bool) -> UnitOfWork:
        """The request's one unit of work, opened on first use, writing when asked."""
        if self._state != "open":
            raise RuntimeError(_ENDED)
        uow = self._uow
        if uow is None:
            uow = self._routing.storage.unit_of_work(read_only=not writes)
            uow.__enter__()
            self._uow = uow
            self._writes = writes
        elif writes and not self._writes:
            uow.begin_writes()
            self._writes = True
            self._remembered.clear()  # from now on the request may change what it read
        return uow

    def _open(self) -> None:
        if self._state != "open":
            raise RuntimeError(_ENDED)

    # Who and where ---------------------------------------------------------
    def _start(self) -> None:
        """Resolve the tenant and the session: one read when the tenant is named by slug."""
        identity = self._portal.identity
        info: SessionInfo | None = None
        if isinstance(self._tenant_arg, Tenant):
            tenant = self._tenant_arg
            if self._session_value is not None:
                try:
                    info = identity.authenticate(tenant, self._session_value)
                except (InvalidTokenError, AuthenticationError):
                    info = None
        else:
            slug = self._tenant_arg or self._portal.default_tenant
            tenant, info = identity.authenticate_in(slug, self._session_value)
        self._tenant = tenant
        self._remembered["tenants"] = {(tenant.id,): tenant}
        if info is not None:
            self._principal, self._user = info.principal, info.user
            self._touch = info.session_id if info.touch_due else None
            return
        if self._session_value is not None:  # expired, ended, forged or another tenant's
            self._session_value = None
            self.clear_session = True
        self._principal = Principal(tenant_id=tenant.id, kind=PrincipalKind.GUEST)

    @property
    def session_binding(self) -> str | None:
        """What tokens bound to this browser session are bound to (None when signed out).

        A digest of the session value, never the value itself.
        """
        self._open()
        value = self._session_value
        return None if value is None else hashlib.sha256(value.encode()).hexdigest()

    @property
    def tenant(self) -> Tenant:
        """The tenant this request is for."""
        self._open()
        assert self._tenant is not None
        return self._tenant

    @property
    def principal(self) -> Principal:
        """Who the request runs as: the signed-in user, else the tenant's guest.

        The guest principal holds the tenant's guest grants when the tenant
        requires no login, and nothing otherwise.
        """
        self._open()
        assert self._principal is not None
        return self._principal

    @property
    def user(self) -> User | None:
        """The signed-in user, or None."""
        self._open()
        return self._user

    @property
    def signed_in(self) -> bool:
        """Whether a user is signed in."""
        return self.user is not None

    @property
    def must_sign_in(self) -> bool:
        """True when nobody is signed in and the tenant requires a login.

        The integrations send such a visitor to the sign-in page; the guest
        principal of such a tenant is granted nothing anyway.
        """
        return not self.signed_in and self.tenant.settings.login_required

    @property
    def policy(self) -> Policy:
        """The principal's access policy, loaded on first use and kept for the request."""
        self._open()
        if self._policy is None:
            if self.principal.kind is PrincipalKind.GUEST:
                require_open(self.tenant)
            with self._routing.unit_of_work(read_only=True) as uow:
                self._policy = load_policy(
                    uow,
                    self.principal,
                    registry=self._portal._registry,
                    tenant=self._tenant,
                    known_users=(self._user,) if self._user is not None else (),
                )
        return self._policy

    def explain(self, action: str, resource: Resource) -> str:
        """Why the principal may or may not take *action* on *resource*, in words.

        For staff and developers, never for customers. For documents the
        document rules (drafts, approval, switched-off kinds) come first, so
        the answer agrees with what this principal actually gets.
        """
        return self._portal.policy.explain(self.principal, action, resource, policy=self.policy)

    def _require_user(self) -> User:
        user = self.user
        if user is None:
            raise AuthenticationError("Sign in to continue.")
        return user

    # Signing in and out ----------------------------------------------------
    def sign_in(self, identifier: str, password: str) -> SignIn:
        """Sign in by email, username or phone number and password.

        The request runs as the new user from here on; store
        ``result.session`` (also :attr:`new_session`) in the session cookie.

        Raises:
            AuthenticationError: For every kind of failure (one message).
            ThrottledError: Too many failures for this account or client.
            SecondFactorRequired: The password was right but the user must
                give a second factor (or enrol one): no session yet. Catch it
                inside the request's block (its pending state is a write of
                this request) and finish with :attr:`second_factors`.
        """
        self._open()
        result = self._portal.identity.login(
            self.tenant, identifier, password, client_key=self.client_key,
            user_agent=self.user_agent,
        )
        self._signed_in(result)
        return result

    def _signed_in(self, result: SignIn) -> None:
        previous = self._session_value
        if previous is not None and previous != result.session:
            # A new sign-in replaces this browser's session: the old token ends
            # on the server (ASVS V7.2.4), not only in the cookie.
            self._portal.identity.sign_out(self.tenant, previous, client_key=self.client_key)
        self._principal, self._user, self._policy = result.principal, result.user, None
        self._session_value = self.new_session = result.session
        self._touch = None
        self.clear_session = False

    def sign_out(self) -> None:
        """End this request's session on the server; the rest of the request runs as a guest.

        A copy of the session value stops working at once; the user's other
        sessions go on.
        """
        self._open()
        if self._session_value is not None and self._user is not None:
            self._portal.identity.sign_out(
                self.tenant, self._session_value, client_key=self.client_key
            )
        self._forget_user()

    def _forget_user(self) -> None:
        self._principal = Principal(tenant_id=self.tenant.id, kind=PrincipalKind.GUEST)
        self._user, self._policy, self.new_session = None, None, None
        self._session_value, self._touch = None, None
        self.clear_session = True

    def sign_out_everywhere(self) -> None:
        """End every session of the signed-in user, this one included."""
        user = self._require_user()
        self._portal.identity.sign_out_everywhere(self.tenant, user.id, client_key=self.client_key)
        self._forget_user()

    def sessions(self) -> list[SessionSummary]:
        """The signed-in user's live sessions ("where you're signed in"); this one is current."""
        user = self._require_user()
        return self._portal.identity.sessions(self.tenant, user.id, current=self._session_value)

    def end_session(self, session_id: int) -> None:
        """End one of the signed-in user's sessions (ending this one signs the request out).

        Raises:
            NotFoundError: Not a live session of this user.
        """
        user = self._require_user()
        current = [s.id for s in self.sessions() if s.current]
        self._portal.identity.end_session(
            self.tenant, user.id, session_id, client_key=self.client_key
        )
        if session_id in current:
            self._forget_user()

    # One login, many customer accounts -------------------------------------
    def organizations(self) -> list[ScopeNode]:
        """The organizations the principal can act in, by name: what an account switcher offers.

        Narrowing (:meth:`switch_organization`) does not shrink the list.
        """
        ids = self.policy.organization_ids(self.principal)
        if not ids:
            return []
        with self._routing.unit_of_work(read_only=True) as uow:
            nodes = uow.scopes.get_many(self.tenant.id, ids)
        return sorted(nodes, key=lambda node: (node.name.casefold(), node.id))

    @property
    def organization(self) -> int | None:
        """The organization this request is narrowed to, or None (all of the principal's)."""
        path = self.principal.active_organization
        return None if path is None else organization_id(path)

    def switch_organization(self, organization: int | None) -> None:
        """Narrow the rest of the request to one of :meth:`organizations` (None: all of them).

        Lists, pages and account views then show that organization's records
        only; keep the choice in the session and switch again on each request.

        Raises:
            PermissionDeniedError: not one of the principal's organizations.
        """
        self._principal = self.policy.narrow(self.principal, organization)

    # Capabilities ----------------------------------------------------------
    @functools.cached_property
    def assets(self) -> RequestAssets:
        """Asset lookup by number or plate, and the asset page."""
        return RequestAssets(self._portal.assets, self)

    @functools.cached_property
    def documents(self) -> RequestDocuments:
        """Documents with visibility rules, downloads and share links."""
        return RequestDocuments(self._portal.documents, self)

    @functools.cached_property
    def jobs(self) -> RequestJobs:
        """Jobs and their search."""
        return RequestJobs(self._portal.jobs, self)

    @functools.cached_property
    def accounts(self) -> RequestAccounts:
        """Balance, statements, contracts, items out, assets, KPI tiles."""
        return RequestAccounts(self._portal.accounts, self)

    @functools.cached_property
    def requests(self) -> RequestServiceRequests:
        """Service and job requests."""
        return RequestServiceRequests(self._portal.requests, self)

    @functools.cached_property
    def appointments(self) -> RequestAppointments:
        """Appointments: slots, booking, rescheduling, cancelling."""
        return RequestAppointments(self._portal.appointments, self)

    @functools.cached_property
    def meters(self) -> RequestMeters:
        """Meters and meter readings."""
        return RequestMeters(self._portal.meters, self)

    @functools.cached_property
    def maintenance(self) -> RequestMaintenance:
        """Preventive maintenance schedules."""
        return RequestMaintenance(self._portal.maintenance, self)

    @functools.cached_property
    def rentals(self) -> RequestRentals:
        """Items on rent and call-off."""
        return RequestRentals(self._portal.rentals, self)

    @functools.cached_property
    def quotes(self) -> RequestQuotes:
        """Quote decisions: approve, decline, request changes."""
        return RequestQuotes(self._portal.quotes, self)

    @functools.cached_property
    def messages(self) -> RequestMessages:
        """Broadcast messages for the principal."""
        return RequestMessages(self._portal.messages, self)

    @functools.cached_property
    def invitations(self) -> RequestInvitations:
        """Invitations: accepting one, and sending them as the principal."""
        return RequestInvitations(self._portal.invitations, self)

    @functools.cached_property
    def people(self) -> RequestPeople:
        """The organization's own portal users (for holders of ``people.manage``)."""
        return RequestPeople(self._portal.people, self)

    @functools.cached_property
    def registration(self) -> RequestRegistration:
        """Registration by phone + email + postal code."""
        return RequestRegistration(self._portal.registration, self)

    @functools.cached_property
    def profile(self) -> RequestProfile:
        """The signed-in user's profile and password."""
        return RequestProfile(self._portal.identity, self)

    @functools.cached_property
    def second_factors(self) -> RequestSecondFactors:
        """Authenticator apps, recovery codes, and the second step of signing in."""
        return RequestSecondFactors(self._portal.second_factors, self)

    @functools.cached_property
    def password_reset(self) -> RequestPasswordReset:
        """Password reset by emailed code."""
        return RequestPasswordReset(self._portal.identity, self)

    def __repr__(self) -> str:
        slug = self._tenant.slug if self._tenant is not None else self._tenant_arg
        return f"<PortalRequest tenant={slug!r} {self._state}>"
