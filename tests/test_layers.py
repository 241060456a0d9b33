"""The import arrows between portalkit's layers point one way.

The rules (CONTRIBUTING.md, "Layers"):

- ``portalkit.domain.*`` imports only the standard library, attrs and
  ``portalkit.errors`` / ``portalkit.perms`` / ``portalkit.domain.*``; it does no I/O
  (no file, socket, process or database module, no ``open``/``print``) and never
  reads the wall clock (time comes from the ``Clock`` port).
- ``portalkit.ports`` (with the ``portalkit._ports_*`` modules it re-exports)
  imports only the standard library, attrs, the domain and ``portalkit.errors``
  (and the ``perms`` catalogue, which is as pure as errors).
- ``portalkit._services.*`` never imports adapters, integrations, SQLAlchemy or a
  web framework: use cases see storage only through the ports.
- ``portalkit.adapters.*`` never imports the services or the integrations.
- ``portalkit.web`` (the framework-free web layer) imports only the standard
  library, attrs, ``portalkit.errors``, ``portalkit.ports`` and itself: no web
  framework, no adapter, no service.
- ``portalkit.contrib.*`` uses only the public API: no underscore module, and from
  a module with ``__all__`` only the names it lists.
- ``import portalkit`` loads no SQLAlchemy, no database driver and no web framework.

The imports are read with :mod:`ast` from the source files of the installed
package, including imports inside functions and ``TYPE_CHECKING`` blocks.
"""

from __future__ import annotations

import ast
import re
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterable
from pathlib import Path

import attrs
import pytest

import portalkit

PACKAGE_DIR = Path(portalkit.__file__).resolve().parent
STDLIB = frozenset(sys.stdlib_module_names)

#: Standard-library modules that do I/O (files, processes, network, databases,
#: logging) or read the clock; the pure domain must not import them.
IO_MODULES = (
    "asyncio",
    "concurrent",
    "dbm",
    "fileinput",
    "ftplib",
    "glob",
    "http.client",
    "http.cookiejar",
    "http.server",
    "imaplib",
    "io",
    "logging",
    "mmap",
    "multiprocessing",
    "os",
    "pathlib",
    "poplib",
    "select",
    "selectors",
    "shelve",
    "shutil",
    "signal",
    "smtplib",
    "socket",
    "socketserver",
    "sqlite3",
    "ssl",
    "subprocess",
    "tempfile",
    "time",
    "urllib.request",
    "webbrowser",
)
IO_BUILTINS = frozenset({"open", "print", "input", "breakpoint"})
WALL_CLOCK_CALLS = frozenset({"now", "utcnow", "today"})

HEAVY_MODULES = (
    "sqlalchemy",
    "alembic",
    "psycopg",
    "psycopg2",
    "flask",
    "werkzeug",
    "django",
    "starlette",
    "fastapi",
)


@attrs.frozen
class Import:
    """One imported module as seen from one source module."""

    importer: str
    module: str
    names: tuple[str, ...]
    line: int

    def __str__(self) -> str:
        names = f" ({', '.join(self.names)})" if self.names else ""
        return f"{self.importer}:{self.line} imports {self.module}{names}"


@attrs.frozen
class Module:
    """A parsed source module of the package."""

    name: str
    tree: ast.Module
    is_package: bool


def _module_name(path: Path, root: Path) -> tuple[str, bool]:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    is_package = parts[-1] == "__init__"
    if is_package:
        parts.pop()
    return ".".join(parts), is_package


def load_modules(root: Path = PACKAGE_DIR) -> dict[str, Module]:
    """Parse every ``.py`` file under the package directory ``root``."""
    modules: dict[str, Module] = {}
    for path in sorted(root.rglob("*.py")):
        name, is_package = _module_name(path, root)
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        modules[name] = Module(name=name, tree=tree, is_package=is_package)
    return modules


def _resolve_relative(module: Module, level: int, target: str | None) -> str:
    base = module.name.split(".")
    if not module.is_package:
        base = base[:-1]
    if level > 1:
        base = base[: -(level - 1)]
    return ".".join([*base, target] if target else base)


