"""portalkit's own small Sphinx extension.

``portalkit-errors``
    The error reference table, generated from ``portalkit.errors``: one row per
    class in its ``__all__`` with the class, its stable ``code``, what it also is
    (its bases), what it means (the docstring's first paragraph) and the default
    message. Built from the code at build time, so it cannot drift from it.

``portalkit-root`` (inside ``eval-rst``)
    The package root: ``automodule`` for the names defined in portalkit's
    private modules and in the internal ``portalkit.domain`` (the facade, the
    staff API, the records...), and links for the names it
    re-exports from public submodules, which are documented there. Each object
    is described once, so cross-references are never ambiguous.

``portalkit-module MODULE`` (inside ``eval-rst``)
    ``automodule`` with ``:members:`` (and the members a class inherits from
    private bases, as when a service is split into a chain of them) for a
    public module, plus ``autodata``
    for the constants in its ``__all__`` that ``automodule`` skips: those it
    re-exports and those without a ``#:`` comment. Every name the module
    lists gets an entry (``tests/test_public_api.py`` checks it).

``portalkit-submodules PACKAGE`` (inside ``eval-rst``)
    ``automodule`` with ``:members:`` for every public submodule of PACKAGE, so
    a new domain module is documented without editing ``api.md``.

``portalkit-pages``
    A toctree of every page not placed elsewhere: the top-level pages except the
    ``:exclude:`` list, plus ``capabilities/*``. A new capability page (say
    ``docs/policy.md``) appears in the navigation without editing ``index.md``,
    and no page is missing from every toctree.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
from typing import Any, ClassVar

from docutils import nodes
from docutils.parsers.rst import directives
from docutils.statemachine import StringList
from sphinx import addnodes
from sphinx.application import Sphinx
from sphinx.directives.other import TocTree
from sphinx.util.docutils import SphinxDirective

import portalkit
from portalkit import errors

HEADERS = ("Error", "Code", "Is a", "Meaning", "Default message")
WIDTHS = (22, 18, 22, 38, 30)
ROLE = re.compile(r":[\w:.-]+:`~?([^`]+)`|``([^`]+)``")


def error_classes() -> list[type[errors.PortalkitError]]:
    """The error classes portalkit exports, root first, then in hierarchy order."""
    classes = [getattr(errors, name) for name in errors.__all__]
    found = [c for c in classes if isinstance(c, type) and issubclass(c, errors.PortalkitError)]
    return sorted(found, key=_lineage)


def _lineage(cls: type[errors.PortalkitError]) -> list[str]:
    """Class names from PortalkitError down to ``cls``, following portalkit bases."""
    names = [cls.__name__]
    while cls is not errors.PortalkitError:
        cls = next(b for b in cls.__bases__ if issubclass(b, errors.PortalkitError))
        names.append(cls.__name__)
    return names[::-1]


def _xref(target: str, text: str) -> nodes.Node:
    ref = addnodes.pending_xref(
        "", refdomain="py", reftype="exc", reftarget=target, refexplicit=True
    )
    ref += nodes.literal(text, text)
    return ref


def _summary(doc: str) -> list[nodes.Node | str]:
    """The docstring's first paragraph, with reST roles and literals shown as code."""
    text = doc.split("\n\n", maxsplit=1)[0].replace("\n", " ")
    parts: list[nodes.Node | str] = []
    pos = 0
    for match in ROLE.finditer(text):
        parts.append(text[pos : match.start()])
        code = match.group(1) or match.group(2)
        parts.append(nodes.literal(code, code))
        pos = match.end()
    parts.append(text[pos:])
    return parts


def _cell(*children: nodes.Node | str) -> nodes.entry:
    para = nodes.paragraph()
    for child in children:
        para += nodes.Text(child) if isinstance(child, str) else child
    return nodes.entry("", para)


def _is_private(module: str) -> bool:
    return any(part.startswith("_") for part in module.split("."))


def _is_internal(module: str) -> bool:
    """Private modules and ``portalkit.domain``, whose re-exported names the root documents."""
    return _is_private(module) or module.split(".")[:2] == ["portalkit", "domain"]


def _parse(directive: SphinxDirective, lines: list[str], source: str) -> list[nodes.Node]:
    container = nodes.container()
    directive.state.nested_parse(StringList(lines, source=source), 0, container)
    return list(container.children)


