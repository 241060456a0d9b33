"""The permission catalogue: built-ins, host catalogues, requirements, feature keys."""

from __future__ import annotations

import ast
import inspect

import pytest
from hypothesis import given
from hypothesis import strategies as st

from portalkit import perms
from portalkit.errors import ConfigurationError, UnknownPermissionError
from portalkit.perms import Permission

SEED_000 = {
    "ASSET_IDENTIFICATION_VIEW": "asset.identification.view",
    "SERVICE_REQUEST_VIEW": "service_request.view",
    "SERVICE_REQUEST_EDIT": "service_request.edit",
    "PENDING_REPAIR_VIEW": "pending_repair.view",
    "APPOINTMENT_EDIT": "appointment.edit",
    "APPOINTMENT_CANCEL": "appointment.cancel",
    "APPOINTMENT_VIEW": "appointment.view",
    "PERSON_MANAGE": "person.manage",
    "METER_READING_EDIT": "meter_reading.edit",
    "PM_VIEW": "pm.view",
    "SA_VIEW": "sa.view",
}


def test_seed_000_actions_are_catalogued() -> None:
    """Every action of seed 000's permission table has a constant in the catalogue."""
    for constant, name in SEED_000.items():
        assert getattr(perms, constant) == name
        assert perms.is_known(name)
    assert perms.get(perms.APPOINTMENT_CANCEL).label == "Customer Appointment Cancel"


def test_every_constant_is_registered() -> None:
    """Every upper-case string constant of the module names a registered permission."""
    constants = {
        name: value for name, value in vars(perms).items()
        if name.isupper() and isinstance(value, str)
    }
    assert len(constants) >= 30
    assert set(constants.values()) == perms._builtin().names()
    assert set(constants.values()) <= perms.names()
    assert set(perms.DOCUMENT_KIND_PERMISSIONS.values()) <= perms.names()


def test_issue_kinds_are_covered() -> None:
    """Documents, accounts, KPI tiles, messages, invitations and profile are catalogued."""
    for name in ("job.view", "quote.view", "proposal.view", "invoice.view", "report.view",
                 "defect.view", "statement.view", "contract.view", "items_out.view",
                 "call_off_rent.request", "kpi.view", "message.view", "invitation.send",
                 "profile.edit", "account.summary.view"):
        assert perms.is_known(name), name


def test_appointments_require_manage_person() -> None:
    """Seed 000: appointment permissions need Manage Person, as data."""
    for name in (perms.APPOINTMENT_VIEW, perms.APPOINTMENT_EDIT, perms.APPOINTMENT_CANCEL):
        assert perms.requirements(name) == {perms.PERSON_MANAGE}
    assert perms.requirements(perms.ASSET_VIEW) == frozenset()


def test_requirements_are_transitive() -> None:
    """A requirement's own requirements are required too."""
    r = perms.catalogue(
        Permission("a.view"),
        Permission("b.view", requires=["a.view"]),
        Permission("c.view", requires=["b.view"]),
    )
    assert r.requirements("c.view") == {"a.view", "b.view"}
    assert r.features_of("c.view") == {"a", "b", "c"}


def test_feature_keys() -> None:
    """The feature key is the first segment unless given; PMs and SAs share one."""
    assert perms.get(perms.INVOICE_VIEW).feature == "invoice"
    assert perms.get(perms.PM_VIEW).feature == perms.get(perms.SA_VIEW).feature == (
        "maintenance_schedule")
    assert perms.default_registry.features_of(perms.APPOINTMENT_VIEW) == {
        "appointment", "person"}
    assert {"invoice", "quote", "report", "maintenance_schedule"} <= perms.features()


def test_unknown_names_are_typed_errors() -> None:
    """Unknown permission names raise UnknownPermissionError carrying the name."""
    with pytest.raises(UnknownPermissionError) as info:
        perms.validate([perms.ASSET_VIEW, "asset.teleport"])
    assert info.value.name == "asset.teleport"
    assert info.value.code == "unknown_permission"
    with pytest.raises(UnknownPermissionError):
        perms.get("nope.view")
    with pytest.raises(UnknownPermissionError):
        perms.requirements("nope.view")
    assert perms.validate([perms.ASSET_VIEW]) == {perms.ASSET_VIEW}


def test_host_catalogue() -> None:
    """A host catalogue lists its permissions; an identical repeat is fine, a change is not."""
    r = perms.PermissionRegistry([Permission("fuel.view", label="Fuel View")])
    assert "fuel.view" in r
    assert r.get("fuel.view").feature == "fuel"
    assert len(perms.PermissionRegistry([Permission("fuel.view")] * 2)) == 1
    with pytest.raises(ConfigurationError, match="already registered differently"):
        r.with_(Permission("fuel.view", label="Something else"))
    with pytest.raises(UnknownPermissionError):
        r.with_(Permission("fuel.edit", requires=["fuel.delete"]))
    for bad in ("Fuel.View", "fuel", "fuel..view", "fuel.view!", "", "1a.b"):
        with pytest.raises(ConfigurationError):
            Permission(bad)
    with pytest.raises(ConfigurationError):
        Permission("fuel.log", feature="Bad Key")
    with pytest.raises(ConfigurationError):
        perms.PermissionRegistry(["fuel.view"])  # type: ignore[list-item]
    assert "registration" in r.with_(features=["registration"]).features()
    with pytest.raises(ConfigurationError):
        r.with_(features=["no good"])
    assert [p.name for p in r] == ["fuel.view"]


def test_catalogue_extends_the_built_ins_without_changing_them() -> None:
    """perms.catalogue() is a new catalogue; the built-in one never changes."""
    before = perms.names()
    host = perms.catalogue(
        Permission("testhost.widget.view", label="Widget View"), features=["testhost_switch"]
    )
    assert host.names() == before | {"testhost.widget.view"}
    assert "testhost_switch" in host.features()
    assert perms.names() == before
    assert "testhost_switch" not in perms.features()
    assert not hasattr(perms, "register")
    assert not hasattr(perms.default_registry, "register")


def test_permission_for_kind() -> None:
    """Document kinds map to their view permission; host kinds once in the catalogue."""
    assert perms.permission_for_kind("invoice") == perms.INVOICE_VIEW
    with pytest.raises(UnknownPermissionError):
        perms.permission_for_kind("warranty", perms.default_registry)
    r = perms.catalogue(Permission("warranty.view"))
    assert perms.permission_for_kind("warranty", r) == "warranty.view"


_WORD = st.from_regex(r"[a-z][a-z0-9_]{0,8}", fullmatch=True)


@given(st.lists(st.tuples(_WORD, _WORD), min_size=1, max_size=8, unique=True))
def test_registered_names_validate_and_others_do_not(pairs: list[tuple[str, str]]) -> None:
    """Whatever is in a catalogue validates; any other name raises UnknownPermissionError."""
    names = [f"{a}.{b}" for a, b in pairs]
    r = perms.PermissionRegistry(Permission(n) for n in names)
    assert r.validate(names) == set(names)
    assert r.names() == set(names)
    with pytest.raises(UnknownPermissionError):
        r.validate([*names, "zz.unregistered.name"])


def test_perms_imports_only_stdlib_attrs_and_errors() -> None:
    """perms.py may import only the standard library, attrs and portalkit.errors."""
    tree = ast.parse(inspect.getsource(perms))
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            imported.add(node.module)
    allowed = {"__future__", "re", "typing", "collections.abc", "attrs", "portalkit.errors"}
    assert imported <= allowed
