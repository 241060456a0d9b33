"""The security pages name tests that exist, and the ASVS table leaves nothing out.

``docs/security.md`` and ``SECURITY.md`` back their claims with references of
the form ``tests/path.py::test_name``. A renamed or deleted test would leave a
claim standing with nothing behind it, so every referenced file must exist and
define the named function (a module-level or class-level ``def`` or
``async def``). The OWASP ASVS 5.0 table of ``docs/security.md`` must have a
row for every level 1 and level 2 requirement of the chapters it covers, at
the standard's level, and each row must name a test or say why there is none
("does not apply", "not met").
"""

from __future__ import annotations

import ast
import functools
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PAGES = (ROOT / "docs" / "security.md", ROOT / "SECURITY.md")

#: A test file, optionally with one of its functions.
REFERENCE = re.compile(r"\b(?P<path>tests/(?:[\w-]+/)*[\w-]+\.py)(?:::(?P<name>\w+))?")
#: A test named without its file, which nothing could check.
BARE_NAME = re.compile(r"`(?P<name>test_\w+)`")
#: A row of the ASVS table: one requirement id, or a range such as V6.5.1-V6.5.5.
ROW = re.compile(r"^\|\s*(?P<ids>V[\d.]+\d(?:\s*-\s*V[\d.]+\d)?)\s*\|(?P<rest>.*)\|\s*$")
REASONS = ("does not apply", "not met")

#: Level 1 and 2 requirements of ASVS 5.0 chapters V2, V6, V7, V8 and V9, with
#: their level. (V6.7 and the others left out are level 3.)
REQUIRED: dict[str, int] = {
    "V2.1.1": 1, "V2.1.2": 2, "V2.1.3": 2,
    "V2.2.1": 1, "V2.2.2": 1, "V2.2.3": 2,
    "V2.3.1": 1, "V2.3.2": 2, "V2.3.3": 2, "V2.3.4": 2,
    "V2.4.1": 2,
    "V6.1.1": 1, "V6.1.2": 2, "V6.1.3": 2,
    "V6.2.1": 1, "V6.2.2": 1, "V6.2.3": 1, "V6.2.4": 1, "V6.2.5": 1, "V6.2.6": 1,
    "V6.2.7": 1, "V6.2.8": 1, "V6.2.9": 2, "V6.2.10": 2, "V6.2.11": 2, "V6.2.12": 2,
    "V6.3.1": 1, "V6.3.2": 1, "V6.3.3": 2, "V6.3.4": 2,
    "V6.4.1": 1, "V6.4.2": 1, "V6.4.3": 2, "V6.4.4": 2,
    "V6.5.1": 2, "V6.5.2": 2, "V6.5.3": 2, "V6.5.4": 2, "V6.5.5": 2,
    "V6.6.1": 2, "V6.6.2": 2, "V6.6.3": 2,
    "V6.8.1": 2, "V6.8.2": 2, "V6.8.3": 2, "V6.8.4": 2,
    "V7.1.1": 2, "V7.1.2": 2, "V7.1.3": 2,
    "V7.2.1": 1, "V7.2.2": 1, "V7.2.3": 1, "V7.2.4": 1,
    "V7.3.1": 2, "V7.3.2": 2,
    "V7.4.1": 1, "V7.4.2": 1, "V7.4.3": 2, "V7.4.4": 2, "V7.4.5": 2,
    "V7.5.1": 2, "V7.5.2": 2,
    "V7.6.1": 2, "V7.6.2": 2,
    "V8.1.1": 1, "V8.1.2": 2,
    "V8.2.1": 1, "V8.2.2": 1, "V8.2.3": 2,
    "V8.3.1": 1,
    "V8.4.1": 2,
    "V9.1.1": 1, "V9.1.2": 1, "V9.1.3": 1,
    "V9.2.1": 1, "V9.2.2": 2, "V9.2.3": 2, "V9.2.4": 2,
}


