"""The public surface is deliberate: listed, sorted, documented, with stable error codes.

No underscore means public, documented and typed; an underscore means internal.
The public modules are the package root, ``capabilities``, ``config``, ``errors``,
``ports``, ``perms``, ``web.*`` and ``domain.*``; each lists its names in a sorted
``__all__`` (ruff's RUF022 order: CONSTANTS, then Classes, then everything else).
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
        "portalkit.ports",
        "portalkit.web",
    ]
    names += sorted(
        info.name for info in pkgutil.walk_packages(portalkit.web.__path__, "portalkit.web.")
    )
    if importlib.util.find_spec("portalkit.perms") is not None:
        names.append("portalkit.perms")
    names += sorted(
        info.name
        for info in pkgutil.walk_packages(portalkit.domain.__path__, "portalkit.domain.")
        if not any(part.startswith("_") for part in info.name.split("."))
    )
    return names


PUBLIC_MODULES = _public_module_names()


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


@pytest.mark.parametrize("name", PUBLIC_MODULES)
def test_all_names_exist(name: str) -> None:
    """Every name a public module lists in ``__all__`` can be imported from it."""
    module = importlib.import_module(name)
    missing = [n for n in module.__all__ if not hasattr(module, n)]
    assert not missing, f"{name}.__all__ lists names it does not have: {missing}"


@pytest.mark.parametrize("name", PUBLIC_MODULES)
def test_all_is_sorted_and_unique(name: str) -> None:
    """``__all__`` is sorted in ruff's RUF022 order and lists each name once."""
    listed = list(importlib.import_module(name).__all__)
    assert len(set(listed)) == len(listed), f"{name}.__all__ repeats names"
    assert listed == sorted(listed, key=ruf022_key), f"{name}.__all__ is not sorted"


@pytest.mark.parametrize("name", PUBLIC_MODULES)
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
        if module.removesuffix(".__init__") in PUBLIC_MODULES
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
