"""The public surface is deliberate: listed, sorted, documented, with stable error codes.

The public modules are the package root, ``capabilities``, ``config``,
``errors``, ``filters``, ``locale``, ``perms``, ``ports``, ``services`` and
``web.*`` (docs/compatibility.md); each lists its names in a sorted
``__all__`` (ruff's RUF022 order: CONSTANTS, then Classes, then everything
else), and the API reference documents every one of them. ``portalkit.domain``
is internal except what a public module re-exports; its modules keep the same
``__all__`` discipline. A leading underscore means internal.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
import re
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

import portalkit
import portalkit.domain
import portalkit.errors
import portalkit.web
from portalkit.errors import PortalkitError

PACKAGE_DIR = Path(portalkit.__file__).resolve().parent


def _public_module_names() -> list[str]:
    names = [
        "portalkit",
        "portalkit.capabilities",
        "portalkit.config",
        "portalkit.errors",
        "portalkit.filters",
        "portalkit.locale",
        "portalkit.perms",
        "portalkit.ports",
        "portalkit.services",
        "portalkit.web",
    ]
    names += sorted(
        info.name for info in pkgutil.walk_packages(portalkit.web.__path__, "portalkit.web.")
    )
    return names


def _domain_module_names() -> list[str]:
    return sorted(
        info.name
        for info in pkgutil.walk_packages(portalkit.domain.__path__, "portalkit.domain.")
        if not any(part.startswith("_") for part in info.name.split("."))
    )


#: The modules covered by the compatibility policy and the API reference.
PUBLIC_MODULES = _public_module_names()
#: Internal, but with the same ``__all__`` discipline (what they list is what others import).
LISTED_MODULES = PUBLIC_MODULES + _domain_module_names()


def _natural(name: str) -> list[int | str]:
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", name)]


def ruf022_key(name: str) -> tuple[int, list[int | str]]:
    """Sort key of ruff's RUF022: SCREAMING_CASE, then CamelCase, then the rest."""
    if len(name) > 1 and name.isupper():
        group = 0
    elif name[:1].isupper():
        group = 1
    else:
        group = 2
    return group, _natural(name)


