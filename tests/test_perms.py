"""The permission catalogue: built-ins, host registration, requirements, feature keys."""

from __future__ import annotations

import ast
import inspect

import pytest
from hypothesis import given
from hypothesis import strategies as st

from portalkit import perms
from portalkit.errors import ConfigurationError, UnknownPermissionError

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
    r = perms.default_registry.copy()
    r.register("a.view")
    r.register("b.view", requires=["a.view"])
    r.register("c.view", requires=["b.view"])
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


def test_host_registration() -> None:
    """Hosts register permissions; identical re-registration is fine, a change is not."""
    r = perms.PermissionRegistry()
    before = r.revision
    name = r.register("fuel.view", label="Fuel View")
    assert name == "fuel.view"
    assert "fuel.view" in r
    assert r.revision == before + 1
    assert r.register("fuel.view", label="Fuel View") == "fuel.view"
    assert r.revision == before + 1
    with pytest.raises(ConfigurationError):
        r.register("fuel.view", label="Something else")
    with pytest.raises(UnknownPermissionError):
        r.register("fuel.edit", requires=["fuel.delete"])
    for bad in ("Fuel.View", "fuel", "fuel..view", "fuel.view!", "", "1a.b"):
        with pytest.raises(ConfigurationError):
            r.register(bad)
    with pytest.raises(ConfigurationError):
        r.register("fuel.log", feature="Bad Key")
    assert r.register_feature("registration") in r.features()
    with pytest.raises(ConfigurationError):
        r.register_feature("no good")
    assert len(r) == 1
    assert [p.name for p in r] == ["fuel.view"]


def test_module_level_registration_uses_default_registry() -> None:
    """perms.register adds to the default catalogue used everywhere by default."""
    name = perms.register("testhost.widget.view", label="Widget View")
    assert perms.is_known(name)
    assert perms.register_feature("testhost_switch") in perms.features()


def test_copy_is_independent() -> None:
    """A copied registry does not see later registrations in the original."""
    copy = perms.default_registry.copy()
    copy.register("copyonly.view")
    assert "copyonly.view" in copy
    assert not perms.is_known("copyonly.view")


def test_permission_for_kind() -> None:
    """Document kinds map to their view permission; host kinds once registered."""
    assert perms.permission_for_kind("invoice") == perms.INVOICE_VIEW
    r = perms.default_registry.copy()
    with pytest.raises(UnknownPermissionError):
        perms.permission_for_kind("warranty", r)
    r.register("warranty.view")
    assert perms.permission_for_kind("warranty", r) == "warranty.view"


_WORD = st.from_regex(r"[a-z][a-z0-9_]{0,8}", fullmatch=True)


@given(st.lists(st.tuples(_WORD, _WORD), min_size=1, max_size=8, unique=True))
def test_registered_names_validate_and_others_do_not(pairs: list[tuple[str, str]]) -> None:
    """Whatever is registered validates; any other name raises UnknownPermissionError."""
    r = perms.PermissionRegistry()
    names = [r.register(f"{a}.{b}") for a, b in pairs]
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
    allowed = {"__future__", "re", "threading", "collections.abc", "attrs", "portalkit.errors"}
    assert imported <= allowed