@functools.cache
def defined_functions(path: Path) -> frozenset[str]:
    """Names of every function and method *path* defines."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    return frozenset(
        node.name
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
    )


def broken_references(text: str) -> list[str]:
    """Each reference of *text* whose file or function does not exist, with why."""
    broken = []
    for match in REFERENCE.finditer(text):
        path, name = ROOT / match["path"], match["name"]
        if not path.is_file():
            broken.append(f"{match[0]}: no such file")
        elif name is not None and name not in defined_functions(path):
            broken.append(f"{match[0]}: no function {name} in {match['path']}")
    return broken


def expand(ids: str) -> list[str]:
    """``V6.5.1-V6.5.5`` as its five requirement ids; a single id as itself."""
    parts = re.split(r"\s*-\s*", ids)
    if len(parts) == 1:
        return parts
    (head, start), (last_head, end) = (part.rsplit(".", 1) for part in parts)
    assert head == last_head, f"a range stays within one section: {ids}"
    return [f"{head}.{n}" for n in range(int(start), int(end) + 1)]


Row = tuple[list[str], str, str]


def asvs_rows(text: str) -> list[Row]:
    """(requirement ids, level, proof) of each row of the ASVS tables."""
    rows = []
    for line in text.splitlines():
        match = ROW.match(line)
        if match:
            cells = [cell.strip() for cell in match["rest"].split("|")]
            assert len(cells) == 3, f"an ASVS row has ID, L, requirement, proof: {line}"
            rows.append((expand(match["ids"]), cells[0], cells[2]))
    return rows


def unproven(rows: list[Row]) -> list[list[str]]:
    """The rows that name no test and give no reason."""
    return [
        ids for ids, _, proof in rows
        if not re.search(r"tests/\S+\.py::\w+", proof)
        and not any(reason in proof.lower() for reason in REASONS)
    ]


@pytest.mark.parametrize("page", PAGES, ids=lambda page: page.name)
def test_every_referenced_test_exists(page: Path) -> None:
    """Every ``tests/...py::name`` of the page names an existing file and function."""
    text = page.read_text(encoding="utf-8")
    assert REFERENCE.search(text), f"{page.name} names no test"
    assert broken_references(text) == []


@pytest.mark.parametrize("page", PAGES, ids=lambda page: page.name)
def test_no_test_is_named_without_its_file(page: Path) -> None:
    """A bare ``test_name`` cannot be checked; the page names the file too."""
    text = page.read_text(encoding="utf-8")
    assert [match["name"] for match in BARE_NAME.finditer(text)] == []


def test_every_asvs_row_has_a_test_or_a_reason() -> None:
    """Each row names a test, or says why there is none."""
    rows = asvs_rows(PAGES[0].read_text(encoding="utf-8"))
    assert rows
    assert unproven(rows) == []


def test_the_asvs_table_covers_every_level_1_and_2_requirement_once() -> None:
    """No requirement is left out or listed twice, and each has the standard's level."""
    rows = asvs_rows(PAGES[0].read_text(encoding="utf-8"))
    listed = [(id_, level) for ids, level, _ in rows for id_ in ids]
    ids = [id_ for id_, _ in listed]
    assert sorted({id_ for id_ in ids if ids.count(id_) > 1}) == []
    assert sorted(set(REQUIRED) - set(ids)) == []
    wrong_level = [
        (id_, level) for id_, level in listed
        if level != str(REQUIRED.get(id_, 3))
    ]
    assert wrong_level == []


def test_the_checks_catch_what_they_are_for() -> None:
    """A missing file, a missing function and a row with no proof are all caught."""
    assert broken_references("`tests/test_security_doc.py::test_no_such_test`") == [
        "tests/test_security_doc.py::test_no_such_test: no function test_no_such_test"
        " in tests/test_security_doc.py"
    ]
    assert broken_references("`tests/no_such_file.py::test_x`") == [
        "tests/no_such_file.py::test_x: no such file"
    ]
    assert broken_references("`tests/test_security_doc.py::defined_functions`") == []
    assert expand("V6.5.1-V6.5.3") == ["V6.5.1", "V6.5.2", "V6.5.3"]
    rows = asvs_rows(
        "| V9.1.1 | 1 | signed | trust me |\n"
        "| V9.1.2 | 1 | no none | `tests/test_security_doc.py::expand` |\n"
        "| V6.8.1-V6.8.2 | 2 | IdPs | does not apply: no federation |\n"
    )
    assert [ids for ids, _, _ in rows] == [["V9.1.1"], ["V9.1.2"], ["V6.8.1", "V6.8.2"]]
    assert unproven(rows) == [["V9.1.1"]]