def _defined_public_names(module: ModuleType) -> set[str]:
    """Names a module defines or explicitly re-exports (``import x as x``), minus underscores."""
    assert module.__file__
    tree = ast.parse(Path(module.__file__).read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            if _is_typevar(node.value):
                continue
            names.update(t.id for t in node.targets if isinstance(t, ast.Name))
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
        elif isinstance(node, ast.ImportFrom | ast.Import):
            names.update(a.asname for a in node.names if a.asname and a.asname == a.name)
    return {n for n in names if not n.startswith("_")}


def _is_typevar(value: ast.expr) -> bool:
    return (
        isinstance(value, ast.Call)
        and isinstance(value.func, ast.Name | ast.Attribute)
        and ast.unparse(value.func).split(".")[-1] in {"TypeVar", "ParamSpec", "TypeVarTuple"}
    )


@pytest.mark.parametrize("name", LISTED_MODULES)
def test_all_names_exist(name: str) -> None:
    """Every name a public module lists in ``__all__`` can be imported from it."""
    module = importlib.import_module(name)
    missing = [n for n in module.__all__ if not hasattr(module, n)]
    assert not missing, f"{name}.__all__ lists names it does not have: {missing}"


@pytest.mark.parametrize("name", LISTED_MODULES)
def test_all_is_sorted_and_unique(name: str) -> None:
    """``__all__`` is sorted in ruff's RUF022 order and lists each name once."""
    listed = list(importlib.import_module(name).__all__)
    assert len(set(listed)) == len(listed), f"{name}.__all__ repeats names"
    assert listed == sorted(listed, key=ruf022_key), f"{name}.__all__ is not sorted"


@pytest.mark.parametrize("name", LISTED_MODULES)
def test_all_is_complete(name: str) -> None:
    """Every public name a module defines or re-exports is in its ``__all__``."""
    module = importlib.import_module(name)
    unlisted = sorted(_defined_public_names(module) - set(module.__all__))
    assert not unlisted, (
        f"{name} defines public names missing from __all__: {unlisted} "
        "(list them, or rename them with a leading underscore)"
    )


def test_root_lists_the_error_root_and_version() -> None:
    """``portalkit`` offers its version and the error root at the top."""
    assert isinstance(portalkit.__version__, str)
    assert "PortalkitError" in portalkit.__all__


def _error_classes() -> list[type[PortalkitError]]:
    seen: list[type[PortalkitError]] = []
    todo: list[type[PortalkitError]] = [PortalkitError]
    while todo:
        cls = todo.pop()
        if cls.__module__.startswith("portalkit") and cls not in seen:
            seen.append(cls)
            todo.extend(cls.__subclasses__())
    return sorted(seen, key=lambda c: c.__name__)


def test_error_codes_are_unique_and_stable_looking() -> None:
    """Every PortalkitError subclass has its own snake_case ``code``, different from all others."""
    errors = _error_classes()
    assert len(errors) > 10
    by_code: dict[str, list[str]] = {}
    for cls in errors:
        assert "code" in vars(cls), f"{cls.__name__} inherits its code; give it its own"
        assert re.fullmatch(r"[a-z][a-z0-9_]*", cls.code), f"{cls.__name__}.code {cls.code!r}"
        by_code.setdefault(cls.code, []).append(cls.__name__)
    duplicates = {code: names for code, names in by_code.items() if len(names) > 1}
    assert not duplicates, f"error codes used twice: {duplicates}"


def test_every_error_lives_in_errors_and_is_listed() -> None:
    """All error classes are defined in portalkit.errors and exported from it."""
    for cls in _error_classes():
        assert cls.__module__ == "portalkit.errors", f"{cls.__name__} is outside errors.py"
        assert cls.__name__ in portalkit.errors.__all__, f"{cls.__name__} not in errors.__all__"
        assert cls.default_message.strip(), f"{cls.__name__} has no default message"


def _source_modules() -> Iterator[tuple[str, ast.Module]]:
    for path in sorted(PACKAGE_DIR.rglob("*.py")):
        parts = path.relative_to(PACKAGE_DIR.parent).with_suffix("").parts
        if parts[-3:-1] == ("django", "migrations"):
            continue  # generated by makemigrations
        yield ".".join(parts), ast.parse(path.read_text(encoding="utf-8"))


def _is_exempt(node: ast.FunctionDef | ast.AsyncFunctionDef, *, in_class: bool) -> bool:
    """Overloads, property setters and (on classes) properties need no docstring of their own."""
    for decorator in node.decorator_list:
        text = ast.unparse(decorator)
        if text.split(".")[-1] == "overload" or text.endswith((".setter", ".deleter")):
            return True
        if in_class and text in {"property", "functools.cached_property", "cached_property"}:
            return True
    return False


def _needs_doc(node: ast.FunctionDef | ast.AsyncFunctionDef, *, in_class: bool) -> bool:
    return (
        not node.name.startswith("_")
        and not _is_exempt(node, in_class=in_class)
        and not ast.get_docstring(node)
    )


def undocumented(tree: ast.Module, module: str, *, methods: bool) -> list[str]:
    """Public classes and functions (with ``methods``, also methods) that lack a docstring."""
    found = []
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            if _needs_doc(node, in_class=False):
                found.append(f"{module}.{node.name}")
        elif isinstance(node, ast.ClassDef) and not node.name.startswith("_"):
            if not ast.get_docstring(node):
                found.append(f"{module}.{node.name}")
            if methods:
                found += [
                    f"{module}.{node.name}.{item.name}"
                    for item in node.body
                    if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef)
                    and _needs_doc(item, in_class=True)
                ]
    return found


def test_every_public_class_and_function_has_a_docstring() -> None:
    """Each public class and function in the package, private modules included, is documented."""
    found = [
        name
        for module, tree in _source_modules()
        for name in undocumented(tree, module, methods=False)
    ]
    assert not found, "missing docstrings:\n  " + "\n  ".join(found)


def test_public_methods_of_the_public_modules_have_docstrings() -> None:
    """The methods the API reference shows (public modules, public classes) are documented."""
    found = [
        name
        for module, tree in _source_modules()
        if module.removesuffix(".__init__") in LISTED_MODULES
        for name in undocumented(tree, module.removesuffix(".__init__"), methods=True)
    ]
    assert not found, "missing docstrings:\n  " + "\n  ".join(found)


