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
    from portalkit.domain.filters import Filter as Filter
    from portalkit.domain.pagination import Page as Page
    from portalkit.domain.passwords import PasswordPolicy as PasswordPolicy
    from portalkit.domain.policy import Decision as Decision
    from portalkit.domain.policy import NoAccess as NoAccess
    from portalkit.domain.policy import Sections as Sections
    from portalkit.domain.principals import Principal as Principal
    from portalkit.domain.principals import PrincipalKind as PrincipalKind
    from portalkit.domain.records import Asset as Asset
    from portalkit.domain.records import CustomerRecord as CustomerRecord
    from portalkit.domain.records import Document as Document
    from portalkit.domain.records import Job as Job
    from portalkit.domain.resolver import NOT_FOUND as NOT_FOUND
    from portalkit.domain.resolver import Ambiguous as Ambiguous
    from portalkit.domain.resolver import Candidate as Candidate
    from portalkit.domain.resolver import Found as Found
    from portalkit.domain.resolver import NotFound as NotFound
    from portalkit.domain.scopes import ScopeKind as ScopeKind
    from portalkit.domain.scopes import ScopeNode as ScopeNode
    from portalkit.domain.tenants import Tenant as Tenant
    from portalkit.domain.tenants import TenantSettings as TenantSettings
    from portalkit.errors import PortalkitError as PortalkitError

__all__ = [
    "NOT_FOUND",
    "AdminSession",
    "AlreadySignedUp",
    "Ambiguous",
    "Asset",
    "AssetRow",
    "BulkReport",
    "Candidate",
    "Contact",
    "CreatedShare",
    "CustomerRecord",
    "CustomerRow",
    "Decision",
    "Document",
    "Download",
    "Filter",
    "Found",
    "IdentityConfig",
    "InvitationConfig",
    "Job",
    "LimitsConfig",
    "NoAccess",
    "NotFound",
    "Page",
    "PasswordPolicy",
    "Portal",
    "PortalConfig",
    "PortalRequest",
    "PortalkitError",
    "Principal",
    "PrincipalKind",
    "ScopeKind",
    "ScopeNode",
    "Sections",
    "SendReport",
    "SignIn",
    "SignUpForm",
    "SignedUp",
    "Tenant",
    "TenantSettings",
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
    "ScopeKind": "portalkit.domain.scopes",
    "ScopeNode": "portalkit.domain.scopes",
    "Tenant": "portalkit.domain.tenants",
    "TenantSettings": "portalkit.domain.tenants",
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
