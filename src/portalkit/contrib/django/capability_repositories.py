"""Repositories of portalkit's capabilities over the Django ORM.

The generic :class:`~portalkit.contrib.django.repositories.DjangoRepository`
does the plain work; the concurrency rules are single conditional UPDATEs, as
in the SQLAlchemy adapter:

- :meth:`InvitationRepository.update_if`: ``WHERE status = … AND nonce = …``;
- :meth:`DjangoOneTimeCodes.consume` / ``record_failure``: one conditional
  update each, so of concurrent callers at most one wins;
- :meth:`DjangoSessions.touch`: "last seen" only if it is due (and the session
  is not idle past its timeout);
- :meth:`SlotRepository.reserve`: ``booked = booked + 1 WHERE booked < capacity``;
- :meth:`RentalItemRepository.call_off`: the same pattern for quantities;
- :meth:`MeterRepository.update_if_unchanged`: compare-and-set on the last reading.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Sequence
from typing import TYPE_CHECKING, Any

import attrs
from django.db import connections
from django.db.models import Exists, F, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce

from portalkit.contrib.django import capability_models as cm
from portalkit.contrib.django.repositories import MAPPINGS, DjangoRepository, ModelMapping
from portalkit.contrib.django.values import from_db_datetime, to_db
from portalkit.domain.accounts import AccountBalance, Contract, Defect
from portalkit.domain.actions import (
    ActionConfig,
    Appointment,
    CallOff,
    IdempotencyKey,
    MaintenanceItem,
    Meter,
    MeterReading,
    QuoteDecision,
    RentalItem,
    ServiceRequest,
    Slot,
    SlotOffer,
)
from portalkit.domain.identity import CodePurpose, OneTimeCode
from portalkit.domain.invitations import Invitation, InvitationKind, InvitationStatus
from portalkit.domain.messages import BroadcastMessage, MessageRead
from portalkit.domain.principals import User
from portalkit.domain.sessions import Session
from portalkit.domain.shares import ShareLink
from portalkit.domain.tenants import Tenant
from portalkit.errors import NotFoundError

if TYPE_CHECKING:
    from portalkit.contrib.django.storage import DjangoUnitOfWork

__all__ = [
    "CAPABILITY_MAPPINGS",
    "DjangoActionRepositories",
    "DjangoOneTimeCodes",
    "DjangoSessions",
    "IdempotencyKeyRepository",
    "InvitationRepository",
    "MessageRepository",
    "MeterRepository",
    "RentalItemRepository",
    "ShareLinkRepository",
    "SlotRepository",
]

CAPABILITY_MAPPINGS: dict[str, ModelMapping[Any]] = {
    "invitations": ModelMapping(
        Invitation, cm.InvitationModel,
        enums={"kind": InvitationKind, "status": InvitationStatus},
    ),
    "messages": ModelMapping(BroadcastMessage, cm.MessageModel),
    "message_reads": ModelMapping(MessageRead, cm.MessageReadModel),
    "share_links": ModelMapping(ShareLink, cm.ShareLinkModel),
    "account_balances": ModelMapping(AccountBalance, cm.AccountBalanceModel),
    "contracts": ModelMapping(Contract, cm.ContractModel, path_field="scope_path"),
    "defects": ModelMapping(Defect, cm.DefectModel, path_field="scope_path"),
    "codes": ModelMapping(OneTimeCode, cm.OneTimeCodeModel, enums={"purpose": CodePurpose}),
    "sessions": ModelMapping(Session, cm.SessionModel),
    "requests": ModelMapping(ServiceRequest, cm.ServiceRequestModel, path_field="scope_path"),
    "slots": ModelMapping(Slot, cm.SlotModel),
    "appointments": ModelMapping(Appointment, cm.AppointmentModel, path_field="scope_path"),
    "meters": ModelMapping(Meter, cm.MeterModel, path_field="scope_path"),
    "readings": ModelMapping(MeterReading, cm.MeterReadingModel, path_field="scope_path"),
    "maintenance": ModelMapping(
        MaintenanceItem, cm.MaintenanceItemModel, path_field="scope_path"
    ),
    "rentals": ModelMapping(RentalItem, cm.RentalItemModel, path_field="scope_path"),
    "call_offs": ModelMapping(CallOff, cm.CallOffModel, path_field="scope_path"),
    "quote_decisions": ModelMapping(
        QuoteDecision, cm.QuoteDecisionModel, path_field="scope_path"
    ),
    "idempotency": ModelMapping(IdempotencyKey, cm.IdempotencyKeyModel),
    "settings": ModelMapping(ActionConfig, cm.ActionSettingsModel),
}


class InvitationRepository(DjangoRepository[Invitation]):
    """Invitations, with the conditional update used to claim one."""

    def update_if(
        self, invitation: Invitation, *, status: InvitationStatus, nonce: str
    ) -> bool:
        """``UPDATE … WHERE tenant, id, status and nonce match``; True if a row changed."""
        row = self._m.to_row(invitation)
        del row["tenant_id"]
        with self._uow.writing():
            changed = (
                self._tenant(invitation.tenant_id)
                .filter(id=invitation.id, status=InvitationStatus(status).value, nonce=nonce)
                .update(**row)
            )
        return bool(changed == 1)


class MessageRepository(DjangoRepository[BroadcastMessage]):
    """Broadcast messages, with the unread count of a page header."""

    def count_unread(
        self, tenant_id: int, user_id: int, group_ids: Collection[int], now: dt.datetime
    ) -> int:
        """Messages showing at *now* to everyone or to one of *group_ids* that
        *user_id* has not marked read: ONE query, a ``COUNT`` (on SQLite, where
        JSON containment is not available, the query returns the unread
        messages' audiences for groups, counted here)."""
        at = to_db(now)
        read = cm.MessageReadModel._base_manager.using(self._uow.alias).filter(
            tenant_id=tenant_id, message_id=OuterRef("id"), user_id=user_id
        )
        live = (
            self._tenant(tenant_id)
            .filter(Q(starts_at__lte=at), Q(ends_at__isnull=True) | Q(ends_at__gt=at))
            .exclude(Exists(read))
        )
        with self._uow.reading():
            if not group_ids:
                return int(live.filter(to_everyone=True).count())
            groups = frozenset(group_ids)
            if connections[self._uow.alias].vendor == "postgresql":
                audience = Q(to_everyone=True)
                for group in sorted(groups):
                    audience |= Q(group_ids__contains=[group])
                return int(live.filter(audience).count())
            return sum(
                1
                for everyone, audience in live.values_list("to_everyone", "group_ids")
                if everyone or not groups.isdisjoint(audience or ())
            )


    def live_with_reads(
        self, tenant_id: int, user_id: int, now: dt.datetime
    ) -> list[tuple[BroadcastMessage, dt.datetime | None]]:
        """Live messages, newest first, with *user_id*'s read time: ONE query."""
        at = to_db(now)
        read = cm.MessageReadModel._base_manager.using(self._uow.alias).filter(
            tenant_id=tenant_id, message_id=OuterRef("id"), user_id=user_id
        )
        live = (
            self._tenant(tenant_id)
            .filter(Q(starts_at__lte=at), Q(ends_at__isnull=True) | Q(ends_at__gt=at))
            .annotate(pk_read_at=Subquery(read.values("read_at")[:1]))
            .order_by("-starts_at", "-id")
        )
        with self._uow.reading():
            rows = list(live.values_list(*self._m.names, "pk_read_at"))
        messages = self._m.from_rows(row[:-1] for row in rows)
        return [
            (message, from_db_datetime(row[-1]))
            for message, row in zip(messages, rows, strict=True)
        ]


class ShareLinkRepository(DjangoRepository[ShareLink]):
    """Share links, found by the keyed hash of their secret."""

    def get_by_secret_hash(self, tenant_id: int, secret_hash: str) -> ShareLink | None:
        """The link whose secret hashes to *secret_hash*, or None."""
        found = self._read(self._tenant(tenant_id).filter(secret_hash=secret_hash))
        return found[0] if found else None


class DjangoSessions:
    """The :class:`~portalkit.ports.SessionRepository` over ``portalkit_dj_sessions``."""

    def __init__(self, uow: DjangoUnitOfWork, mapping: ModelMapping[Session]) -> None:
        # The generic repository does the plain work (insert, tenant filter, reads).
        self._rows = DjangoRepository(uow, mapping)
        self._uow = uow
        self._m = mapping
        self._users: ModelMapping[User] = MAPPINGS["users"]
        self._joined = (*mapping.names, *(f"user__{n}" for n in self._users.names))

    def add(self, session: Session) -> Session:
        """Store a new session; its ``id`` is ignored and the stored copy returned."""
        return self._rows.add(session)

    def find_with_user(self, tenant_id: int, token_hash: str) -> tuple[Session, User] | None:
        """The session with *token_hash* in this tenant and its user: one joined SELECT."""
        queryset = self._rows._tenant(tenant_id).filter(
            token_hash=token_hash, user__tenant_id=tenant_id
        )
        with self._uow.reading():
            rows = list(queryset.values_list(*self._joined)[:1])
        if not rows:
            return None
        width = len(self._m.names)
        [session] = self._m.from_rows([rows[0][:width]])
        [user] = self._users.from_rows([rows[0][width:]])
        return session, user

    def find_with_tenant(
        self, slug: str, token_hash: str
    ) -> tuple[Tenant, tuple[Session, User] | None] | None:
        """The tenant named *slug*, and its session with *token_hash* with the user."""
        tenant = self._uow.tenants.get_by_slug(slug)
        if tenant is None:
            return None
        return tenant, self.find_with_user(tenant.id, token_hash)

    def for_user(self, tenant_id: int, user_id: int) -> list[Session]:
        """Every stored session of the user, oldest first."""
        queryset = self._rows._tenant(tenant_id).filter(user_id=user_id)
        return self._rows._read(queryset.order_by("created_at", "id"))

    def touch(
        self,
        tenant_id: int,
        session_id: int,
        *,
        now: dt.datetime,
        seen_by: dt.datetime,
        seen_after: dt.datetime,
    ) -> bool:
        """Set ``last_seen_at`` in one conditional UPDATE; True for the one caller that did."""
        with self._uow.writing():
            changed = (
                self._rows._tenant(tenant_id)
                .filter(
                    id=session_id,
                    last_seen_at__lte=to_db(seen_by),
                    last_seen_at__gt=to_db(seen_after),
                )
                .update(last_seen_at=to_db(now))
            )
        return bool(changed == 1)

    def delete(self, tenant_id: int, user_id: int, ids: Sequence[int]) -> int:
        """Delete those of *ids* that are sessions of this user; how many were."""
        if not ids:
            return 0
        with self._uow.writing():
            deleted, _ = (
                self._rows._tenant(tenant_id).filter(user_id=user_id, id__in=list(ids)).delete()
            )
        return int(deleted)

    def delete_for_user(self, tenant_id: int, user_id: int) -> int:
        """Delete every session of the user; how many there were."""
        with self._uow.writing():
            deleted, _ = self._rows._tenant(tenant_id).filter(user_id=user_id).delete()
        return int(deleted)

    def delete_expired(
        self, tenant_id: int, *, seen_by: dt.datetime, created_by: dt.datetime
    ) -> int:
        """Delete the tenant's sessions idle since *seen_by* or created by *created_by*."""
        expired = Q(last_seen_at__lte=to_db(seen_by)) | Q(created_at__lte=to_db(created_by))
        with self._uow.writing():
            deleted, _ = self._rows._tenant(tenant_id).filter(expired).delete()
        return int(deleted)


class DjangoOneTimeCodes(DjangoRepository[OneTimeCode]):
    """Password-reset and email-proof codes: at most one per tenant, purpose and subject."""

    def _subject(self, tenant_id: int, purpose: CodePurpose, subject_id: int) -> Any:
        return self._tenant(tenant_id).filter(
            purpose=CodePurpose(purpose).value, subject_id=subject_id
        )

    def get_for(
        self, tenant_id: int, purpose: CodePurpose, subject_id: int
    ) -> OneTimeCode | None:
        """The subject's current code, or None."""
        found = self._read(self._subject(tenant_id, purpose, subject_id))
        return found[0] if found else None

    def consume(
        self,
        tenant_id: int,
        purpose: CodePurpose,
        subject_id: int,
        digest: str,
        *,
        now: dt.datetime,
        max_attempts: int,
    ) -> bool:
        """Mark the code used, in one conditional UPDATE; True for the one caller that did."""
        with self._uow.writing():
            changed = (
                self._subject(tenant_id, purpose, subject_id)
                .filter(
                    digest=digest,
                    used_at__isnull=True,
                    expires_at__gt=to_db(now),
                    failed_attempts__lt=max_attempts,
                )
                .update(used_at=to_db(now), failed_attempts=0, failures_since=None)
            )
        return bool(changed == 1)

    def record_failure(
        self,
        tenant_id: int,
        purpose: CodePurpose,
        subject_id: int,
        *,
        now: dt.datetime,
        max_attempts: int,
    ) -> bool:
        """Count one wrong guess in one conditional UPDATE; False at the limit or with no code."""
        with self._uow.writing():
            changed = (
                self._subject(tenant_id, purpose, subject_id)
                .filter(failed_attempts__lt=max_attempts)
                .update(
                    failed_attempts=F("failed_attempts") + 1,
                    failures_since=Coalesce(F("failures_since"), to_db(now)),
                )
            )
        return bool(changed == 1)


class SlotRepository(DjangoRepository[Slot]):
    """Appointment slots with their booking counts."""

    def ensure(self, tenant_id: int, offer: SlotOffer) -> Slot:
        """The stored slot for *offer*, created if missing; capacity follows the offer."""
        starts_at = to_db(offer.starts_at)
        with self._uow.writing():
            self._objects().bulk_create(
                [
                    cm.SlotModel(
                        tenant_id=tenant_id,
                        location=offer.location,
                        starts_at=starts_at,
                        ends_at=to_db(offer.ends_at),
                        capacity=offer.capacity,
                        booked=0,
                    )
                ],
                ignore_conflicts=True,
            )
        same = self._tenant(tenant_id).filter(location=offer.location, starts_at=starts_at)
        found = self._read(same)
        if not found:  # pragma: no cover - inserted just above
            raise NotFoundError()
        slot = found[0]
        if slot.capacity != offer.capacity or slot.ends_at != offer.ends_at:
            with self._uow.writing():
                same.update(capacity=offer.capacity, ends_at=to_db(offer.ends_at))
            slot = attrs.evolve(slot, capacity=offer.capacity, ends_at=offer.ends_at)
        return slot

    def reserve(self, tenant_id: int, slot_id: int) -> bool:
        """Take one place if one is free (one conditional UPDATE)."""
        with self._uow.writing():
            changed = (
                self._tenant(tenant_id)
                .filter(id=slot_id, booked__lt=F("capacity"))
                .update(booked=F("booked") + 1)
            )
        return bool(changed)

    def release(self, tenant_id: int, slot_id: int) -> None:
        """Give one place back."""
        with self._uow.writing():
            self._tenant(tenant_id).filter(id=slot_id, booked__gt=0).update(
                booked=F("booked") - 1
            )


def _same_or_both_missing(name: str, value: Any) -> Q:
    return Q(**{f"{name}__isnull": True}) if value is None else Q(**{name: to_db(value)})


class MeterRepository(DjangoRepository[Meter]):
    """Meters; the last reading moves by compare-and-set."""

    def update_if_unchanged(self, old: Meter, new: Meter) -> bool:
        """Store *new*'s last reading only if the stored one is still *old*'s."""
        with self._uow.writing():
            changed = (
                self._tenant(old.tenant_id)
                .filter(
                    _same_or_both_missing("last_value", old.last_value),
                    _same_or_both_missing("last_read_at", old.last_read_at),
                    id=old.id,
                )
                .update(last_value=new.last_value, last_read_at=to_db(new.last_read_at))
            )
        return bool(changed)


class RentalItemRepository(DjangoRepository[RentalItem]):
    """Items out on rent."""

    def call_off(self, tenant_id: int, item_id: int, quantity: int) -> bool:
        """Add *quantity* to the called-off count if that many are still out."""
        if quantity < 1:
            return False
        left = F("quantity_out") - F("quantity_called_off") - F("quantity_returned")
        with self._uow.writing():
            changed = (
                self._tenant(tenant_id)
                .alias(left=left)
                .filter(id=item_id, left__gte=quantity)
                .update(quantity_called_off=F("quantity_called_off") + quantity)
            )
        return bool(changed)


class IdempotencyKeyRepository(DjangoRepository[IdempotencyKey]):
    """Idempotency keys; ``add`` of a used key raises ConflictError (unique constraint)."""

    def get_by_key(self, tenant_id: int, owner: str, key: str) -> IdempotencyKey | None:
        """The key *owner* used, or None."""
        found = self._read(self._tenant(tenant_id).filter(owner=owner, key=key))
        return found[0] if found else None


class DjangoActionRepositories:
    """The action repositories of one Django unit of work (``uow.actions``)."""

    def __init__(self, uow: DjangoUnitOfWork) -> None:
        m = CAPABILITY_MAPPINGS
        self.requests: DjangoRepository[ServiceRequest] = DjangoRepository(uow, m["requests"])
        self.slots = SlotRepository(uow, m["slots"])
        self.appointments: DjangoRepository[Appointment] = DjangoRepository(
            uow, m["appointments"]
        )
        self.meters = MeterRepository(uow, m["meters"])
        self.readings: DjangoRepository[MeterReading] = DjangoRepository(uow, m["readings"])
        self.maintenance: DjangoRepository[MaintenanceItem] = DjangoRepository(
            uow, m["maintenance"]
        )
        self.rentals = RentalItemRepository(uow, m["rentals"])
        self.call_offs: DjangoRepository[CallOff] = DjangoRepository(uow, m["call_offs"])
        self.quote_decisions: DjangoRepository[QuoteDecision] = DjangoRepository(
            uow, m["quote_decisions"]
        )
        self.idempotency = IdempotencyKeyRepository(uow, m["idempotency"])
        self.settings: DjangoRepository[ActionConfig] = DjangoRepository(uow, m["settings"])
