"""Repositories of invitations and broadcast messages over SQLAlchemy Core.

They reuse the generic :class:`~portalkit.adapters.sqlalchemy.repositories.SqlRepository`;
invitations add :meth:`InvitationRepository.update_if`, the conditional update
that makes exactly one of concurrent accepts win.
"""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import Table, bindparam, update

from portalkit.adapters.sqlalchemy import invitation_tables as itables
from portalkit.adapters.sqlalchemy.repositories import SqlRepository, TableMapping
from portalkit.domain.invitations import Invitation, InvitationStatus
from portalkit.domain.messages import BroadcastMessage, MessageRead

__all__ = ["INVITATION_MAPPINGS", "InvitationRepository"]


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
