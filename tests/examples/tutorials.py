"""What the tutorial tests share: the tutorials' places and the host-line count."""

from __future__ import annotations

import ast
import io
import tokenize
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FLASK_TUTORIAL = ROOT / "examples" / "tutorial_flask"
DJANGO_TUTORIAL = ROOT / "examples" / "tutorial_django"

#: The tutorials' promise: the three pages take at most this many lines of host code.
MAX_HOST_LINES = 30

#: The tutorial user (as the tutorials' setup_data.py create it).
EMAIL = "ann@cityfleet.example"
PLATE = "kx 482 b"  # typed loosely: the lookup ignores case, spaces and dashes


def host_lines(source: str) -> int:
    """Lines of code: not blank, not only a comment, not part of a docstring."""
    tree = ast.parse(source)
    docstrings: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                first = body[0]
                docstrings.update(range(first.lineno, (first.end_lineno or first.lineno) + 1))
    code: set[int] = set()
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type in {
            tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT,
            tokenize.DEDENT, tokenize.ENDMARKER,
        }:
            continue
        code.update(range(token.start[0], token.end[0] + 1))
    return len(code - docstrings)