class ErrorTable(SphinxDirective):
    """Render the table of portalkit's error classes."""

    has_content = False

    def run(self) -> list[nodes.Node]:
        """Build the table from ``portalkit.errors``."""
        table = nodes.table(classes=["portalkit-errors"])
        group = nodes.tgroup(cols=len(HEADERS))
        table += group
        for width in WIDTHS:
            group += nodes.colspec(colwidth=width)
        head = nodes.thead()
        row = nodes.row()
        for title in HEADERS:
            row += _cell(title)
        head += row
        group += head
        body = nodes.tbody()
        for cls in error_classes():
            bases: list[nodes.Node | str] = []
            for base in cls.__bases__:
                if base.__module__ == cls.__module__:
                    bases += [_xref(f"{base.__module__}.{base.__name__}", base.__name__), ", "]
                else:
                    bases += [nodes.literal(base.__name__, base.__name__), ", "]
            row = nodes.row()
            row += _cell(_xref(f"{cls.__module__}.{cls.__name__}", cls.__name__))
            row += _cell(nodes.literal(cls.code, cls.code))
            row += _cell(*bases[:-1])
            row += _cell(*_summary(inspect.getdoc(cls) or ""))
            row += _cell(cls.default_message)
            body += row
        group += body
        return [table]


#: Public modules whose ``automodule`` documents names defined in private modules.
_PUBLIC_HOMES = (
    "portalkit.config",
    "portalkit.capabilities",
    "portalkit.services",
    "portalkit.filters",
    "portalkit.locale",
    "portalkit.web",
    "portalkit.ports",
)


def _public_home(name: str, obj: object) -> str | None:
    """The public module that documents *obj* under *name*, when it is defined internally."""
    origin = getattr(obj, "__module__", None)
    if isinstance(origin, str) and not _is_internal(origin):
        return None  # documented where it is defined
    for home in _PUBLIC_HOMES:
        module = importlib.import_module(home)
        if name in getattr(module, "__all__", ()) and getattr(module, name, None) is obj:
            return home
    return None


def _is_data(obj: object) -> bool:
    return not (inspect.isclass(obj) or inspect.isroutine(obj) or inspect.ismodule(obj))


def _attr_doc(name: str, obj: object) -> list[str]:
    """The ``#:`` comment of *name* where it is defined (a loaded portalkit module), if any."""
    import sys  # noqa: PLC0415

    from sphinx.errors import PycodeError  # noqa: PLC0415
    from sphinx.pycode import ModuleAnalyzer  # noqa: PLC0415

    for module_name, module in sorted(sys.modules.items()):
        if not module_name.startswith("portalkit") or getattr(module, name, None) is not obj:
            continue
        try:
            docs = ModuleAnalyzer.for_module(module_name).find_attr_docs()
        except PycodeError:
            continue
        if ("", name) in docs:
            return list(docs[("", name)])
    return []


def _extra_data(module_name: str, names: list[str]) -> list[str]:
    """``py:data`` entries for the constants in *names* that ``automodule`` would skip.

    ``automodule`` documents a constant only where it is defined and only with a
    ``#:`` comment; a public module that re-exports one gets its entry here,
    with the comment from where it is defined (never the docstring of ``int``).
    """
    from sphinx.pycode import ModuleAnalyzer  # noqa: PLC0415

    module = importlib.import_module(module_name)
    documented = {
        attr for (cls, attr) in ModuleAnalyzer.for_module(module_name).find_attr_docs()
        if cls == ""
    }
    lines = []
    for name in names:
        obj = getattr(module, name)
        if not _is_data(obj) or name in documented:
            continue
        lines += [f".. py:data:: {name}", f"   :module: {module_name}"]
        value = repr(obj)
        if len(value) <= 60 and "\n" not in value:
            lines.append(f"   :value: {value}")
        lines.append("")
        lines += [f"   {line}" for line in _attr_doc(name, obj)]
        lines.append("")
    return lines


