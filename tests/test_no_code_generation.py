"""portalkit builds no code at run time: no ``exec`` or ``eval`` in its source.

Fast paths once generated Python source for benchmark targets; the plain public
ways (attrs ``__init__``, cattrs, SQLAlchemy Core's execution) replaced them.
This scan keeps them out.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "portalkit"
FORBIDDEN = frozenset({"exec", "eval"})


def _hits(source: str, name: str) -> list[str]:
    """Every use of exec or eval in *source*: a call, a reference, ``builtins.eval``."""
    found = []
    for node in ast.walk(ast.parse(source, filename=name)):
        used = (
            node.id if isinstance(node, ast.Name) else
            node.attr if isinstance(node, ast.Attribute) else None
        )
        if used in FORBIDDEN:
            found.append(f"{name}:{getattr(node, 'lineno', '?')}: {used}")
    return found


def test_the_scan_sees_the_package() -> None:
    """The scan reads real modules (a wrong path would make the next test pass vacuously)."""
    assert len(list(SRC.rglob("*.py"))) > 20


def test_source_has_no_exec_or_eval() -> None:
    """No module of src/portalkit calls (or takes a reference to) exec or eval."""
    found = [
        hit
        for path in sorted(SRC.rglob("*.py"))
        for hit in _hits(path.read_text(encoding="utf-8"), str(path.relative_to(SRC.parent)))
    ]
    assert found == []


@pytest.mark.parametrize(
    "source",
    ["exec('x = 1')", "f = eval\n", "import builtins\nbuiltins.eval('1')", "g(eval('2'))"],
)
def test_the_scan_finds_them(source: str) -> None:
    """Each way of reaching exec or eval is reported."""
    assert _hits(source, "probe.py")
