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

from sqlalchemy import (
    ColumnElement,
    Select,
    Table,
    and_,
    any_,
    bindparam,
    exists,
    func,
    or_,
    select,
    update,
)
from sqlalchemy import cast as sql_cast

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


def _unread_where() -> ColumnElement[bool]:
    """Live messages of the tenant without the user's read mark."""
    m = _table(itables.MessageRow)
    r = _table(itables.MessageReadRow)
    now = bindparam("_now", type_=m.c.starts_at.type)
    read = exists().where(
        r.c.tenant_id == bindparam("_tenant"),
        r.c.message_id == m.c.id,
        r.c.user_id == bindparam("_user"),
    )
    return and_(
        m.c.tenant_id == bindparam("_tenant"),
        m.c.starts_at <= now,
        or_(m.c.ends_at.is_(None), m.c.ends_at > now),
        ~read,
    )


def _in_groups(dialect: str) -> ColumnElement[bool] | None:
    """The message goes to one of the groups bound as ``_groups``, in SQL, if the
    dialect can look into the stored JSON list (None otherwise)."""
    m = _table(itables.MessageRow)
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import ARRAY, BIGINT  # noqa: PLC0415

        element = func.jsonb_array_elements_text(m.c.group_ids).table_valued("value")
        wanted = bindparam("_groups", type_=ARRAY(BIGINT))
        return exists().select_from(element).where(
            sql_cast(element.c.value, BIGINT) == any_(wanted)
        )
    if dialect == "sqlite":
        element = func.json_each(m.c.group_ids).table_valued("value")
        return exists().select_from(element).where(
            element.c.value.in_(bindparam("_groups", expanding=True))
        )
    return None


_EVERYONE_ONLY = (
    select(func.count())
    .select_from(_table(itables.MessageRow))
    .where(_unread_where(), _table(itables.MessageRow).c.to_everyone.is_(True))
)
_UNREAD_AUDIENCE = select(
    _table(itables.MessageRow).c.to_everyone, _table(itables.MessageRow).c.group_ids
).where(_unread_where())
_BY_GROUPS: dict[str, Select[Any] | None] = {}


def _count_by_groups(dialect: str) -> Select[Any] | None:
    """``COUNT`` of unread live messages to everyone or to a bound group (per dialect)."""
    if dialect not in _BY_GROUPS:
        in_groups = _in_groups(dialect)
        _BY_GROUPS[dialect] = (
            None
            if in_groups is None
            else select(func.count())
            .select_from(_table(itables.MessageRow))
            .where(
                _unread_where(),
                or_(_table(itables.MessageRow).c.to_everyone.is_(True), in_groups),
            )
        )
    return _BY_GROUPS[dialect]


def _live_with_reads() -> Select[Any]:
    """Live messages of the tenant, newest first, each with the user's read time."""
    m, r = _table(itables.MessageRow), _table(itables.MessageReadRow)
    now = bindparam("_now", type_=m.c.starts_at.type)
    return (
        select(*INVITATION_MAPPINGS["messages"].columns, r.c.read_at)
        .outerjoin_from(
            m, r,
            and_(r.c.tenant_id == m.c.tenant_id, r.c.message_id == m.c.id,
                 r.c.user_id == bindparam("_user")),
        )
        .where(
            m.c.tenant_id == bindparam("_tenant"),
            m.c.starts_at <= now,
            or_(m.c.ends_at.is_(None), m.c.ends_at > now),
        )
        .order_by(m.c.starts_at.desc(), m.c.id.desc())
    )


_LIVE_WITH_READS = _live_with_reads()


class MessageRepository(SqlRepository[BroadcastMessage]):
    """Broadcast messages, with the unread count of a page header."""

    def live_with_reads(
        self, tenant_id: int, user_id: int, now: dt.datetime
    ) -> list[tuple[BroadcastMessage, dt.datetime | None]]:
        """Live messages, newest first, with *user_id*'s read time: one joined ``SELECT``."""
        rows = self._execute(
            _LIVE_WITH_READS, {"_tenant": tenant_id, "_user": user_id, "_now": now}
        ).all()
        messages = self._m.from_rows(row[:-1] for row in rows)
        return [(message, row[-1]) for message, row in zip(messages, rows, strict=True)]

    def count_unread(
        self, tenant_id: int, user_id: int, group_ids: Collection[int], now: dt.datetime
    ) -> int:
        """Messages showing at *now* to everyone or to one of *group_ids* that
        *user_id* has not marked read: ONE ``COUNT`` statement (on PostgreSQL
        and SQLite the stored group lists are searched in SQL; elsewhere the
        statement returns the unread messages' audiences, counted here)."""
        params: dict[str, Any] = {"_tenant": tenant_id, "_user": user_id, "_now": now}
        if not group_ids:
            return int(self._execute(_EVERYONE_ONLY, params).scalar_one())
        groups = sorted(frozenset(group_ids))
        counting = _count_by_groups(self._uow.dialect)
        if counting is not None:
            return int(self._execute(counting, {**params, "_groups": groups}).scalar_one())
        rows: list[Any] = list(self._execute(_UNREAD_AUDIENCE, params).all())
        wanted = frozenset(groups)
        return sum(1 for row in rows if row[0] or not wanted.isdisjoint(row[1] or ()))