def _public_bases(module: Any) -> list[str] | None:
    """The class names where ``:inherited-members:`` stops for *module*'s classes.

    Every class name in their MROs except the private ones, so a service built
    as a chain of private bases (``DocumentService``, ``IdentityService``...)
    shows the methods it inherits from them and no class repeats what a public
    base documents. None when no class of *module* has a private base.
    """
    names = {"object"}
    private = False
    for attr in module.__all__:
        obj = getattr(module, attr)
        if inspect.isclass(obj):
            for cls in obj.__mro__:
                if cls.__name__.startswith("_"):
                    private = True
                else:
                    names.add(cls.__name__)
    return sorted(names) if private else None


class PublicModule(SphinxDirective):
    """Document a public module, every name of its ``__all__`` (see the module docstring)."""

    required_arguments = 1
    has_content = False

    def run(self) -> list[nodes.Node]:
        """Emit ``automodule`` and the ``autodata`` it would leave out."""
        name = self.arguments[0]
        module = importlib.import_module(name)
        lines = [f".. automodule:: {name}", "   :members:", "   :show-inheritance:"]
        stops = _public_bases(module)
        if stops is not None:
            lines.append(f"   :inherited-members: {', '.join(stops)}")
        lines.append("")
        lines += _extra_data(name, list(module.__all__))
        return _parse(self, lines, "portalkit-module")


class RootModule(SphinxDirective):
    """Document ``portalkit`` itself (see the module docstring)."""

    has_content = False

    def run(self) -> list[nodes.Node]:
        """Emit ``automodule`` for the root's own names and links for re-exports."""
        own, elsewhere = [], []
        for name in portalkit.__all__:
            obj = getattr(portalkit, name)
            if inspect.ismodule(obj):
                elsewhere.append(f"- :py:mod:`portalkit.{name} <{obj.__name__}>`")
                continue
            origin = getattr(obj, "__module__", None) if callable(obj) else None
            public = _public_home(name, obj)
            if public is not None:
                elsewhere.append(f"- :py:obj:`portalkit.{name} <{public}.{name}>`")
            elif origin is None or origin == "portalkit" or _is_internal(origin):
                own.append(name)
            else:
                elsewhere.append(f"- :py:obj:`portalkit.{name} <{origin}.{name}>`")
        lines = [".. automodule:: portalkit", f"   :members: {', '.join(own)}", ""]
        lines += _extra_data("portalkit", own)
        if elsewhere:
            lines += [
                "Also importable from ``portalkit``, and documented in their own modules:",
                "",
                *elsewhere,
                "",
            ]
        return _parse(self, lines, "portalkit-root")


class Submodules(SphinxDirective):
    """Document every public submodule of a package (see the module docstring)."""

    required_arguments = 1
    has_content = False

    def run(self) -> list[nodes.Node]:
        """Emit one ``automodule`` per public submodule."""
        package = importlib.import_module(self.arguments[0])
        names = sorted(
            info.name
            for info in pkgutil.iter_modules(package.__path__, package.__name__ + ".")
            if not info.name.rsplit(".", 1)[-1].startswith("_")
        )
        lines = []
        for name in names:
            lines += [f".. rubric:: ``{name}``", "", f".. automodule:: {name}", "   :members:", ""]
        return _parse(self, lines, "portalkit-submodules")


class RemainingPages(TocTree):
    """A toctree of the pages no other toctree lists (see the module docstring)."""

    option_spec: ClassVar[dict[str, Any]] = {
        **TocTree.option_spec,
        "exclude": directives.unchanged,
    }

    def run(self) -> list[nodes.Node]:
        """List the remaining pages; nothing at all when there are none."""
        excluded = set(self.options.pop("exclude", "").split()) | {self.env.docname}
        pages = sorted(
            doc
            for doc in self.env.found_docs
            if doc not in excluded and ("/" not in doc or doc.startswith("capabilities/"))
        )
        if not pages:
            return []
        self.content = StringList(pages, source=self.get_source_info()[0])
        return super().run()


def setup(app: Sphinx) -> dict[str, Any]:
    """Register the directives."""
    app.add_directive("portalkit-errors", ErrorTable)
    app.add_directive("portalkit-root", RootModule)
    app.add_directive("portalkit-module", PublicModule)
    app.add_directive("portalkit-submodules", Submodules)
    app.add_directive("portalkit-pages", RemainingPages)
    return {"parallel_read_safe": True, "parallel_write_safe": True, "version": "1"}
