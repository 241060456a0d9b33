"""Repositories of invitations and broadcast messages over SQLAlchemy Core.

They reuse the generic :class:`~portalkit.adapters.sqlalchemy.repositories.SqlRepository`;
invitations add :meth:`InvitationRepository.update_if`, the conditional update
that makes exactly one of concurrent accepts win; messages add
:meth:`MessageRepository.count_unread` (one statement, for a page header).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from typing import Any, cast

from sqlalchemy import Select, Table, and_, bindparam, exists, func, or_, select, update

from portalkit.adapters.sqlalchemy import invitation_tables as itables
from portalkit.adapters.sqlalchemy.repositories import SqlRepository, TableMapping
from portalkit.domain.invitations import Invitation, InvitationStatus
from portalkit.domain.messages import BroadcastMessage, MessageRead

__all__ = ["INVITATION_MAPPINGS", "InvitationRepository", "MessageRepository"]


def _table(model: type[Any]) -> Table:
    return cast(Table, model.__table__)


INVITATION_MAPPINGS: dict[str, TableMapping[Any]] = {
    "invitations": TableMapping(Invitation, _table(itables.InvitationRow)),
    "messages": TableMapping(BroadcastMessage, _table(itables.MessageRow)),
    "message_reads": TableMapping(MessageRead, _table(itables.MessageReadRow)),
}


class InvitationRepository(SqlRepository[Invitation]):
    """Invitations, with the conditional update used to claim one."""

    def update_if(
        self, invitation: Invitation, *, status: InvitationStatus, nonce: str
    ) -> bool:
        """``UPDATE … WHERE tenant, id, status and nonce match``; True if a row changed.

        On PostgreSQL a concurrent caller blocks on the row lock until the
        winner commits, then re-checks the WHERE clause and changes nothing.
        """
        table = self._m.table
        c = table.c
        stmt = (
            update(table)
            .where(
                c.tenant_id == bindparam("_tenant"),
                c.id == bindparam("_id"),
                c.status == bindparam("_status", type_=c.status.type),
                c.nonce == bindparam("_nonce"),
            )
            .values({n: bindparam(n) for n in self._m.write_names if n != "tenant_id"})
        )
        params = self._m.to_row(invitation)
        del params["tenant_id"]
        params.update(
            _tenant=invitation.tenant_id,
            _id=invitation.id,
            _status=InvitationStatus(status),
            _nonce=nonce,
        )
        return self._write(stmt, params).rowcount == 1


def _unread(count: bool) -> Select[Any]:
    """Live messages without the user's read mark: their count (to everyone
    only), or their audience columns (to check group messages against the
    user's groups, which are stored as a JSON list)."""
    m = _table(itables.MessageRow)
    r = _table(itables.MessageReadRow)
    now = bindparam("_now", type_=m.c.starts_at.type)
    read = exists().where(
        r.c.tenant_id == bindparam("_tenant"),
        r.c.message_id == m.c.id,
        r.c.user_id == bindparam("_user"),
    )
    where = and_(
        m.c.tenant_id == bindparam("_tenant"),
        m.c.starts_at <= now,
        or_(m.c.ends_at.is_(None), m.c.ends_at > now),
        ~read,
    )
    if count:
        return select(func.count()).select_from(m).where(where, m.c.to_everyone.is_(True))
    return select(m.c.to_everyone, m.c.group_ids).where(where)


_COUNT_UNREAD = _unread(count=True)
_UNREAD_AUDIENCE = _unread(count=False)


class MessageRepository(SqlRepository[BroadcastMessage]):
    """Broadcast messages, with the unread count of a page header."""

    def count_unread(
        self, tenant_id: int, user_id: int, group_ids: Collection[int], now: dt.datetime
    ) -> int:
        """Messages showing at *now* to everyone or to one of *group_ids* that
        *user_id* has not marked read: ONE statement (a ``COUNT`` when the user
        is in no group)."""
        params = {"_tenant": tenant_id, "_user": user_id, "_now": now}
        if not group_ids:
            return int(self._execute(_COUNT_UNREAD, params).scalar_one())
        groups = frozenset(group_ids)
        rows: list[Any] = list(self._execute(_UNREAD_AUDIENCE, params).all())
        return sum(1 for row in rows if row[0] or not groups.isdisjoint(row[1] or ()))
