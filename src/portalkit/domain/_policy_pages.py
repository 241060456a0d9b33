"""Page layout: the sections of a page and which of them a principal may see.

A page is a sequence of :class:`Section`; :func:`page_sections` asks the policy
about each section's permissions and answers :class:`Sections` or, when no
informational section is allowed, :class:`NoAccess` (seed 000).
:mod:`portalkit.domain.policy` re-exports the public names; import them from there.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import attrs

from portalkit.domain._policy_decisions import Decision, Reason, Resource
from portalkit.domain.principals import Principal
from portalkit.perms import (
    APPOINTMENT_CANCEL,
    APPOINTMENT_EDIT,
    APPOINTMENT_VIEW,
    ASSET_IDENTIFICATION_VIEW,
    METER_READING_EDIT,
    PENDING_REPAIR_VIEW,
    PM_VIEW,
    SA_VIEW,
    SERVICE_REQUEST_EDIT,
    SERVICE_REQUEST_VIEW,
)

#: The policy's question: may this principal take this action on this resource?
Decide = Callable[[Principal, str, Resource], Decision]


@attrs.frozen
class Section:
    """One section of a page, shown when all its permissions are allowed.

    Attributes:
        key: Stable identifier, e.g. ``"identification"``.
        title: Default heading.
        permissions: All must be allowed for the section to show.
        actions: Optional operations inside it, reported when allowed.
        informational: Whether it shows the resource's information; a page
            without any informational section is :class:`NoAccess` (seed 000).
    """

    key: str
    title: str
    permissions: tuple[str, ...]
    actions: tuple[str, ...] = ()
    informational: bool = False


#: Seed 000's asset page. Appointments also need ``person.manage`` through the
#: catalogue's requirements.
ASSET_PAGE: tuple[Section, ...] = (
    Section("identification", "Identification", (ASSET_IDENTIFICATION_VIEW,), informational=True),
    Section(
        "outstanding_service_requests",
        "Outstanding Service Requests",
        (SERVICE_REQUEST_VIEW,),
        informational=True,
    ),
    Section(
        "open_pending_repairs", "Open and Pending Repairs", (PENDING_REPAIR_VIEW,),
        informational=True,
    ),
    Section(
        "appointments", "Appointments", (APPOINTMENT_VIEW,),
        actions=(APPOINTMENT_EDIT, APPOINTMENT_CANCEL),
    ),
    Section("request_service", "Request Service", (SERVICE_REQUEST_EDIT,)),
    Section("add_meter_reading", "Add Meter Reading", (METER_READING_EDIT,)),
    Section("maintenance_schedule", "Maintenance Schedule", (PM_VIEW, SA_VIEW)),
)


@attrs.frozen
class SectionAccess:
    """A section the principal may see, with the optional actions allowed in it."""

    section: Section
    actions: frozenset[str] = frozenset()

    @property
    def key(self) -> str:
        """The section's key."""
        return self.section.key


@attrs.frozen
class Sections:
    """The sections of a page the principal may see, in page order."""

    items: tuple[SectionAccess, ...]

    @property
    def keys(self) -> tuple[str, ...]:
        """The keys of the allowed sections, in page order."""
        return tuple(item.section.key for item in self.items)


@attrs.frozen
class NoAccess:
    """The "you do not have permission to view this asset" result (seed 000).

    ``reason`` is the denial reason of the page's first informational section.
    """

    reason: Reason


def page_sections(
    decide: Decide, principal: Principal, resource: Resource, page: Iterable[Section]
) -> Sections | NoAccess:
    """The sections of *page* the principal may see for *resource*, asking *decide*.

    A page on which no informational section is allowed is :class:`NoAccess`.
    """
    items: list[SectionAccess] = []
    first_denial: Reason | None = None
    for section in page:
        for name in section.permissions:
            d = decide(principal, name, resource)
            if not d.allowed:
                if section.informational and first_denial is None:
                    first_denial = d.reason
                break
        else:
            actions = frozenset(
                a for a in section.actions if decide(principal, a, resource).allowed
            )
            items.append(SectionAccess(section, actions))
    if not any(item.section.informational for item in items):
        return NoAccess(first_denial or Reason.NO_GRANT)
    return Sections(tuple(items))
