"""portalkit: the engine under a customer self-service portal.

Build a :class:`Portal` with :meth:`Portal.from_url` (configured by one
:class:`PortalConfig`) and keep it for the life of the application. Importing
``portalkit`` loads no web framework and no database driver.
"""

from typing import TYPE_CHECKING

from portalkit._version import __version__ as __version__

if TYPE_CHECKING:
    from portalkit import errors as errors
    from portalkit import perms as perms
    from portalkit._portal import Portal as Portal
    from portalkit._request import PortalRequest as PortalRequest
    from portalkit._services.admin import AdminSession as AdminSession
    from portalkit._services.documents import CreatedShare as CreatedShare
    from portalkit._services.documents import Download as Download
    from portalkit._services.identity import SignIn as SignIn
    from portalkit._services.invitation_types import AlreadySignedUp as AlreadySignedUp
    from portalkit._services.invitation_types import Contact as Contact
    from portalkit._services.invitation_types import SendReport as SendReport
    from portalkit._services.invitation_types import SignedUp as SignedUp
    from portalkit._services.invitation_types import SignUpForm as SignUpForm
    from portalkit._services.sync import AssetRow as AssetRow
    from portalkit._services.sync import BulkReport as BulkReport
    from portalkit._services.sync import CustomerRow as CustomerRow
    from portalkit.config import IdentityConfig as IdentityConfig
    from portalkit.config import InvitationConfig as InvitationConfig
    from portalkit.config import LimitsConfig as LimitsConfig
    from portalkit.config import PortalConfig as PortalConfig
    from portalkit.domain.accounts import AccountBalance as AccountBalance
    from portalkit.domain.accounts import AccountSummary as AccountSummary
    from portalkit.domain.accounts import Contract as Contract
    from portalkit.domain.accounts import Defect as Defect
    from portalkit.domain.accounts import ItemOut as ItemOut
    from portalkit.domain.accounts import KpiTile as KpiTile
    from portalkit.domain.actions import ActionSettings as ActionSettings
    from portalkit.domain.actions import Appointment as Appointment
    from portalkit.domain.actions import CallOff as CallOff
    from portalkit.domain.actions import MaintenanceItem as MaintenanceItem
    from portalkit.domain.actions import Meter as Meter
    from portalkit.domain.actions import MeterReading as MeterReading
    from portalkit.domain.actions import QuoteDecision as QuoteDecision
    from portalkit.domain.actions import RentalItem as RentalItem
    from portalkit.domain.actions import Schedule as Schedule
    from portalkit.domain.actions import ServiceRequest as ServiceRequest
    from portalkit.domain.actions import SlotOffer as SlotOffer
    from portalkit.domain.events import AuditEntry as AuditEntry
    from portalkit.domain.events import OutboxEvent as OutboxEvent
    from portalkit.domain.filters import Filter as Filter
    from portalkit.domain.identity import ThrottleRule as ThrottleRule
    from portalkit.domain.invitations import Invitation as Invitation
    from portalkit.domain.invitations import InvitationStatus as InvitationStatus
    from portalkit.domain.messages import BroadcastMessage as BroadcastMessage
    from portalkit.domain.pagination import Page as Page
    from portalkit.domain.passwords import PasswordPolicy as PasswordPolicy
    from portalkit.domain.passwords import PasswordRule as PasswordRule
    from portalkit.domain.policy import Decision as Decision
    from portalkit.domain.policy import NoAccess as NoAccess
    from portalkit.domain.policy import Policy as Policy
    from portalkit.domain.policy import Sections as Sections
    from portalkit.domain.policy import Target as Target
    from portalkit.domain.principals import Grant as Grant
    from portalkit.domain.principals import Group as Group
    from portalkit.domain.principals import Membership as Membership
    from portalkit.domain.principals import Principal as Principal
    from portalkit.domain.principals import PrincipalKind as PrincipalKind
    from portalkit.domain.principals import Role as Role
    from portalkit.domain.principals import User as User
    from portalkit.domain.records import Asset as Asset
    from portalkit.domain.records import CustomerRecord as CustomerRecord
    from portalkit.domain.records import Document as Document
    from portalkit.domain.records import Job as Job
    from portalkit.domain.resolver import NOT_FOUND as NOT_FOUND
    from portalkit.domain.resolver import Ambiguous as Ambiguous
    from portalkit.domain.resolver import Candidate as Candidate
    from portalkit.domain.resolver import Found as Found
    from portalkit.domain.resolver import NotFound as NotFound
    from portalkit.domain.scopes import ALLOWED_PARENTS as ALLOWED_PARENTS
    from portalkit.domain.scopes import ScopeKind as ScopeKind
    from portalkit.domain.scopes import ScopeNode as ScopeNode
    from portalkit.domain.second_factors import MfaRules as MfaRules
    from portalkit.domain.sessions import SessionSummary as SessionSummary
    from portalkit.domain.shares import ShareLink as ShareLink
    from portalkit.domain.templates import EmailTemplate as EmailTemplate
    from portalkit.domain.templates import TemplateToken as TemplateToken
    from portalkit.domain.tenants import MfaPolicy as MfaPolicy
    from portalkit.domain.tenants import Tenant as Tenant
    from portalkit.domain.tenants import TenantSettings as TenantSettings
    from portalkit.errors import PortalkitError as PortalkitError

