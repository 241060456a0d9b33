"""The examples in the documentation run and print what the pages say.

Every fenced ``pycon`` or ``python`` block in ``docs/**/*.md`` that starts with
``>>>`` is a doctest. The blocks of one page run in order in one namespace
(like a reader typing them into one interpreter), in a temporary working
directory. Plain ``python`` blocks without ``>>>`` are illustrations and are
not run.
"""

from __future__ import annotations

import doctest
import os
import re
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parents[1] / "docs"
FENCE = re.compile(
    r"^(?P<fence>```+|~~~+)(?P<info>[^\n]*)\n(?P<body>.*?)^(?P=fence)\s*$", re.M | re.S
)


def doctest_blocks(text: str) -> list[tuple[int, str]]:
    """(line number, source) of each fenced python/pycon block that is a doctest."""
    blocks = []
    for match in FENCE.finditer(text):
        words = match["info"].split()
        if words[:1] in (["{code-block}"], ["{code}"], ["{sourcecode}"]):
            words = words[1:]
        language = words[0] if words else ""
        if language in {"pycon", "python", "py"} and match["body"].lstrip().startswith(">>>"):
            blocks.append((text.count("\n", 0, match.start("body")) + 1, match["body"]))
    return blocks


def _pages() -> list[Path]:
    if not DOCS.is_dir():
        return []
    return sorted(p for p in DOCS.rglob("*.md") if "_build" not in p.parts)


PAGES = [p for p in _pages() if doctest_blocks(p.read_text(encoding="utf-8"))]


@pytest.mark.skipif(not PAGES, reason="no documentation page has a >>> example")
@pytest.mark.parametrize("doc_page", PAGES, ids=[p.relative_to(DOCS).as_posix() for p in PAGES])
def test_examples_in_page_run(doc_page: Path, tmp_path: Path) -> None:
    """Each ``>>>`` example on the page runs and prints exactly the shown output."""
    parser = doctest.DocTestParser()
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    namespace: dict[str, object] = {"__name__": "__docs__"}
    cwd = Path.cwd()
    os.chdir(tmp_path)
    try:
        for line, source in doctest_blocks(doc_page.read_text(encoding="utf-8")):
            test = parser.get_doctest(source, namespace, doc_page.name, str(doc_page), line)
            runner.run(test, clear_globs=False)
            namespace = test.globs  # DocTest copies its globals: carry them to the next block
    finally:
        os.chdir(cwd)
    results = runner.summarize(verbose=False)
    assert results.failed == 0, f"{results.failed} example(s) failed in {doc_page.name}; see above"


def test_block_finder() -> None:
    """Only python/pycon blocks that start with >>> count as examples."""
    text = (
        "# T\n\n```python\nx = 1\n```\n\n```pycon\n>>> 1 + 1\n2\n```\n\n"
        "```console\n>>> not python\n```\n\n```{code-block} python\n>>> 3\n3\n```\n"
    )
    assert doctest_blocks(text) == [(8, ">>> 1 + 1\n2\n"), (17, ">>> 3\n3\n")]
