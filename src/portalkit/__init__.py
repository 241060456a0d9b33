"""portalkit: the engine under a customer self-service portal.

Build a :class:`Portal` with :meth:`Portal.from_url` (configured by one
:class:`PortalConfig`) and keep it for the life of the application. Importing
``portalkit`` loads no web framework and no database driver.
"""

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
from portalkit._version import __version__ as __version__
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
