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

The built-in catalogue covers the five seed portals. A host registers its own
permissions with :func:`register` (or on its own :class:`PermissionRegistry`)::

    from portalkit import perms
    FUEL_VIEW = perms.register("fuel.view", label="Fuel transactions View")

Unknown names are refused with :class:`~portalkit.errors.UnknownPermissionError`
wherever they are configured (:func:`validate`).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable, Iterator

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
    "default_registry",
    "features",
    "get",
    "is_known",
    "names",
    "permission_for_kind",
    "register",
    "register_feature",
    "requirements",
    "validate",
]

_NAME_RE = re.compile(r"^[a-z][a-z0-9_]*(?:\.[a-z][a-z0-9_]*)+$")
_FEATURE_RE = re.compile(r"^[a-z][a-z0-9_]*$")


@attrs.frozen
class Permission:
    """One entry of the catalogue.

    Attributes:
        name: The dotted name roles hold, e.g. ``"appointment.cancel"``.
        label: What staff see in a role editor ("Customer Appointment Cancel").
        feature: The tenant switch that turns it off (see the module docstring).
        requires: Permissions that must also be held (directly listed ones; see
            :meth:`PermissionRegistry.requirements` for the transitive closure).
        description: Longer help text.
    """

    name: str
    label: str
    feature: str
    requires: frozenset[str] = frozenset()
    description: str = ""


class PermissionRegistry:
    """A catalogue of permissions; the built-ins live in :data:`default_registry`.

    Registering is idempotent for an identical definition and refuses a changed
    one. A permission can only require permissions registered before it, so
    requirement cycles cannot be built. :attr:`revision` grows with every change,
    so a compiled policy can tell that it was built from an older catalogue.
    """

    def __init__(self, permissions: Iterable[Permission] = ()) -> None:
        self._lock = threading.Lock()
        self._by_name: dict[str, Permission] = {}
        self._closure: dict[str, frozenset[str]] = {}
        self._extra_features: set[str] = set()
        self.revision = 0
        for permission in permissions:
            self._add(permission)

    # Writing ---------------------------------------------------------------
    def register(
        self,
        name: str,
        *,
        label: str | None = None,
        feature: str | None = None,
        requires: Iterable[str] = (),
        description: str = "",
    ) -> str:
        """Add a permission and return its name (so it can be kept as a constant).

        Raises:
            ConfigurationError: the name or feature key is malformed, or the
                name is registered with a different definition.
            UnknownPermissionError: a required permission is not registered.
        """
        if not isinstance(name, str) or not _NAME_RE.match(name):
            raise ConfigurationError(
                f"Permission names are dotted lowercase words like 'fuel.view', not {name!r}."
            )
        permission = Permission(
            name=name,
            label=label or name,
            feature=feature or name.split(".", 1)[0],
            requires=frozenset(requires),
            description=description,
        )
        self._add(permission)
        return name

    def register_feature(self, key: str) -> str:
        """Declare a feature key that no permission uses (a host's own switch)."""
        if not isinstance(key, str) or not _FEATURE_RE.match(key):
            raise ConfigurationError(f"Feature keys are lowercase words, not {key!r}.")
        with self._lock:
            if key not in self._extra_features:
                self._extra_features.add(key)
                self.revision += 1
        return key

    def _add(self, permission: Permission) -> None:
        if not _FEATURE_RE.match(permission.feature):
            raise ConfigurationError(
                f"Feature keys are lowercase words, not {permission.feature!r}."
            )
        with self._lock:
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
            self.revision += 1

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

    def names(self) -> frozenset[str]:
        """Every registered permission name."""
        return frozenset(self._by_name)

    def validate(self, names: Iterable[str]) -> frozenset[str]:
        """Return *names* as a frozenset if all are registered.

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
        permission = self.get(name)
        return frozenset({permission.feature}) | {
            self._by_name[r].feature for r in self._closure[name]
        }

    def features(self) -> frozenset[str]:
        """Every feature key in use (permissions' keys and declared extra keys)."""
        return frozenset(p.feature for p in self._by_name.values()) | self._extra_features

    def copy(self) -> PermissionRegistry:
        """An independent registry with the same permissions (for tests and hosts)."""
        other = PermissionRegistry(self._by_name.values())
        for key in self._extra_features:
            other.register_feature(key)
        return other


def _builtin() -> PermissionRegistry:
    r = PermissionRegistry()
    add = r.register
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
    return r


#: The catalogue used unless another registry is passed explicitly.
default_registry: PermissionRegistry = _builtin()

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

#: The view permission of each built-in document kind.
DOCUMENT_KIND_PERMISSIONS: dict[str, str] = {
    "quote": QUOTE_VIEW,
    "proposal": PROPOSAL_VIEW,
    "invoice": INVOICE_VIEW,
    "report": REPORT_VIEW,
    "statement": STATEMENT_VIEW,
    "contract": CONTRACT_VIEW,
}


def register(
    name: str,
    *,
    label: str | None = None,
    feature: str | None = None,
    requires: Iterable[str] = (),
    description: str = "",
) -> str:
    """Register a host permission in the default catalogue; returns its name."""
    return default_registry.register(
        name, label=label, feature=feature, requires=requires, description=description
    )


def register_feature(key: str) -> str:
    """Declare a host feature switch key in the default catalogue."""
    return default_registry.register_feature(key)


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