__all__ = [
    "ALLOWED_PARENTS",
    "NOT_FOUND",
    "AccountBalance",
    "AccountSummary",
    "ActionSettings",
    "AdminSession",
    "AlreadySignedUp",
    "Ambiguous",
    "Appointment",
    "Asset",
    "AssetRow",
    "AuditEntry",
    "BroadcastMessage",
    "BulkReport",
    "CallOff",
    "Candidate",
    "Contact",
    "Contract",
    "CreatedShare",
    "CustomerRecord",
    "CustomerRow",
    "Decision",
    "Defect",
    "Document",
    "Download",
    "EmailTemplate",
    "Filter",
    "Found",
    "Grant",
    "Group",
    "IdentityConfig",
    "Invitation",
    "InvitationConfig",
    "InvitationStatus",
    "ItemOut",
    "Job",
    "KpiTile",
    "LimitsConfig",
    "MaintenanceItem",
    "Membership",
    "Meter",
    "MeterReading",
    "MfaPolicy",
    "MfaRules",
    "NoAccess",
    "NotFound",
    "OutboxEvent",
    "Page",
    "PasswordPolicy",
    "PasswordRule",
    "Policy",
    "Portal",
    "PortalConfig",
    "PortalRequest",
    "PortalkitError",
    "Principal",
    "PrincipalKind",
    "QuoteDecision",
    "RentalItem",
    "Role",
    "Schedule",
    "ScopeKind",
    "ScopeNode",
    "Sections",
    "SendReport",
    "ServiceRequest",
    "SessionSummary",
    "ShareLink",
    "SignIn",
    "SignUpForm",
    "SignedUp",
    "SlotOffer",
    "Target",
    "TemplateToken",
    "Tenant",
    "TenantSettings",
    "ThrottleRule",
    "User",
    "__version__",
    "errors",
    "perms",
]

