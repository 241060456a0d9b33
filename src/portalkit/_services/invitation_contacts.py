"""Invitations: the contacts of a send, read and checked one by one.

Part of :class:`~portalkit._services.invitations.InvitationService`; the module
docstring there tells the rules.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

from portalkit._services.invitation_types import Contact
from portalkit.domain.i18n import Msg
from portalkit.domain.invitations import validate_contact_name
from portalkit.errors import InvalidInputError


@attrs.frozen
class _Row:
    row: int
    email: str
    contact: Contact


def _field(raw: Contact | Mapping[str, Any], name: str) -> Any:
    if isinstance(raw, Contact):
        return getattr(raw, name)
    return raw.get(name) if isinstance(raw, Mapping) else None


def _contact(raw: Contact | Mapping[str, Any], email: str) -> Contact:
    """A checked contact with the normalized *email*; InvalidInputError if not valid."""
    if not isinstance(raw, (Contact, Mapping)):
        raise InvalidInputError.for_field("contact", Msg("contact.incomplete"))
    name = validate_contact_name(_field(raw, "name"))
    key = _field(raw, "contact_key")
    if key is not None and (not isinstance(key, str) or not key.strip() or len(key) > 200):
        raise InvalidInputError.for_field("contact_key", Msg("contact.bad_key"))
    values = _field(raw, "values") or {}
    if not isinstance(values, Mapping) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in values.items()
    ):
        raise InvalidInputError.for_field("values", Msg("template.values_not_text"))
    return Contact(
        email=email,
        name=name,
        contact_key=key.strip() if key is not None else None,
        values=dict(values),
    )
