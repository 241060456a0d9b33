"""Broadcast messages (seed 001): staff post, portal users read.

Staff side (like ``Portal.admin()``, no principal: the host's staff code calls
it): :meth:`MessageService.post`, :meth:`~MessageService.edit`,
:meth:`~MessageService.remove`, :meth:`~MessageService.all`.

Customer side: :meth:`MessageService.inbox` lists what applies to a user now
(to everyone, or to a group they are in, inside its time window), newest first,
each with the user's own read state; :meth:`~MessageService.mark_read` and
:meth:`~MessageService.unread_count` (one counting statement when the
request's policy is passed as ``policy=``). Reading needs the ``message.view``
permission; guests and share links have no inbox.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterable
from typing import Any

import attrs

from portalkit._services.invitations import PermissionCheck
from portalkit._services.listing import PolicyProvider, policy_in
from portalkit._services.policy import load_policy
from portalkit.domain.filters import Eq, Filter, In, Or, Range, all_of
from portalkit.domain.i18n import Msg
from portalkit.domain.messages import (
    BroadcastMessage,
    MessageRead,
    applies_to,
    validate_message,
)
from portalkit.domain.policy import Policy
from portalkit.domain.principals import Group, Principal, PrincipalKind
from portalkit.errors import InvalidInputError, NotFoundError
from portalkit.perms import PermissionRegistry
from portalkit.ports import Clock, Storage, UnitOfWork

__all__ = ["MESSAGE_VIEW", "MessageService", "MessageView"]

#: The permission that lets a user read messages (``portalkit.perms.MESSAGE_VIEW``).
MESSAGE_VIEW = "message.view"

_EDITABLE = frozenset({"title", "body", "to_everyone", "groups", "starts_at", "ends_at"})


@attrs.frozen(kw_only=True)
class MessageView:
    """A message as one user sees it: the message and whether they read it."""

    message: BroadcastMessage
    read_at: dt.datetime | None = None

    @property
    def read(self) -> bool:
        """The user has read it."""
        return self.read_at is not None


def _live(now: dt.datetime) -> Filter:
    return all_of(
        Range("starts_at", high=now, include_high=True),
        Or((Eq("ends_at", None), Range("ends_at", low=now, include_low=False))),
    )


class MessageService:
    """Broadcast messages of every tenant.

    Args:
        storage: Where messages and read marks live.
        clock: Where "now" comes from.
        permission_check: Who may read (default: the access policy, ``message.view``).
        registry: The permission catalogue the default check uses.
    """

    def __init__(
        self,
        storage: Storage,
        *,
        clock: Clock,
        permission_check: PermissionCheck | None = None,
        registry: PermissionRegistry | None = None,
    ) -> None:
        self._storage = storage
        self._clock = clock
        self._custom_check = permission_check
        self._load_policy: PolicyProvider = functools.partial(load_policy, registry=registry)

    # Staff side ------------------------------------------------------------
    def post(
        self,
        tenant_id: int,
        *,
        title: str,
        body: str,
        groups: Iterable[Group | int | str] | None = None,
        starts_at: dt.datetime | None = None,
        ends_at: dt.datetime | None = None,
        created_by_user_id: int | None = None,
    ) -> BroadcastMessage:
        """Post a message to everyone (``groups=None``) or to the chosen groups.

        Groups are given as records, ids or names. It shows from *starts_at*
        (now by default) until *ends_at* (forever by default).

        Raises:
            InvalidInputError: A bad title/body, no or unknown groups, or an
                end not after the start (``fields`` names it).
        """
        now = self._clock.now()
        with self._storage.unit_of_work() as uow:
            group_ids = None if groups is None else self._group_ids(uow, tenant_id, groups)
            message = validate_message(
                BroadcastMessage(
                    id=0,
                    tenant_id=tenant_id,
                    title=title,
                    body=body,
                    to_everyone=group_ids is None,
                    group_ids=group_ids or frozenset(),
                    starts_at=starts_at or now,
                    ends_at=ends_at,
                    created_at=now,
                    created_by_user_id=created_by_user_id,
                )
            )
            stored = uow.messages.add(message)
            uow.commit()
        return stored

    def edit(self, tenant_id: int, message_id: int, **changes: Any) -> BroadcastMessage:
        """Change a message's title, body, audience (``to_everyone``/``groups``) or window.

        Raises:
            NotFoundError: No such message in the tenant.
            InvalidInputError: An unknown field or an invalid value.
        """
        unknown = set(changes) - _EDITABLE
        if unknown:
            raise InvalidInputError(f"Cannot change: {', '.join(sorted(unknown))}.")
        with self._storage.unit_of_work() as uow:
            current = self._get(uow, tenant_id, message_id)
            groups = changes.pop("groups", None)
            if groups is not None:
                changes["group_ids"] = self._group_ids(uow, tenant_id, groups)
                changes.setdefault("to_everyone", False)
            changed = validate_message(attrs.evolve(current, **changes))
            uow.messages.update(changed)
            uow.commit()
        return changed

    def remove(self, tenant_id: int, message_id: int) -> bool:
        """Delete a message and its read marks; True if it existed."""
        with self._storage.unit_of_work() as uow:
            for mark in uow.message_reads.find(tenant_id, Eq("message_id", message_id)):
                uow.message_reads.delete(tenant_id, mark.id)
            existed = uow.messages.delete(tenant_id, message_id)
            uow.commit()
        return existed

    def all(self, tenant_id: int, *, live_only: bool = False) -> list[BroadcastMessage]:
        """Every message of the tenant (or only those showing now), newest first."""
        where = _live(self._clock.now()) if live_only else all_of()
        with self._storage.unit_of_work(read_only=True) as uow:
            return uow.messages.find(tenant_id, where, order_by=("-starts_at", "-id"))

    # Customer side ---------------------------------------------------------
    def inbox(self, principal: Principal, *, policy: Policy | None = None) -> list[MessageView]:
        """The messages that apply to *principal* now, newest first, with read state.

        Empty for guests, share links and users without ``message.view``.
        *policy*, when given, is the request's policy of *principal* (see
        :meth:`unread_count`).
        """
        now = self._clock.now()
        with self._storage.unit_of_work(read_only=True) as uow:
            reader = self._reader(uow, principal, policy)
            if reader is None:
                return []
            user_id, groups = reader
            views = [
                MessageView(message=m, read_at=read_at)
                for m, read_at in uow.messages.live_with_reads(principal.tenant_id, user_id, now)
                if applies_to(m, groups, now)
            ]
        return sorted(views, key=lambda v: (v.message.starts_at, v.message.id), reverse=True)

    def unread_count(self, principal: Principal, *, policy: Policy | None = None) -> int:
        """How many of the principal's current messages are unread.

        One counting statement (through the repository's ``count_unread``)
        when *policy*, the request's compiled policy of *principal*, is given:
        the permission and the user's groups are then read from it instead of
        being loaded again. It must be of the principal's tenant
        (:class:`~portalkit.errors.ConfigurationError` otherwise).
        """
        now = self._clock.now()
        with self._storage.unit_of_work(read_only=True) as uow:
            reader = self._reader(uow, principal, policy)
            if reader is None:
                return 0
            user_id, groups = reader
            return uow.messages.count_unread(principal.tenant_id, user_id, groups, now)

    def mark_read(
        self, principal: Principal, message_id: int, *, policy: Policy | None = None
    ) -> MessageView:
        """Mark a message read for this user (again is harmless).

        *policy*: the request's policy of *principal*, if loaded already.

        Raises:
            NotFoundError: The message does not exist or does not apply to
                the principal now (the two look alike).
        """
        now = self._clock.now()
        tid = principal.tenant_id
        with self._storage.unit_of_work() as uow:
            reader = self._reader(uow, principal, policy)
            message = uow.messages.get(tid, message_id)
            if reader is None or message is None:
                raise NotFoundError()
            user_id, groups = reader
            if not applies_to(message, groups, now):
                raise NotFoundError()
            existing = self._reads(uow, tid, user_id, [message.id]).get(message.id)
            if existing is not None:
                return MessageView(message=message, read_at=existing)
            uow.message_reads.add(
                MessageRead(
                    id=0, tenant_id=tid, message_id=message.id, user_id=user_id, read_at=now
                )
            )
            uow.commit()
        return MessageView(message=message, read_at=now)

    # Internals -------------------------------------------------------------
    def _reader(
        self, uow: UnitOfWork, principal: Principal, policy: Policy | None
    ) -> tuple[int, frozenset[int]] | None:
        """The reading user's id and groups, or None if *principal* has no inbox.

        With the default permission check the policy (given, or loaded once)
        answers both questions; a host's own check is asked as before.
        """
        if principal.kind is not PrincipalKind.USER or principal.user_id is None:
            return None
        if self._custom_check is None:
            policy = policy_in(uow, principal, policy, self._load_policy)
            if not policy.granted_paths(principal, MESSAGE_VIEW):
                return None
            return principal.user_id, frozenset(policy.groups_of(principal))
        if not self._custom_check(uow, principal, MESSAGE_VIEW, None):
            return None
        return principal.user_id, self._groups_of(uow, principal.tenant_id, principal.user_id)

    def _groups_of(self, uow: UnitOfWork, tenant_id: int, user_id: int) -> frozenset[int]:
        return frozenset(
            m.group_id for m in uow.memberships.find(tenant_id, Eq("user_id", user_id))
        )

    def _reads(
        self, uow: UnitOfWork, tenant_id: int, user_id: int, message_ids: list[int]
    ) -> dict[int, dt.datetime]:
        if not message_ids:
            return {}
        marks = uow.message_reads.find(
            tenant_id, all_of(Eq("user_id", user_id), In("message_id", tuple(message_ids)))
        )
        return {mark.message_id: mark.read_at for mark in marks}

    def _get(self, uow: UnitOfWork, tenant_id: int, message_id: int) -> BroadcastMessage:
        message = uow.messages.get(tenant_id, message_id)
        if message is None:
            raise NotFoundError()
        return message

    def _group_ids(
        self, uow: UnitOfWork, tenant_id: int, groups: Iterable[Group | int | str]
    ) -> frozenset[int]:
        ids: set[int] = set()
        for ref in groups:
            if isinstance(ref, Group):
                found = uow.groups.get(tenant_id, ref.id)
            elif isinstance(ref, str):
                found = uow.groups.get_by_name(tenant_id, ref)
            else:
                found = uow.groups.get(tenant_id, ref)
            if found is None:
                raise InvalidInputError.for_field("groups", Msg("group.unknown"))
            ids.add(found.id)
        if not ids:
            raise InvalidInputError.for_field(
                "groups", "Choose at least one group, or send the message to everyone."
            )
        return frozenset(ids)
