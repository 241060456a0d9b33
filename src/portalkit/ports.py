"""Ports: the interfaces portalkit's services use and adapters implement.

Each port is a :class:`typing.Protocol`. portalkit ships adapters for all of
them (memory, SQLAlchemy, SMTP …); a host can write its own, and the contract
test suite in ``tests/adapters/contract.py`` says what an adapter must do.

Every repository method takes the ``tenant_id`` it works in: no query can cross
from one tenant to another by forgetting a filter.

The ports are defined by kind (``_ports_host``: what the host and the
infrastructure provide; ``_ports_repositories``, ``_ports_actions`` and
``_ports_identity``: the repositories; ``_ports_storage``: the unit of work and
the storage) and documented and imported here.
"""

from __future__ import annotations

from portalkit._ports_actions import (
    ActionRepositories,
    Availability,
    IdempotencyKeyRepository,
    MeterRepository,
    RentalItemRepository,
    SlotRepository,
)
from portalkit._ports_host import (
    AccountSource,
    Clock,
    DocumentSource,
    KpiSource,
    Mailer,
    PasswordHasher,
    TokenClaims,
    TokenPurpose,
    TokenSigner,
)
from portalkit._ports_identity import (
    OneTimeCodeRepository,
    SecondFactorRepository,
    SecretBox,
    SessionRepository,
    TotpAlgorithm,
)
from portalkit._ports_repositories import (
    AssetRepository,
    AuditRepository,
    BroadcastMessageRepository,
    CustomerRepository,
    DocumentRepository,
    GrantRepository,
    GroupRepository,
    HeldAccess,
    InvitationRepository,
    JobRepository,
    KeyedRepository,
    MailQueueRepository,
    MembershipRepository,
    MessageReadRepository,
    OutboxRepository,
    Repository,
    RoleRepository,
    RowUpserts,
    ScopedRepository,
    ScopeRepository,
    ShareLinkRepository,
    TenantRepository,
    UpsertCounts,
    UserRepository,
)
from portalkit._ports_storage import (
    Savepoint,
    Storage,
    Throttle,
    UnitOfWork,
)
from portalkit.domain.actions import ActionConfig, IdempotencyKey, Slot
from portalkit.domain.identity import CodePurpose, OneTimeCode, ThrottleState
from portalkit.domain.mail_queue import QueuedMail
from portalkit.domain.messages import MessageRead
from portalkit.domain.second_factors import RecoveryCode, TotpFactor
from portalkit.domain.sessions import Session

#: Besides the protocols, the records only adapters handle (sessions, one-time
#: codes, throttle states, slots ...) are listed here: an adapter names them in
#: its signatures. The records hosts see are re-exported by ``portalkit``.
__all__ = [
    "AccountSource",
    "ActionConfig",
    "ActionRepositories",
    "AssetRepository",
    "AuditRepository",
    "Availability",
    "BroadcastMessageRepository",
    "Clock",
    "CodePurpose",
    "CustomerRepository",
    "DocumentRepository",
    "DocumentSource",
    "GrantRepository",
    "GroupRepository",
    "HeldAccess",
    "IdempotencyKey",
    "IdempotencyKeyRepository",
    "InvitationRepository",
    "JobRepository",
    "KeyedRepository",
    "KpiSource",
    "MailQueueRepository",
    "Mailer",
    "MembershipRepository",
    "MessageRead",
    "MessageReadRepository",
    "MeterRepository",
    "OneTimeCode",
    "OneTimeCodeRepository",
    "OutboxRepository",
    "PasswordHasher",
    "QueuedMail",
    "RecoveryCode",
    "RentalItemRepository",
    "Repository",
    "RoleRepository",
    "RowUpserts",
    "Savepoint",
    "ScopeRepository",
    "ScopedRepository",
    "SecondFactorRepository",
    "SecretBox",
    "Session",
    "SessionRepository",
    "ShareLinkRepository",
    "Slot",
    "SlotRepository",
    "Storage",
    "TenantRepository",
    "Throttle",
    "ThrottleState",
    "TokenClaims",
    "TokenPurpose",
    "TokenSigner",
    "TotpAlgorithm",
    "TotpFactor",
    "UnitOfWork",
    "UpsertCounts",
    "UserRepository",
]


# Customer actions (service requests, appointments, meters, rentals, quotes) ----