def test_docstring_check_can_fail() -> None:
    """The docstring check reports undocumented public items and ignores private ones."""
    tree = ast.parse(
        "class A:\n    def run(self): ...\n    def _x(self): ...\n"
        "def f(): ...\ndef _g(): ...\n"
        'class B:\n    """Doc."""\n    @property\n    def v(self):\n        """Doc."""\n'
        "    @v.setter\n    def v(self, value): ...\n"
    )
    assert undocumented(tree, "m", methods=True) == ["m.A", "m.A.run", "m.f"]
    assert undocumented(tree, "m", methods=False) == ["m.A", "m.f"]


def test_sort_key_matches_ruff() -> None:
    """The sort order used above is ruff's: constants, classes, then functions and dunders."""
    names = ["evaluate", "TRUE", "And", "__version__", "FALSE", "all_of", "Eq", "item10", "item2"]
    assert sorted(names, key=ruf022_key) == [
        "FALSE",
        "TRUE",
        "And",
        "Eq",
        "__version__",
        "all_of",
        "evaluate",
        "item2",
        "item10",
    ]


def test_public_signatures_are_annotated() -> None:
    """Public functions in the public modules annotate their parameters and return type."""
    missing = []
    for name in PUBLIC_MODULES:
        module = importlib.import_module(name)
        for attr in module.__all__:
            obj = getattr(module, attr)
            if inspect.isfunction(obj):
                signature = inspect.signature(obj)
                if signature.return_annotation is inspect.Signature.empty:
                    missing.append(f"{name}.{attr} -> ?")
                missing += [
                    f"{name}.{attr}({p.name})"
                    for p in signature.parameters.values()
                    if p.annotation is inspect.Parameter.empty
                ]
    assert not missing, f"unannotated: {missing}"


# The API reference documents every public name -----------------------------------------------


def _public_homes(obj: object, name: str) -> list[str]:
    """The public modules that list *obj* under *name* in their ``__all__``."""
    return [
        module
        for module in PUBLIC_MODULES
        if name in importlib.import_module(module).__all__
        and getattr(importlib.import_module(module), name) is obj
    ]


@pytest.fixture(scope="module")
def api_inventory(tmp_path_factory: pytest.TempPathFactory) -> set[str]:
    """Every Python object of docs/api.md, built with Sphinx as ``make docs`` builds it.

    Only the API page is built (with the project's conf.py and extension), so
    the test takes seconds; the names come from the built ``objects.inv``.
    """
    pytest.importorskip("sphinx")
    import posixpath  # noqa: PLC0415
    import shutil  # noqa: PLC0415
    import subprocess  # noqa: PLC0415
    import sys  # noqa: PLC0415

    from sphinx.util.inventory import InventoryFile  # noqa: PLC0415

    docs = PACKAGE_DIR.parents[1] / "docs"
    source = tmp_path_factory.mktemp("api-src")
    shutil.copy(docs / "conf.py", source / "conf.py")
    shutil.copytree(docs / "_ext", source / "_ext")
    shutil.copy(docs / "api.md", source / "api.md")
    out = tmp_path_factory.mktemp("api-html")
    build = subprocess.run(  # a process of its own: Sphinx imports and warns globally
        [sys.executable, "-m", "sphinx", "-q", "-E", "-b", "html", "-D", "root_doc=api",
         str(source), str(out)],
        capture_output=True, text=True, check=False,
    )
    assert build.returncode == 0, f"the API page does not build:\n{build.stderr}"
    with (out / "objects.inv").open("rb") as stream:
        inventory = InventoryFile.load(stream, "", posixpath.join)
    return {
        name for kind, objects in inventory.items() if kind.startswith("py:") for name in objects
    }


def undocumented_public_names(documented: set[str]) -> list[str]:
    """Names in a public ``__all__`` that no public module's API entry describes."""
    missing = []
    for module_name in PUBLIC_MODULES:
        module = importlib.import_module(module_name)
        for name in module.__all__:
            obj = getattr(module, name)
            if inspect.ismodule(obj):
                if obj.__name__ not in documented:
                    missing.append(f"{module_name}.{name}")
                continue
            homes = _public_homes(obj, name)
            if not any(f"{home}.{name}" in documented for home in homes):
                missing.append(f"{module_name}.{name}")
    return missing


def test_every_public_name_is_in_the_api_reference(api_inventory: set[str]) -> None:
    """Each name of each public module's ``__all__`` has an entry in docs/api.md.

    A name re-exported by several public modules needs one entry, in any of them.
    """
    missing = undocumented_public_names(api_inventory)
    assert not missing, "not in the API reference (docs/api.md):\n  " + "\n  ".join(missing)


