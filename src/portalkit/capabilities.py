"""The capabilities as a request sees them: ``req.assets``, ``req.documents`` …

Each class binds one of the portal's services to a
:class:`~portalkit.PortalRequest`: the tenant, principal, policy and client
key come from the request, so its methods take only what the customer chose.
They are thin on purpose; the rules live in the services. Get them from the
request's attributes; do not build them directly.

The classes are defined by area (``_capabilities_records``: assets, documents,
jobs; ``_capabilities_accounts``: accounts, messages; ``_capabilities_actions``:
the customer actions; ``_capabilities_identity``: invitations, registration,
profile, password reset; ``_capabilities_people``: customer
self-administration; ``_capabilities_second_factors``: second factors) and
documented and imported here.
"""

from __future__ import annotations

from portalkit._capabilities_accounts import (
    RequestAccounts,
    RequestMessages,
)
from portalkit._capabilities_actions import (
    RequestAppointments,
    RequestMaintenance,
    RequestMeters,
    RequestQuotes,
    RequestRentals,
    RequestServiceRequests,
)
from portalkit._capabilities_identity import (
    RequestInvitations,
    RequestPasswordReset,
    RequestProfile,
    RequestRegistration,
)
from portalkit._capabilities_people import RequestPeople
from portalkit._capabilities_records import (
    RequestAssets,
    RequestDocuments,
    RequestJobs,
)
from portalkit._capabilities_second_factors import RequestSecondFactors

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
    "RequestPeople",
    "RequestProfile",
    "RequestQuotes",
    "RequestRegistration",
    "RequestRentals",
    "RequestSecondFactors",
    "RequestServiceRequests",
]


