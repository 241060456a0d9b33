"""The customer self-administration capability: ``req.people``.

:mod:`portalkit.capabilities` documents and re-exports it; import it from there.
"""

from __future__ import annotations

import builtins
from collections.abc import Mapping
from typing import Any

from portalkit._capabilities_base import _Bound
from portalkit._services.invitation_types import Contact, SendOutcome
from portalkit._services.people import Colleague, PeopleService
from portalkit.domain.principals import Grant, Role


class RequestPeople(_Bound[PeopleService]):
    """The organization's own portal users, managed by a holder of ``people.manage``.

    For this request: no tenant, principal or policy to pass. Every method
    raises :class:`~portalkit.errors.PermissionDeniedError` for a principal
    that may not manage people.
    """

    def list(self) -> builtins.list[Colleague]:
        """The portal users with a grant where the principal manages people, by name."""
        return self._service.list(self._req.principal)

    def assignable_roles(self, scope_id: int) -> builtins.list[Role]:
        """The roles the principal may give at *scope_id*: what a role menu offers."""
        return self._service.assignable_roles(self._req.principal, scope_id)

    def invite(
        self,
        contact: Contact | Mapping[str, Any],
        *,
        scope_id: int,
        role: str,
        group: str | None = None,
    ) -> SendOutcome:
        """Invite a colleague to *role* at *scope_id*, through the invitation flow."""
        return self._service.invite(
            self._req.principal, contact, scope_id=scope_id, role=role, group=group
        )

    def change_role(self, grant_id: int, role: str) -> Grant:
        """Give a colleague *role* instead of the role of their grant *grant_id*."""
        return self._service.change_role(self._req.principal, grant_id, role)

    def remove_access(self, grant_id: int) -> None:
        """Remove a colleague's grant *grant_id*."""
        self._service.remove_access(self._req.principal, grant_id)

    def disable(self, user_id: int) -> None:
        """Disable a colleague: their sessions end at once."""
        self._service.disable(self._req.principal, user_id)

    def enable(self, user_id: int) -> None:
        """Enable a disabled colleague again."""
        self._service.enable(self._req.principal, user_id)
