"""The :class:`Portal` facade: the one object a host application holds.

It is also the composition root: :meth:`Portal.from_url` builds the storage
adapter, and each capability's service is created here with the ports it needs.
Nothing is built at import time.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any

from portalkit import perms
from portalkit._boundary import guarded, guarded_leniently
from portalkit._portal_defaults import MIN_SECRET_BYTES, NoMailer, secret_keys
from portalkit._request import PortalRequest
from portalkit._request_units import RequestRouting
from portalkit._services.accounts import AccountService
from portalkit._services.actions import (
    ActionRecords,
    ActionSync,
    Appointments,
    Maintenance,
    Meters,
    Quotes,
    Rentals,
    ServiceRequests,
)
from portalkit._services.admin import AdminSession
from portalkit._services.assets import AssetService
from portalkit._services.audit import AuditTrail
from portalkit._services.documents import DocumentService
from portalkit._services.events import EventFeed
from portalkit._services.identity import IdentityService, SignIn, set_password
from portalkit._services.invitations import InvitationService
from portalkit._services.jobs import JobService
from portalkit._services.mail_composer import MailComposer
from portalkit._services.messages import MessageService
from portalkit._services.people import PeopleService
from portalkit._services.policy import PolicyService, load_policy
from portalkit._services.registration import RegistrationService
from portalkit._services.second_factors import SecondFactorService
from portalkit._services.sync import (
    AssetRow,
    BulkReport,
    CustomerRow,
    upsert_assets,
    upsert_customers,
)
from portalkit.adapters.clock import SystemClock
from portalkit.adapters.crypto import Argon2idHasher
from portalkit.adapters.phones import PhonenumbersNormalizer, phonenumbers_available
from portalkit.adapters.second_factors import AesGcmSecretBox, PyotpTotp
from portalkit.adapters.tokens import ItsdangerousTokenSigner
from portalkit.config import PortalConfig
from portalkit.domain.i18n import Msg
from portalkit.domain.mail import check_mail_settings
from portalkit.domain.principals import Principal, PrincipalKind, User
from portalkit.domain.tenants import Tenant, TenantSettings, validate_slug
from portalkit.errors import (
    ConfigurationError,
    DatabaseUnavailableError,
    NotFoundError,
    SchemaOutdatedError,
)
from portalkit.ports import (
    AccountSource,
    Availability,
    Clock,
    DocumentSource,
    KpiSource,
    Mailer,
    PasswordHasher,
    Storage,
    UnitOfWork,
)
from portalkit.web import CsrfTokens

__all__ = ["MIN_SECRET_BYTES", "Portal"]

DEFAULT_URL = "sqlite:///portalkit.db"


def storage_from_url(url: str, **engine_options: Any) -> Storage:
    """Build the storage adapter for *url*.

    ``memory://`` gives the in-memory adapter; anything else is a SQLAlchemy
    database URL (``sqlite:///portal.db``, ``postgresql+psycopg://…``).
    """
    if not isinstance(url, str) or not url:
        raise ConfigurationError("The database URL must be a non-empty string.")
    if url == "memory://":
        from portalkit.adapters.memory import MemoryStorage  # noqa: PLC0415

        return MemoryStorage()
    from portalkit.adapters.sqlalchemy import SqlAlchemyStorage  # noqa: PLC0415

    return SqlAlchemyStorage.from_url(url, **engine_options)


class Portal:
    """A customer portal: storage, configuration and every capability's service.

    The rule for its arguments: the *config* says how portalkit behaves
    (:class:`~portalkit.config.PortalConfig`: identity and invitation
    settings, mail, permissions, document kinds, limits); the other arguments
    connect the host's data and time (the ports).

    Args:
        storage: Where the portal keeps its data (see :mod:`portalkit.ports`).
        secret_key: The key that signs tokens and links, at least 32 bytes; a
            list rotates keys (the first signs, all verify).
        config: How the portal behaves (``PortalConfig()`` by default).
        clock: Where time comes from (the system clock by default).
        document_source: Gives the bytes of documents for downloads (the host
            owns the files); without one, downloads raise NotFoundError.
        account_source: The host's ledger and rentals for account views; by
            default portalkit's own tables (filled by the host's sync).
        kpi_source: Values of KPI tiles.
        availability: Appointment slots from the host's calendar; by default
            the tenant's business hours.

    Raises:
        ConfigurationError: A short or missing secret key, or *config* is not
            a PortalConfig.

    Attributes:
        config: The configuration the portal was built with.
        mailer: The configured mailer (one that raises ConfigurationError
            when the config has none; the portal's own mail is then refused
            with ConfigurationError before anything is stored).
        hasher: The password hasher in use.
        policy: Access decisions, ``explain()``, scoped filters, sections
            (:class:`~portalkit._services.policy.PolicyService`).
        assets: Asset lookup by number or plate and the asset page
            (:class:`~portalkit._services.assets.AssetService`).
        documents: Quotes, invoices, reports … with visibility rules, downloads
            and share links (:class:`~portalkit._services.documents.DocumentService`).
        jobs: Jobs and their search (:class:`~portalkit._services.jobs.JobService`).
        accounts: Balance, statements, contracts, items out, KPI tiles
            (:class:`~portalkit._services.accounts.AccountService`).
        requests, appointments, meters, maintenance, rentals, quotes: Customer
            actions (:mod:`portalkit._services.actions`).
        action_records, action_sync: The staff side and the host's sync of
            action data (meters, PMs/SAs, rental items, business hours).
        events: The outbox feed of domain events for the host
            (:class:`~portalkit._services.events.EventFeed`).
        mail_queue: Reset and registration mail waiting to be sent, and
            :meth:`~portalkit._services.mail_queue.MailQueue.deliver_pending`
            to send it (:class:`~portalkit._services.mail_queue.MailQueue`).
        audit: The audit trail's query API (:class:`~portalkit._services.audit.AuditTrail`).
        identity: Sign-in, sessions, passwords, reset, profile
            (:class:`~portalkit._services.identity.IdentityService`).
        registration: Registration by phone + email + postal code
            (:class:`~portalkit._services.registration.RegistrationService`).
        people: Customer self-administration (``req.people``).
        second_factors: Authenticator apps and recovery codes (:class:`SecondFactorService`).
        invitations: Invitations and staff-created accounts
            (:class:`~portalkit._services.invitations.InvitationService`).
        messages: Broadcast messages (:class:`~portalkit._services.messages.MessageService`).
        csrf: CSRF tokens made with the portal's secret keys, for every
            integration (:class:`~portalkit.web.CsrfTokens`).
    """

    def __init__(
        self,
        storage: Storage,
        *,
        secret_key: str | bytes | Sequence[str | bytes],
        config: PortalConfig | None = None,
        clock: Clock | None = None,
        document_source: DocumentSource | None = None,
        account_source: AccountSource | None = None,
        kpi_source: KpiSource | None = None,
        availability: Availability | None = None,
    ) -> None:
        if config is None:
            config = PortalConfig()
        elif not isinstance(config, PortalConfig):
            raise ConfigurationError(f"config must be a PortalConfig, not {config!r}.")
        self.config = config
        self._storage = storage
        # Services open their units through this: inside `portal.request()`
        # they join the request's one unit of work.
        self._routing = RequestRouting(storage)
        storage = self._routing
        self._secret_keys = secret_keys(secret_key)
        self._clock: Clock = clock or SystemClock()
        self._default_tenant = config.default_tenant
        self._registry = config.permissions
        self._throttle = storage.throttle()
        self._phones = PhonenumbersNormalizer() if phonenumbers_available() else None
        clock = self._clock
        kinds = config.document_kinds
        self.policy = PolicyService(storage, registry=self._registry, kinds=kinds)
        self.assets = AssetService(
            storage,
            throttle=self._throttle,
            clock=clock,
            registry=self._registry,
            lookup_window=config.limits.lookup_window,
            lookup_backoff_max=config.limits.lookup_backoff_max,
        )
        policies = functools.partial(load_policy, registry=self._registry)
        self._signer = ItsdangerousTokenSigner(self._secret_keys, clock=clock)
        self.documents = DocumentService(
            storage,
            policies=policies,
            signer=self._signer,
            secret_keys=self._secret_keys,
            clock=clock,
            source=document_source,
            kinds=kinds,
        )
        self.jobs = JobService(storage, policies=policies, secret_keys=self._secret_keys)
        self.accounts = AccountService(
            storage,
            policies=policies,
            documents=self.documents,
            secret_keys=self._secret_keys,
            accounts=account_source,
            kpis=kpi_source,
        )
        # One set of limits for every customer-side write (issue 20, finding 7).
        acting: dict[str, Any] = {
            "policy_loader": policies,
            "throttle": self._throttle,
            "per_principal": config.limits.action_principal,
            "per_client": config.limits.action_client,
        }
        self.requests = ServiceRequests(storage, clock, phones=self._phones, **acting)
        self.appointments = Appointments(storage, clock, availability=availability, **acting)
        self.meters = Meters(storage, clock, **acting)
        self.maintenance = Maintenance(storage, clock, **acting)
        self.rentals = Rentals(storage, clock, **acting)
        self.quotes = Quotes(storage, clock, kinds=kinds, **acting)
        self.action_records = ActionRecords(storage)
        self.action_sync = ActionSync(storage)
        self.events = EventFeed(storage, clock)
        self.audit = AuditTrail(storage)
        self.mailer: Mailer = config.mailer or NoMailer()
        self.hasher: PasswordHasher = config.hasher or Argon2idHasher()
        self.identity = IdentityService(
            storage,
            hasher=self.hasher,
            throttle=self._throttle,
            mailer=config.mailer,
            clock=clock,
            secret_keys=self._secret_keys,
            phones=self._phones,
            config=config.identity,
            sender_email=config.sender_email,
            mail_delivery=config.mail_delivery,
        )
        self.mail_queue = self.identity.mail_queue
        self.registration = RegistrationService(self.identity)
        self.second_factors = SecondFactorService(
            self.identity, totp=PyotpTotp(), box=AesGcmSecretBox(self._secret_keys)
        )
        invitations = config.invitations
        self.invitations = InvitationService(
            storage,
            signer=self._signer,
            mailer=config.mailer,
            clock=clock,
            password_policy=config.identity.password_policy,
            hasher=self.hasher,
            registry=self._registry,
            validity=invitations.validity,
            accept_path=invitations.accept_path,
            login_path=invitations.login_path,
            extra_tokens=invitations.extra_tokens,
            template=invitations.template,
            account_template=invitations.account_template,
            format_date=invitations.format_date,
            chunk_size=invitations.chunk_size,
            sender_email=config.sender_email,
        )
        self.people = PeopleService(
            storage,
            clock=clock,
            mail=MailComposer(mailer=config.mailer, clock=clock, sender_email=config.sender_email),
            mail_queue=self.mail_queue,
            invitations=self.invitations,
            registry=self._registry,
        )
        self.messages = MessageService(storage, clock=clock, registry=self._registry)
        self.csrf = CsrfTokens(self._secret_keys, clock=clock)

    @classmethod
    def from_url(
        cls,
        url: str = DEFAULT_URL,
        *,
        secret_key: str | bytes | Sequence[str | bytes],
        config: PortalConfig | None = None,
        clock: Clock | None = None,
        document_source: DocumentSource | None = None,
        account_source: AccountSource | None = None,
        kpi_source: KpiSource | None = None,
        availability: Availability | None = None,
        **engine_options: Any,
    ) -> Portal:
        """Build a portal on the database at *url* (``memory://`` for in-memory).

        *config* and the ports are those of :class:`Portal`; *engine_options*
        go to SQLAlchemy's ``create_engine``. The schema is not created or
        migrated implicitly: call :meth:`upgrade` (or run ``portalkit db
        upgrade``) once per release.
        """
        return cls(
            storage_from_url(url, **engine_options),
            secret_key=secret_key,
            config=config,
            clock=clock,
            document_source=document_source,
            account_source=account_source,
            kpi_source=kpi_source,
            availability=availability,
        )

    @property
    def permissions(self) -> perms.PermissionRegistry:
        """The portal's permission catalogue (``config.permissions``)."""
        return self._registry

    @property
    def storage(self) -> Storage:
        """The storage adapter."""
        return self._storage

    @property
    def default_tenant(self) -> str:
        """The slug of the tenant used when a call names none."""
        return self._default_tenant

    @property
    def clock(self) -> Clock:
        """The clock."""
        return self._clock

    def upgrade(self) -> None:
        """Create or migrate the database schema to this version of portalkit."""
        self._storage.upgrade()

    def check(self) -> None:
        """Raise DatabaseUnavailableError or SchemaOutdatedError if storage is unusable."""
        self._storage.check()

    def problems(self, tenant: str | Tenant | None = None) -> list[str]:
        """What would stop this portal from serving *tenant*, each with its fix; [] when ready.

        *tenant* is a slug or a Tenant (the default tenant when None). The
        integrations call it at start-up (Flask's ``init_app``, Django's
        system checks), so an unreachable database, an outdated schema or a
        tenant nobody created is reported before the first page, not as a 503
        or a 404 on every page.
        """
        try:
            self._storage.check()
        except DatabaseUnavailableError as exc:
            return [f"The database cannot be reached: {exc} Start it, or fix the database URL."]
        except SchemaOutdatedError as exc:
            return [str(exc)]
        slug = (tenant.slug if isinstance(tenant, Tenant) else tenant) or self._default_tenant
        with self._routing.unit_of_work(read_only=True) as uow:
            found = uow.tenants.get_by_slug(slug)
        if found is None:
            return [
                f"No tenant {slug!r}: every page would answer 404. Create it once, e.g. "
                f"portal.create_tenant({slug!r}, \"Your Company\"), or serve another "
                f"tenant (PortalConfig.default_tenant, PORTALKIT_TENANT, "
                f"PORTALKIT[\"TENANT\"])."
            ]
        return []

    def check_ready(self, tenant: str | Tenant | None = None) -> None:
        """Raise ConfigurationError naming every :meth:`problems` entry, if any."""
        found = self.problems(tenant)
        if found:
            raise ConfigurationError("portalkit is not ready: " + " ".join(found))

    def close(self) -> None:
        """Stop the background mail sender, then release the storage's connections."""
        self.mail_queue.stop()
        self._storage.close()

    def __enter__(self) -> Portal:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # Tenants ---------------------------------------------------------------
    def create_tenant(
        self, slug: str, name: str, *, settings: TenantSettings | None = None
    ) -> Tenant:
        """Register a business that runs a portal; *slug* is its URL name.

        Raises:
            InvalidInputError: A bad slug, or settings whose sender address,
                portal name or mail language cannot be used (``fields`` names them).
        """
        with self._routing.unit_of_work() as uow:
            tenant = uow.tenants.add(
                Tenant(
                    id=0,
                    slug=validate_slug(slug),
                    name=name.strip() or slug,
                    settings=check_mail_settings(settings or TenantSettings()),
                )
            )
            uow.commit()
        return tenant

    def tenant(self, slug: str | Tenant | None = None) -> Tenant:
        """The current record of the tenant with *slug* (or of this Tenant; the default
        tenant when None)."""
        if isinstance(slug, Tenant):
            slug = slug.slug
        slug = slug or self._default_tenant
        with self._routing.unit_of_work(read_only=True) as uow:
            tenant = uow.tenants.get_by_slug(slug)
        if tenant is None:
            raise NotFoundError(Msg("portal.unknown"))
        return tenant

    def _tenant_for_admin(self, tenant: str | Tenant | None) -> Tenant:
        slug = tenant.slug if isinstance(tenant, Tenant) else tenant
        try:
            return self.tenant(slug)
        except NotFoundError:
            if slug not in (None, self._default_tenant):
                raise
            return self.create_tenant(self._default_tenant, "Default")

    # Requests ----------------------------------------------------------------
    # What the client sends is taken leniently, not refused: a garbage session
    # value is the guest (and a cookie to clear), a garbage address is
    # "ip:unknown", a garbage User-Agent an empty session label. Its kind
    # (text) is still checked.
    @guarded_leniently("session", "client", "user_agent")
    def request(
        self,
        tenant: str | Tenant | None = None,
        *,
        session: str | None = None,
        client: str | None = None,
        locale: str | None = None,
        user_agent: str | None = None,
    ) -> PortalRequest:
        """One customer request, as a context manager: ``with portal.request(...) as req:``.

        Args:
            tenant: The tenant's slug (or the :class:`Tenant`); the default
                tenant when None.
            session: The session value from the request's cookie, if any.
            client: The client's address (behind proxies, the one your
                integration trusts), for throttling and audit.
            locale: The language asked for (``"es"``).
            user_agent: The client's user agent, kept as the label of a
                session started by :meth:`PortalRequest.sign_in`.

        Entering the block resolves the tenant (:class:`NotFoundError` for an
        unknown one) and the session (an expired, revoked, forged or
        cross-tenant value gives the guest principal and sets
        :attr:`PortalRequest.clear_session`). Everything inside runs in one
        unit of work that commits when the block ends without an exception.
        """
        return PortalRequest(
            self,
            self._routing,
            tenant=tenant,
            session=session,
            client=client,
            locale=locale,
            user_agent=user_agent,
        )

    # Signing in ------------------------------------------------------------
    def login(
        self,
        identifier: str,
        password: str,
        *,
        tenant: str | Tenant | None = None,
        client_key: str | None = None,
        user_agent: str | None = None,
    ) -> SignIn:
        """Sign in by email, username or phone number and password.

        Returns the signed-in user, their principal and a session token (its
        record is labelled from *user_agent*, the ``User-Agent`` header).
        Every failure is the same AuthenticationError (or ThrottledError).
        """
        return self.identity.login(
            self.tenant(tenant), identifier, password, client_key=client_key,
            user_agent=user_agent,
        )

    # Principals ------------------------------------------------------------
    def principal_for(self, user: User) -> Principal:
        """The principal a request of *user* runs as (after signing in)."""
        return Principal(tenant_id=user.tenant_id, kind=PrincipalKind.USER, user_id=user.id)

    def guest(self, tenant: str | Tenant | None = None) -> Principal:
        """The principal of an anonymous visitor.

        It gets the tenant's configured guest user's grants when the tenant
        does not require a login, and nothing otherwise.
        """
        return Principal(tenant_id=self.tenant(tenant).id, kind=PrincipalKind.GUEST)

    # Staff side ------------------------------------------------------------
    def _set_password(self, uow: UnitOfWork, tenant: Tenant, user: User, password: str) -> User:
        return set_password(
            uow, tenant, user, password, password,
            hasher=self.hasher, policy=self.identity.password_policy,
        )

    @guarded
    @contextlib.contextmanager
    def admin(self, tenant: str | Tenant | None = None) -> Iterator[AdminSession]:
        """Staff operations on a tenant (its slug or the Tenant), committed together
        when the block ends.

        An exception inside the block rolls every change back. The default
        tenant is created on first use.
        """
        the_tenant = self._tenant_for_admin(tenant)
        with self._routing.unit_of_work() as uow:
            yield AdminSession(
                uow, the_tenant, self._clock, self._registry, self._phones,
                passwords=self._set_password,
            )
            uow.commit()

    def upsert_assets(
        self,
        rows: Iterable[AssetRow | Mapping[str, Any]],
        *,
        tenant: str | Tenant | None = None,
        batch_size: int = 1000,
        on_progress: Callable[[BulkReport], None] | None = None,
    ) -> BulkReport:
        """Bulk insert-or-update assets by external key, one transaction per batch."""
        return upsert_assets(
            self._storage,
            self._tenant_for_admin(tenant).id,
            rows,
            batch_size=batch_size,
            on_progress=on_progress,
        )

    def upsert_customers(
        self,
        rows: Iterable[CustomerRow | Mapping[str, Any]],
        *,
        tenant: str | Tenant | None = None,
        batch_size: int = 500,
        on_progress: Callable[[BulkReport], None] | None = None,
    ) -> BulkReport:
        """Bulk insert-or-update customer accounts (and their organizations).

        Phone numbers are stored in E.164 when the ``phone`` extra is installed.
        """
        return upsert_customers(
            self._storage,
            self._tenant_for_admin(tenant).id,
            rows,
            batch_size=batch_size,
            on_progress=on_progress,
            phones=self._phones,
        )