#: Where each public name lives. The names load on first use, so that
#: ``import portalkit`` (and the ``portalkit`` command's start-up) stays cheap.
_LAZY: dict[str, str] = {
    "errors": "portalkit.errors",
    "perms": "portalkit.perms",
    "Portal": "portalkit._portal",
    "PortalRequest": "portalkit._request",
    "AdminSession": "portalkit._services.admin",
    "CreatedShare": "portalkit._services.documents",
    "Download": "portalkit._services.documents",
    "SignIn": "portalkit._services.identity",
    "AlreadySignedUp": "portalkit._services.invitation_types",
    "Contact": "portalkit._services.invitation_types",
    "SendReport": "portalkit._services.invitation_types",
    "SignedUp": "portalkit._services.invitation_types",
    "SignUpForm": "portalkit._services.invitation_types",
    "AssetRow": "portalkit._services.sync",
    "BulkReport": "portalkit._services.sync",
    "CustomerRow": "portalkit._services.sync",
    "IdentityConfig": "portalkit.config",
    "InvitationConfig": "portalkit.config",
    "LimitsConfig": "portalkit.config",
    "PortalConfig": "portalkit.config",
    "Filter": "portalkit.domain.filters",
    "Page": "portalkit.domain.pagination",
    "PasswordPolicy": "portalkit.domain.passwords",
    "Decision": "portalkit.domain.policy",
    "NoAccess": "portalkit.domain.policy",
    "Sections": "portalkit.domain.policy",
    "Principal": "portalkit.domain.principals",
    "PrincipalKind": "portalkit.domain.principals",
    "Asset": "portalkit.domain.records",
    "CustomerRecord": "portalkit.domain.records",
    "Document": "portalkit.domain.records",
    "Job": "portalkit.domain.records",
    "NOT_FOUND": "portalkit.domain.resolver",
    "Ambiguous": "portalkit.domain.resolver",
    "Candidate": "portalkit.domain.resolver",
    "Found": "portalkit.domain.resolver",
    "NotFound": "portalkit.domain.resolver",
    "ALLOWED_PARENTS": "portalkit.domain.scopes",
    "ScopeKind": "portalkit.domain.scopes",
    "ScopeNode": "portalkit.domain.scopes",
    "MfaPolicy": "portalkit.domain.tenants",
    "MfaRules": "portalkit.domain.second_factors",
    "Tenant": "portalkit.domain.tenants",
    "TenantSettings": "portalkit.domain.tenants",
    "AccountBalance": "portalkit.domain.accounts",
    "AccountSummary": "portalkit.domain.accounts",
    "Contract": "portalkit.domain.accounts",
    "Defect": "portalkit.domain.accounts",
    "ItemOut": "portalkit.domain.accounts",
    "KpiTile": "portalkit.domain.accounts",
    "ActionSettings": "portalkit.domain.actions",
    "Appointment": "portalkit.domain.actions",
    "CallOff": "portalkit.domain.actions",
    "MaintenanceItem": "portalkit.domain.actions",
    "Meter": "portalkit.domain.actions",
    "MeterReading": "portalkit.domain.actions",
    "QuoteDecision": "portalkit.domain.actions",
    "RentalItem": "portalkit.domain.actions",
    "Schedule": "portalkit.domain.actions",
    "ServiceRequest": "portalkit.domain.actions",
    "SlotOffer": "portalkit.domain.actions",
    "AuditEntry": "portalkit.domain.events",
    "OutboxEvent": "portalkit.domain.events",
    "ThrottleRule": "portalkit.domain.identity",
    "Invitation": "portalkit.domain.invitations",
    "InvitationStatus": "portalkit.domain.invitations",
    "BroadcastMessage": "portalkit.domain.messages",
    "PasswordRule": "portalkit.domain.passwords",
    "Policy": "portalkit.domain.policy",
    "Target": "portalkit.domain.policy",
    "Grant": "portalkit.domain.principals",
    "Group": "portalkit.domain.principals",
    "Membership": "portalkit.domain.principals",
    "Role": "portalkit.domain.principals",
    "User": "portalkit.domain.principals",
    "SessionSummary": "portalkit.domain.sessions",
    "ShareLink": "portalkit.domain.shares",
    "EmailTemplate": "portalkit.domain.templates",
    "TemplateToken": "portalkit.domain.templates",
    "PortalkitError": "portalkit.errors",
}

if not TYPE_CHECKING:  # type checkers see the imports above

    def __getattr__(name: str) -> object:
        """Import a public name on first use (PEP 562)."""
        import importlib  # noqa: PLC0415

        where = _LAZY.get(name)
        if where is None:
            raise AttributeError(f"module 'portalkit' has no attribute {name!r}")
        module = importlib.import_module(where)
        value = module if where == f"portalkit.{name}" else getattr(module, name)
        globals()[name] = value
        return value

    def __dir__() -> list[str]:
        """The module's names, the lazily loaded ones included."""
        return sorted(set(globals()) | set(__all__))