def test_a_service_split_into_private_bases_keeps_its_methods_documented(
    api_inventory: set[str],
) -> None:
    """A public method a service inherits from a private base is in the API reference.

    ``DocumentService``, ``IdentityService`` and ``InvitationService`` are chains
    of private bases (issue 19 item 6); their methods stay documented on them.
    """
    import portalkit.services as services  # noqa: PLC0415

    inherited = [
        f"portalkit.services.{name}.{attr}"
        for name in services.__all__
        if inspect.isclass(cls := getattr(services, name))
        for base in cls.__mro__[1:]
        if base.__name__.startswith("_") and base.__module__.startswith("portalkit")
        for attr in vars(base)
        if not attr.startswith("_")
    ]
    assert "portalkit.services.IdentityService.login" in inherited
    assert "portalkit.services.InvitationService.accept" in inherited
    missing = sorted(set(inherited) - api_inventory)
    assert not missing, "not in the API reference (docs/api.md):\n  " + "\n  ".join(missing)


def test_api_reference_check_can_fail() -> None:
    """An empty reference leaves every public name undocumented."""
    assert "portalkit.Portal" in undocumented_public_names(set())


# The docs import only public names ------------------------------------------------------------


def _is_internal_module(module: str) -> bool:
    parts = module.split(".")
    return any(part.startswith("_") for part in parts) or parts[:2] == ["portalkit", "domain"]


def _block_python(source: str) -> str:
    """The Python of a code block: a doctest's statements, or the script itself."""
    if not source.lstrip().startswith(">>>"):
        return source
    return "\n".join(
        line[4:] for line in source.splitlines() if line.startswith((">>> ", "... ", ">>>", "..."))
    )


