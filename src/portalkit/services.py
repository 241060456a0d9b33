"""The portal's services, as the :class:`~portalkit.Portal` holds them, and what they return.

A host reaches them as the portal's attributes (``portal.identity``,
``portal.documents``, ``portal.invitations`` …), or bound to one request
through :mod:`portalkit.capabilities` (``req.documents`` …), which is the
usual way for customer pages. They are listed here so that their names, and
the types their methods return, are public: annotate with them, never
construct them (the portal builds each once).
"""

from __future__ import annotations

from portalkit._services.accounts import AccountService
from portalkit._services.actions import ActionRecords, ActionSync
from portalkit._services.appointments import Appointments, AvailableSlot
from portalkit._services.assets import AssetService
from portalkit._services.audit import AuditPage, AuditTrail
from portalkit._services.documents import DocumentService
from portalkit._services.events import EventFeed
from portalkit._services.identity import ClaimTicket, IdentityService, SessionInfo
from portalkit._services.invitation_types import SendOutcome
from portalkit._services.invitations import InvitationService
from portalkit._services.jobs import JobService
from portalkit._services.mail_queue import DeliveryReport, MailQueue
from portalkit._services.maintenance import Maintenance
from portalkit._services.messages import MessageService, MessageView
from portalkit._services.meters import Meters
from portalkit._services.people import Colleague, ColleagueAccess, PeopleService
from portalkit._services.policy import PolicyService
from portalkit._services.quotes import Quotes
from portalkit._services.registration import RegistrationService
from portalkit._services.rentals import Rentals
from portalkit._services.second_factor_types import (
    RecoveryCodes,
    SecondFactorStatus,
    TotpEnabled,
    TotpEnrolment,
)
from portalkit._services.second_factors import SecondFactorService
from portalkit._services.service_requests import ServiceRequests

__all__ = [
    "AccountService",
    "ActionRecords",
    "ActionSync",
    "Appointments",
    "AssetService",
    "AuditPage",
    "AuditTrail",
    "AvailableSlot",
    "ClaimTicket",
    "Colleague",
    "ColleagueAccess",
    "DeliveryReport",
    "DocumentService",
    "EventFeed",
    "IdentityService",
    "InvitationService",
    "JobService",
    "MailQueue",
    "Maintenance",
    "MessageService",
    "MessageView",
    "Meters",
    "PeopleService",
    "PolicyService",
    "Quotes",
    "RecoveryCodes",
    "RegistrationService",
    "Rentals",
    "SecondFactorService",
    "SecondFactorStatus",
    "SendOutcome",
    "ServiceRequests",
    "SessionInfo",
    "TotpEnabled",
    "TotpEnrolment",
]