def imports_of(module: Module, known: Iterable[str]) -> list[Import]:
    """Every import in ``module``; ``from pkg import submodule`` counts as the submodule."""
    known = set(known)
    found: list[Import] = []
    for node in ast.walk(module.tree):
        if isinstance(node, ast.Import):
            found.extend(Import(module.name, a.name, (), node.lineno) for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            target = (
                _resolve_relative(module, node.level, node.module)
                if node.level
                else node.module or ""
            )
            plain: list[str] = []
            for alias in node.names:
                sub = f"{target}.{alias.name}"
                if sub in known:
                    found.append(Import(module.name, sub, (), node.lineno))
                else:
                    plain.append(alias.name)
            if plain:
                found.append(Import(module.name, target, tuple(plain), node.lineno))
    return found


def _within(module: str, *prefixes: str) -> bool:
    return any(module == p or module.startswith(p + ".") for p in prefixes)


def _is_stdlib(module: str) -> bool:
    return module.split(".", maxsplit=1)[0] in STDLIB


def _is_private(module: str) -> bool:
    return any(part.startswith("_") and not part.startswith("__") for part in module.split("."))


def _public_names(module: Module) -> set[str] | None:
    """The names in a module's literal ``__all__``, or None when it has none."""
    for node in module.tree.body:
        if isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if any(isinstance(t, ast.Name) and t.id == "__all__" for t in targets):
                value = ast.literal_eval(node.value) if node.value else ()
                return {str(v) for v in value}
    return None


Rule = Callable[[Import, dict[str, Module]], str | None]


def domain_rule(imp: Import, modules: dict[str, Module]) -> str | None:
    """The domain imports the standard library (minus I/O), attrs and itself."""
    if _within(imp.module, *IO_MODULES):
        return "the domain does no I/O and reads no clock"
    if _is_stdlib(imp.module) or _within(imp.module, "attrs", "attr"):
        return None
    if _within(imp.module, "portalkit.errors", "portalkit.perms", "portalkit.domain"):
        return None
    return "the domain imports only the standard library, attrs, errors, perms and itself"


def ports_rule(imp: Import, modules: dict[str, Module]) -> str | None:
    """The ports import the standard library, attrs, the domain and errors."""
    if _is_stdlib(imp.module) or _within(imp.module, "attrs", "attr"):
        return None
    if _within(imp.module, "portalkit.errors", "portalkit.perms", "portalkit.domain"):
        return None
    if _is_ports(imp.module):
        return None
    return "ports import only the standard library, attrs, the domain and errors"


def _is_ports(module: str) -> bool:
    """``portalkit.ports`` or one of the ``portalkit._ports_*`` modules it re-exports."""
    return _within(module, "portalkit.ports") or module.startswith("portalkit._ports_")


def services_rule(imp: Import, modules: dict[str, Module]) -> str | None:
    """Services reach storage and the web only through the ports."""
    if _within(imp.module, "portalkit.adapters", "portalkit.contrib", *HEAVY_MODULES):
        return "services use ports, never adapters, integrations, SQLAlchemy or web frameworks"
    return None


def adapters_rule(imp: Import, modules: dict[str, Module]) -> str | None:
    """Adapters implement ports; they never call back into services or integrations."""
    if _within(imp.module, "portalkit._services", "portalkit._portal", "portalkit.contrib"):
        return "adapters implement ports and import no services, facade or integrations"
    return None


def web_rule(imp: Import, modules: dict[str, Module]) -> str | None:
    """The web layer needs no framework, storage or service: errors, ports and itself."""
    if _is_stdlib(imp.module) or _within(imp.module, "attrs", "attr"):
        return None
    if _within(imp.module, "portalkit.errors", "portalkit.ports", "portalkit.web"):
        return None
    return "the web layer imports only the standard library, attrs, errors, ports and itself"


def contrib_rule(imp: Import, modules: dict[str, Module]) -> str | None:
    """Integrations use only portalkit's public API."""
    if not _within(imp.module, "portalkit") or _within(imp.module, "portalkit.contrib"):
        return None
    if _is_private(imp.module):
        return "integrations use only the public API (no underscore modules)"
    private = [n for n in imp.names if n.startswith("_")]
    target = modules.get(imp.module)
    public = _public_names(target) if target else None
    if public is not None:
        private += [n for n in imp.names if n not in public and n != "*"]
    if private:
        return f"integrations use only the public API ({', '.join(sorted(set(private)))})"
    return None


def violations(modules: dict[str, Module], prefix: str, rule: Rule) -> list[str]:
    """Every import of a module under ``prefix`` that ``rule`` rejects, as text."""
    found = []
    for module in modules.values():
        if not _within(module.name, prefix):
            continue
        for imp in imports_of(module, modules):
            reason = rule(imp, modules)
            if reason:
                found.append(f"{imp}: {reason}")
    return found


def impure_calls(module: Module) -> list[str]:
    """Calls in ``module`` that do I/O or read the wall clock."""
    found = []
    for node in ast.walk(module.tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if isinstance(func, ast.Name) and func.id in IO_BUILTINS:
            found.append(f"{module.name}:{node.lineno} calls {func.id}()")
        elif (
            isinstance(func, ast.Attribute)
            and func.attr in WALL_CLOCK_CALLS
            and ast.unparse(func.value).split(".")[-1] in {"datetime", "date"}
        ):
            found.append(
                f"{module.name}:{node.lineno} reads the wall clock ({ast.unparse(func)}());"
                " take the time from the Clock port"
            )
    return found


@pytest.fixture(scope="module")
def modules() -> dict[str, Module]:
    """Every module of the installed portalkit package, parsed."""
    return load_modules()


def _targets(found: list[str]) -> list[str]:
    targets = []
    for line in found:
        match = re.search(r" imports ([\w.]+)", line)
        assert match, line
        targets.append(match.group(1))
    return targets


def _assert_none(found: list[str]) -> None:
    assert not found, "wrong import arrows:\n  " + "\n  ".join(found)


def test_walk_finds_the_layers(modules: dict[str, Module]) -> None:
    """The walker sees the real package, so an empty result below means something."""
    assert "portalkit" in modules
    assert "portalkit.domain.scopes" in modules
    assert "portalkit.ports" in modules


def test_domain_imports_only_stdlib_attrs_and_itself(modules: dict[str, Module]) -> None:
    """portalkit.domain.* imports nothing but the stdlib (no I/O), attrs, errors, perms, domain."""
    _assert_none(violations(modules, "portalkit.domain", domain_rule))


def test_domain_does_no_io_and_reads_no_clock(modules: dict[str, Module]) -> None:
    """The domain never calls open/print/input, nor datetime.now()/date.today()."""
    found = [
        call
        for module in modules.values()
        if _within(module.name, "portalkit.domain")
        for call in impure_calls(module)
    ]
    _assert_none(found)


def test_ports_import_only_stdlib_attrs_domain_and_errors(modules: dict[str, Module]) -> None:
    """portalkit.ports depends on nothing but the stdlib, attrs, the domain and errors."""
    ports = sorted(name for name in modules if _is_ports(name))
    assert "portalkit._ports_storage" in ports  # the split-out modules are checked too
    _assert_none([v for name in ports for v in violations(modules, name, ports_rule)])


def test_services_never_import_adapters_or_frameworks(modules: dict[str, Module]) -> None:
    """portalkit._services.* imports no adapter, integration, SQLAlchemy or web framework."""
    _assert_none(violations(modules, "portalkit._services", services_rule))


def test_adapters_never_import_services_or_integrations(modules: dict[str, Module]) -> None:
    """portalkit.adapters.* imports no service, facade or integration."""
    _assert_none(violations(modules, "portalkit.adapters", adapters_rule))


def test_web_layer_imports_no_framework(modules: dict[str, Module]) -> None:
    """portalkit.web imports nothing but the stdlib, attrs, errors, ports and itself."""
    assert "portalkit.web" in modules
    _assert_none(violations(modules, "portalkit.web", web_rule))


def test_integrations_use_only_the_public_api(modules: dict[str, Module]) -> None:
    """portalkit.contrib.* imports only public modules and names listed in their __all__."""
    if not any(_within(name, "portalkit.contrib") for name in modules):
        pytest.skip("portalkit.contrib has no modules yet")
    _assert_none(violations(modules, "portalkit.contrib", contrib_rule))


def test_import_portalkit_loads_no_database_or_web_framework() -> None:
    """``import portalkit`` in a fresh interpreter loads no SQLAlchemy, driver or framework."""
    code = textwrap.dedent(
        f"""
        import sys
        import portalkit
        heavy = {HEAVY_MODULES!r}
        print(sorted(m for m in sys.modules if m.split(".")[0] in heavy))
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.strip() == "[]", f"import portalkit loaded: {result.stdout.strip()}"


# The checks above must be able to fail: feed them a small fake package.

FAKE_PACKAGE = {
    "portalkit/__init__.py": "",
    "portalkit/errors.py": "__all__ = ['Boom']\nclass Boom(Exception): ...\n_hidden = 1\n",
    "portalkit/domain/__init__.py": "",
    "portalkit/domain/good.py": (
        "import enum\nimport attrs\nfrom portalkit.errors import Boom\nfrom . import bad\n"
    ),
    "portalkit/domain/bad.py": (
        "import sqlalchemy\nimport os.path\nfrom ..adapters import memory\n"
        "import datetime as dt\nstamp = dt.datetime.now()\nprint(stamp)\n"
    ),
    "portalkit/ports.py": "from portalkit.adapters.memory import MemoryStorage\n",
    "portalkit/adapters/__init__.py": "",
    "portalkit/adapters/memory.py": "from portalkit._services import admin\n",
    "portalkit/_services/__init__.py": "",
    "portalkit/_services/admin.py": "from sqlalchemy import select\nimport portalkit.contrib\n",
    "portalkit/contrib/__init__.py": "",
    "portalkit/contrib/web.py": (
        "from portalkit.errors import Boom, _hidden\nfrom portalkit._services import admin\n"
    ),
}


@pytest.fixture
def fake_modules(tmp_path: Path) -> dict[str, Module]:
    """A throwaway package that breaks every rule once."""
    for relative, source in FAKE_PACKAGE.items():
        path = tmp_path / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(source, encoding="utf-8")
    return load_modules(tmp_path / "portalkit")


def test_checks_catch_every_kind_of_wrong_arrow(fake_modules: dict[str, Module]) -> None:
    """Each rule reports the wrong imports of the fake package, and only those."""
    domain = violations(fake_modules, "portalkit.domain", domain_rule)
    assert _targets(domain) == [
        "sqlalchemy",
        "os.path",
        "portalkit.adapters.memory",
    ]
    assert impure_calls(fake_modules["portalkit.domain.bad"]) == [
        "portalkit.domain.bad:5 reads the wall clock (dt.datetime.now());"
        " take the time from the Clock port",
        "portalkit.domain.bad:6 calls print()",
    ]
    assert len(violations(fake_modules, "portalkit.ports", ports_rule)) == 1
    assert len(violations(fake_modules, "portalkit.adapters", adapters_rule)) == 1
    services = violations(fake_modules, "portalkit._services", services_rule)
    assert _targets(services) == [
        "sqlalchemy",
        "portalkit.contrib",
    ]
    contrib = violations(fake_modules, "portalkit.contrib", contrib_rule)
    assert len(contrib) == 2
    assert "_hidden" in contrib[0]
    assert "underscore modules" in contrib[1]


def test_relative_imports_resolve_to_absolute_modules(fake_modules: dict[str, Module]) -> None:
    """``from . import bad`` and ``from ..adapters import memory`` resolve like Python does."""
    good = [i.module for i in imports_of(fake_modules["portalkit.domain.good"], fake_modules)]
    assert good == ["enum", "attrs", "portalkit.errors", "portalkit.domain.bad"]
    bad = [i.module for i in imports_of(fake_modules["portalkit.domain.bad"], fake_modules)]
    assert "portalkit.adapters.memory" in bad