def internal_imports(source: str) -> list[str]:
    """``portalkit`` imports of *source* that name an internal module (underscore or domain)."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and node.module and _is_internal_module(node.module):
            found += [f"from {node.module} import {alias.name}" for alias in node.names]
        elif isinstance(node, ast.Import):
            found += [
                f"import {alias.name}" for alias in node.names if _is_internal_module(alias.name)
            ]
    return found


def test_docs_import_only_from_public_modules() -> None:
    """No code block of README.md or docs/ imports from a private module or portalkit.domain.

    What a reader copies must keep working: it imports the public name (``portalkit``,
    ``portalkit.config``, ``portalkit.filters`` …), never where it happens to be defined.
    """
    from tests.test_docs import _page_id, _pages, code_blocks  # noqa: PLC0415

    found = []
    for page in _pages():
        for block in code_blocks(page.read_text(encoding="utf-8")):
            found += [
                f"{_page_id(page)}:{block.line}: {line}"
                for line in internal_imports(_block_python(block.source))
            ]
    assert not found, "the docs import internal modules:\n  " + "\n  ".join(found)


def test_internal_import_check_can_fail() -> None:
    """Underscore modules and portalkit.domain are internal; the public modules are not."""
    source = (
        "from portalkit._services.audit import AuditTrail\nimport portalkit.domain.filters\n"
        "from portalkit.domain.i18n import Msg\nfrom portalkit.locale import Msg\n"
        "from portalkit import Portal\n"
    )
    assert internal_imports(source) == [
        "from portalkit._services.audit import AuditTrail",
        "import portalkit.domain.filters",
        "from portalkit.domain.i18n import Msg",
    ]
    assert _block_python(">>> from portalkit import (\n...     Portal,\n... )\n('x')\n") == (
        "from portalkit import (\n    Portal,\n)"
    )


# Services return public types ------------------------------------------------------------------


def _service_classes() -> list[type]:
    """What a host reaches: the facade, the request, the staff session, every service."""
    import portalkit.capabilities  # noqa: PLC0415
    import portalkit.services  # noqa: PLC0415

    found: list[type] = [portalkit.Portal, portalkit.PortalRequest, portalkit.AdminSession]
    for module in (portalkit.capabilities, portalkit.services):
        found += [
            obj for name in module.__all__ if inspect.isclass(obj := getattr(module, name))
        ]
    return found


def _portalkit_types(annotation: object) -> set[type]:
    """The portalkit classes an annotation names (through unions, generics and aliases)."""
    import typing  # noqa: PLC0415

    found: set[type] = set()
    todo = [annotation]
    while todo:
        item = todo.pop()
        value = getattr(item, "__value__", None)  # a ``type X = ...`` alias
        if value is not None:
            todo.append(value)
        origin = typing.get_origin(item)
        for candidate in (item, origin):
            if isinstance(candidate, type) and candidate.__module__.startswith("portalkit"):
                found.add(candidate)
        todo += typing.get_args(item)
    return found


def _return_annotations(cls: type) -> Iterator[tuple[str, object]]:
    import functools  # noqa: PLC0415
    import typing  # noqa: PLC0415

    # String aliases (``Filter``) are evaluated here: give them every listed name.
    namespace = {
        name: getattr(module, name)
        for module in map(importlib.import_module, LISTED_MODULES)
        for name in module.__all__
    }
    for name in dir(cls):
        if name.startswith("_"):
            continue
        raw = inspect.getattr_static(cls, name, None)
        if isinstance(raw, property):
            function = raw.fget
        elif isinstance(raw, functools.cached_property):
            function = raw.func
        elif isinstance(raw, staticmethod | classmethod):
            function = raw.__func__
        else:
            function = raw
        if not inspect.isfunction(function):
            continue
        hints = typing.get_type_hints(function, localns=namespace)
        if "return" in hints:
            yield f"{cls.__name__}.{name}", hints["return"]


def _is_public_object(obj: object) -> bool:
    return any(
        obj is getattr(importlib.import_module(module), name, None)
        for module in PUBLIC_MODULES
        for name in importlib.import_module(module).__all__
    )


def test_services_return_only_public_types() -> None:
    """Every type a service method returns can be imported from a public module."""
    private = sorted(
        f"{where} -> {kind.__module__}.{kind.__qualname__}"
        for cls in _service_classes()
        for where, annotation in _return_annotations(cls)
        for kind in _portalkit_types(annotation)
        if not _is_public_object(kind)
    )
    assert not private, "services return types that are not public:\n  " + "\n  ".join(private)


#: The portal's adapters, typed as their ports (the host may give its own).
ADAPTER_ATTRIBUTES = {"mailer": "Mailer", "hasher": "PasswordHasher"}


def test_the_portals_services_are_public() -> None:
    """Each service the portal holds (``portal.identity``, ``portal.documents`` …) is public."""
    import portalkit.ports  # noqa: PLC0415

    assert all(port in portalkit.ports.__all__ for port in ADAPTER_ATTRIBUTES.values())
    with portalkit.Portal.from_url("memory://", secret_key="x" * 32) as portal:
        private = sorted(
            f"Portal.{name}: {type(value).__module__}.{type(value).__qualname__}"
            for name, value in vars(portal).items()
            if not name.startswith("_")
            and name not in ADAPTER_ATTRIBUTES
            and type(value).__module__.startswith("portalkit")
            and not _is_public_object(type(value))
        )
    assert not private, "the portal holds services that are not public:\n  " + "\n  ".join(private)


def test_public_type_check_can_fail() -> None:
    """Unions, generics and optional types are looked through; private classes are found."""
    from portalkit._request_units import RequestRouting  # noqa: PLC0415

    found = _portalkit_types(list[portalkit.Page[portalkit.Document]] | RequestRouting | None)
    assert found == {portalkit.Page, portalkit.Document, RequestRouting}
    assert not _is_public_object(RequestRouting)
    assert _is_public_object(portalkit.Document)


def test_ports_name_only_public_types() -> None:
    """A custom adapter can be written with public names: the ports' signatures name no other."""
    import typing  # noqa: PLC0415

    import portalkit.ports  # noqa: PLC0415

    namespace = {
        name: getattr(module, name)
        for module in map(importlib.import_module, LISTED_MODULES)
        for name in module.__all__
    }
    private = []
    for port_name in portalkit.ports.__all__:
        port = getattr(portalkit.ports, port_name)
        if not inspect.isclass(port):
            continue
        for name, member in vars(port).items():
            function = member.fget if isinstance(member, property) else member
            if name.startswith("_") or not inspect.isfunction(function):
                continue
            for annotation in typing.get_type_hints(function, localns=namespace).values():
                private += [
                    f"{port_name}.{name}: {kind.__module__}.{kind.__qualname__}"
                    for kind in _portalkit_types(annotation)
                    if not _is_public_object(kind)
                ]
    assert not private, "ports name types that are not public:\n  " + "\n  ".join(sorted(private))
