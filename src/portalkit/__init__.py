"""portalkit: the engine under a customer self-service portal.

Build a :class:`Portal` with :meth:`Portal.from_url` and keep it for the life of
the application. Importing ``portalkit`` loads no web framework and no
database driver.
"""

from portalkit import errors as errors
from portalkit._portal import Portal as Portal
from portalkit._services.admin import AdminSession as AdminSession
from portalkit._services.sync import AssetRow as AssetRow
from portalkit._services.sync import BulkReport as BulkReport
from portalkit._services.sync import CustomerRow as CustomerRow
from portalkit._version import __version__ as __version__
from portalkit.domain.filters import Filter as Filter
from portalkit.domain.principals import Principal as Principal
from portalkit.domain.principals import PrincipalKind as PrincipalKind
from portalkit.domain.records import Asset as Asset
from portalkit.domain.records import CustomerRecord as CustomerRecord
from portalkit.domain.records import Document as Document
from portalkit.domain.records import Job as Job
from portalkit.domain.scopes import ScopeKind as ScopeKind
from portalkit.domain.scopes import ScopeNode as ScopeNode
from portalkit.domain.tenants import Tenant as Tenant
from portalkit.domain.tenants import TenantSettings as TenantSettings
from portalkit.errors import PortalkitError as PortalkitError

__all__ = [
    "AdminSession",
    "Asset",
    "AssetRow",
    "BulkReport",
    "CustomerRecord",
    "CustomerRow",
    "Document",
    "Filter",
    "Job",
    "Portal",
    "PortalkitError",
    "Principal",
    "PrincipalKind",
    "ScopeKind",
    "ScopeNode",
    "Tenant",
    "TenantSettings",
    "__version__",
    "errors",
]
