"""The permission catalogue: every action a portal user can be allowed to take.

A permission is a dotted name (``"asset.identification.view"``); roles hold sets
of them and grants bind a role to a scope node. Each permission has:

- a **feature key**: the switch in :attr:`TenantSettings.disabled_features
  <portalkit.domain.tenants.TenantSettings.disabled_features>` that turns it off
  for a whole tenant. By default it is the name's first segment (``invoice`` for
  ``invoice.view``), so ``disabled_features={"invoice"}`` hides invoices
  (seed 002's Settings - Misc). A few permissions share one key
  (``pm.view`` and ``sa.view`` are both ``maintenance_schedule``).
- **requirements**: other permissions that must also be held, at a scope that
  covers the same resource, before it is allowed. Seed 000's appointments need
  *Manage Person*, so every ``appointment.*`` permission requires
  :data:`PERSON_MANAGE`. Requirements are data, checked transitively.

The built-in catalogue (:data:`default_registry`) covers the five seed portals
and cannot be changed. A host that has permissions of its own builds its
portal's catalogue with :func:`catalogue` (the built-ins plus its own) and
passes it in :attr:`PortalConfig.permissions <portalkit.config.PortalConfig.permissions>`::

    from portalkit import PortalConfig, perms
    from portalkit.perms import Permission

    FUEL_VIEW = "fuel.view"
    config = PortalConfig(permissions=perms.catalogue(
        Permission(FUEL_VIEW, label="Fuel transactions View"),
        Permission("fuel.export", requires=[FUEL_VIEW]),
        features=["registration"],                 # a switch no permission uses
    ))

Unknown names are refused with :class:`~portalkit.errors.UnknownPermissionError`
wherever they are configured (:func:`validate`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Any

import attrs

from portalkit.errors import ConfigurationError, UnknownPermissionError

__all__ = [
    "ACCOUNT_SUMMARY_VIEW",
    "APPOINTMENT_CANCEL",
    "APPOINTMENT_EDIT",
    "APPOINTMENT_VIEW",
    "ASSET_IDENTIFICATION_VIEW",
    "ASSET_VIEW",
    "CALL_OFF_RENT_REQUEST",
    "CONTRACT_VIEW",
    "DEFECT_VIEW",
    "DOCUMENT_KIND_PERMISSIONS",
    "DOCUMENT_SHARE",
    "INVITATION_SEND",
    "INVOICE_VIEW",
    "ITEMS_OUT_VIEW",
    "JOB_REQUEST",
    "JOB_VIEW",
    "KPI_VIEW",
    "MESSAGE_VIEW",
    "METER_READING_EDIT",
    "PENDING_REPAIR_VIEW",
    "PEOPLE_MANAGE",
    "PERSON_MANAGE",
    "PM_VIEW",
    "PROFILE_EDIT",
    "PROPOSAL_VIEW",
    "QUOTE_DECIDE",
    "QUOTE_VIEW",
    "REPORT_VIEW",
    "SA_VIEW",
    "SERVICE_REQUEST_EDIT",
    "SERVICE_REQUEST_VIEW",
    "STATEMENT_VIEW",
    "Permission",
    "PermissionRegistry",
    "catalogue",
    "default_registry",
    "features",
    "get",
    "is_known",
    "names",
    "permission_for_kind",
    "requirements",
    "validate",
]

_NAME_RE = re.compile(r"^[a-z][a-z0-9_]*(?:\.[a-z][a-z0-9_]*)+$")
_FEATURE_RE = re.compile(r"^[a-z][a-z0-9_]*$")


def _check_name(_instance: object, _attribute: object, name: str) -> None:
    if not isinstance(name, str) or not _NAME_RE.match(name):
        raise ConfigurationError(
            f"Permission names are dotted lowercase words like 'fuel.view', not {name!r}."
        )


def _check_feature(_instance: object, _attribute: object, key: str) -> None:
    if not isinstance(key, str) or not _FEATURE_RE.match(key):
        raise ConfigurationError(f"Feature keys are lowercase words, not {key!r}.")


def _first_segment(permission: Permission) -> str:
    return permission.name.split(".", 1)[0]


@attrs.frozen
class Permission:
    """One entry of the catalogue.

    Attributes:
        name: The dotted name roles hold, e.g. ``"appointment.cancel"``.
        label: What staff see in a role editor ("Customer Appointment Cancel");
            the name by default.
        feature: The tenant switch that turns it off (see the module
            docstring); the name's first segment by default.
        requires: Permissions that must also be held (directly listed ones; see
            :meth:`PermissionRegistry.requirements` for the transitive closure).
        description: Longer help text.

    Raises:
        ConfigurationError: a malformed name or feature key.
    """

    name: str = attrs.field(validator=_check_name)
    label: str = attrs.field(
        default=attrs.Factory(lambda self: self.name, takes_self=True), kw_only=True
    )
    feature: str = attrs.field(
        default=attrs.Factory(_first_segment, takes_self=True),
        validator=_check_feature,
        kw_only=True,
    )
    requires: frozenset[str] = attrs.field(default=frozenset(), converter=frozenset, kw_only=True)
    description: str = attrs.field(default="", kw_only=True)


class PermissionRegistry:
    """An immutable catalogue of permissions; the built-ins are :data:`default_registry`.

    A permission can only require permissions listed before it, so requirement
    cycles cannot be built. A portal's catalogue is the built-in one extended
    with the host's permissions (:func:`catalogue`, :meth:`with_`); nothing
    changes a catalogue once built, so every service of a portal and the
    integrations' admin pages see the same one.

    Args:
        permissions: The entries, in order; listing an identical one twice is fine.
        features: Feature keys that no permission uses (a host's own switches).

    Raises:
        ConfigurationError: a name listed twice with different definitions,
            or a malformed feature key.
        UnknownPermissionError: a required permission is not listed before.
    """

    def __init__(
        self, permissions: Iterable[Permission] = (), *, features: Iterable[str] = ()
    ) -> None:
        self._by_name: dict[str, Permission] = {}
        self._closure: dict[str, frozenset[str]] = {}
        self._features: dict[str, frozenset[str]] = {}
        for permission in permissions:
            self._add(permission)
        # A catalogue never changes once built: every policy compiles from these.
        self._names = frozenset(self._by_name)
        extra = frozenset(features)
        for key in sorted(extra, key=str):
            _check_feature(None, None, key)
        self._extra_features = extra

    def with_(
        self, *permissions: Permission, features: Iterable[str] = ()
    ) -> PermissionRegistry:
        """A new catalogue: this one plus *permissions* and extra feature keys."""
        return PermissionRegistry(
            [*self._by_name.values(), *permissions],
            features=self._extra_features | frozenset(features),
        )

    def _add(self, permission: Permission) -> None:
        if not isinstance(permission, Permission):
            raise ConfigurationError(
                f"A catalogue holds Permission objects, not {permission!r}."
            )
        existing = self._by_name.get(permission.name)
        if existing is not None:
            if existing == permission:
                return
            raise ConfigurationError(
                f"Permission {permission.name!r} is already registered differently."
            )
        closure: set[str] = set()
        for required in permission.requires:
            if required not in self._by_name:
                raise UnknownPermissionError(required)
            closure.add(required)
            closure |= self._closure[required]
        self._by_name[permission.name] = permission
        self._closure[permission.name] = frozenset(closure)
        self._features[permission.name] = frozenset({permission.feature}) | {
            self._by_name[r].feature for r in closure
        }

    # Reading ---------------------------------------------------------------
    def get(self, name: str) -> Permission:
        """The permission called *name*; raises UnknownPermissionError if none."""
        permission = self._by_name.get(name)
        if permission is None:
            raise UnknownPermissionError(str(name))
        return permission

    def __contains__(self, name: object) -> bool:
        return name in self._by_name

    def __iter__(self) -> Iterator[Permission]:
        return iter(list(self._by_name.values()))

    def __len__(self) -> int:
        return len(self._by_name)

    def __repr__(self) -> str:
        return f"<PermissionRegistry of {len(self._by_name)} permissions>"

    def names(self) -> frozenset[str]:
        """Every permission name in the catalogue."""
        return self._names

    def validate(self, names: Iterable[str]) -> frozenset[str]:
        """Return *names* as a frozenset if all are in the catalogue.

        Raises:
            UnknownPermissionError: for the first unknown name (in sorted order).
        """
        wanted = frozenset(names)
        for name in sorted(wanted, key=str):
            if name not in self._by_name:
                raise UnknownPermissionError(str(name))
        return wanted

    def requirements(self, name: str) -> frozenset[str]:
        """Every permission *name* needs besides itself (transitively)."""
        self.get(name)
        return self._closure[name]

    def features_of(self, name: str) -> frozenset[str]:
        """The feature keys that must all be switched on for *name* to be allowed."""
        self.get(name)
        return self._features[name]

    def features(self) -> frozenset[str]:
        """Every feature key in use (permissions' keys and declared extra keys)."""
        return frozenset(p.feature for p in self._by_name.values()) | self._extra_features


def _builtin() -> PermissionRegistry:
    entries: list[Permission] = []

    def add(name: str, *, label: str, **more: Any) -> None:
        entries.append(Permission(name, label=label, **more))

    # Assets and the asset page (seed 000; asset list of seed 002).
    add("asset.view", label="Assets View", description="See the asset list.")
    add("asset.identification.view", label="Asset Identification View")
    add("meter_reading.edit", label="Meter Reading Add/Edit")
    add("pm.view", label="PMs View", feature="maintenance_schedule")
    add("sa.view", label="SAs View", feature="maintenance_schedule")
    # Maintenance (seed 000).
    add("service_request.view", label="Service Request View")
    add("service_request.edit", label="Service Request Add/Edit")
    add("pending_repair.view", label="Pending Repair View")
    add("person.manage", label="Manage Person")
    needs_person = ("person.manage",)
    add("appointment.view", label="Customer Appointment View", requires=needs_person)
    add("appointment.edit", label="Customer Appointment Add/Edit", requires=needs_person)
    add("appointment.cancel", label="Customer Appointment Cancel", requires=needs_person)
    # Jobs and documents (seeds 002-004).
    add("job.view", label="Jobs View")
    add("job.request", label="Request Job")
    add("quote.view", label="Quotes View")
    add("quote.decide", label="Approve or Decline Quotes", feature="quote")
    add("proposal.view", label="Proposals View")
    add("invoice.view", label="Invoices View")
    add("report.view", label="Reports View")
    add("defect.view", label="Defects View")
    add("statement.view", label="Statements View")
    add("contract.view", label="Contracts View")
    add("items_out.view", label="Items Out View")
    add("call_off_rent.request", label="Call Off Rent Request", requires=("items_out.view",))
    add("document.share", label="Share Documents", feature="share")
    # Account, KPI tiles, messages, invitations, profile (seeds 001, 003, 004).
    add("account.summary.view", label="Account Summary View")
    add("kpi.view", label="KPI and Report Tiles View")
    add("message.view", label="Messages View")
    add("invitation.send", label="Send Customer Portal Invitation")
    add("profile.edit", label="Profile Edit")
    # Customer self-administration (issue 23): manage the organization's own
    # portal users. Inviting is part of it, through the one invitation flow.
    add(
        "people.manage",
        label="Manage Portal Users",
        requires=("invitation.send",),
        description="List, invite, change, disable and remove colleagues' access.",
    )
    return PermissionRegistry(entries)


#: The built-in catalogue (immutable); a portal uses it unless its
#: :class:`~portalkit.config.PortalConfig` names another.
default_registry: PermissionRegistry = _builtin()


def catalogue(*permissions: Permission, features: Iterable[str] = ()) -> PermissionRegistry:
    """The built-in catalogue plus the host's *permissions* and feature keys.

    Pass the result as ``PortalConfig(permissions=...)``; see the module docstring.
    """
    return default_registry.with_(*permissions, features=features)

ASSET_VIEW = "asset.view"
ASSET_IDENTIFICATION_VIEW = "asset.identification.view"
METER_READING_EDIT = "meter_reading.edit"
PM_VIEW = "pm.view"
SA_VIEW = "sa.view"
SERVICE_REQUEST_VIEW = "service_request.view"
SERVICE_REQUEST_EDIT = "service_request.edit"
PENDING_REPAIR_VIEW = "pending_repair.view"
PERSON_MANAGE = "person.manage"
APPOINTMENT_VIEW = "appointment.view"
APPOINTMENT_EDIT = "appointment.edit"
APPOINTMENT_CANCEL = "appointment.cancel"
JOB_VIEW = "job.view"
JOB_REQUEST = "job.request"
QUOTE_VIEW = "quote.view"
QUOTE_DECIDE = "quote.decide"
PROPOSAL_VIEW = "proposal.view"
INVOICE_VIEW = "invoice.view"
REPORT_VIEW = "report.view"
DEFECT_VIEW = "defect.view"
STATEMENT_VIEW = "statement.view"
CONTRACT_VIEW = "contract.view"
ITEMS_OUT_VIEW = "items_out.view"
CALL_OFF_RENT_REQUEST = "call_off_rent.request"
DOCUMENT_SHARE = "document.share"
ACCOUNT_SUMMARY_VIEW = "account.summary.view"
KPI_VIEW = "kpi.view"
MESSAGE_VIEW = "message.view"
INVITATION_SEND = "invitation.send"
PROFILE_EDIT = "profile.edit"
PEOPLE_MANAGE = "people.manage"

#: The view permission of each built-in document kind.
DOCUMENT_KIND_PERMISSIONS: dict[str, str] = {
    "quote": QUOTE_VIEW,
    "proposal": PROPOSAL_VIEW,
    "invoice": INVOICE_VIEW,
    "report": REPORT_VIEW,
    "statement": STATEMENT_VIEW,
    "contract": CONTRACT_VIEW,
}


def get(name: str) -> Permission:
    """The permission called *name* in the default catalogue."""
    return default_registry.get(name)


def is_known(name: str) -> bool:
    """True when *name* is in the default catalogue."""
    return name in default_registry


def names() -> frozenset[str]:
    """Every permission name in the default catalogue."""
    return default_registry.names()


def validate(names: Iterable[str]) -> frozenset[str]:
    """Check names against the default catalogue (raises UnknownPermissionError)."""
    return default_registry.validate(names)


def requirements(name: str) -> frozenset[str]:
    """What *name* needs besides itself, transitively, in the default catalogue."""
    return default_registry.requirements(name)


def features() -> frozenset[str]:
    """Every feature key of the default catalogue."""
    return default_registry.features()


def permission_for_kind(kind: str, registry: PermissionRegistry | None = None) -> str:
    """The view permission of a document kind: built-in, or ``"<kind>.view"`` if registered.

    Raises:
        UnknownPermissionError: the kind has no registered view permission.
    """
    name = DOCUMENT_KIND_PERMISSIONS.get(kind, f"{kind}.view")
    (registry or default_registry).get(name)
    return name
