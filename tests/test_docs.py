"""The code in the documentation runs and prints what the pages say.

Every fenced ``python``, ``py`` or ``pycon`` block in ``README.md`` and
``docs/**/*.md`` (outside ``docs/_build``) runs:

- a block that starts with ``>>>`` is a doctest: it must print exactly the
  output the page shows;
- any other block is ``exec``'d as a script.

The blocks of one page run in order in one namespace (like a reader typing them
into one interpreter), in a temporary working directory. A block whose first
line is a comment ``# not run: <reason>`` is skipped; there must be fewer than
five of those in all the pages together. ``console``, ``bash`` and other blocks
are not Python and are not run.

The snippets of the Django page run inside a configured Django project (the
test suite's Django settings, as the Django integration's tests use).
"""

from __future__ import annotations

import doctest
import os
import re
import textwrap
from pathlib import Path
from typing import NamedTuple

import pytest

from portalkit.domain import i18n

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
README = ROOT / "README.md"
FENCE = re.compile(
    r"^(?P<fence>```+|~~~+)(?P<info>[^\n]*)\n(?P<body>.*?)^(?P=fence)\s*$", re.M | re.S
)
PYTHON = {"python", "py", "pycon", "python3"}
NOT_RUN = re.compile(r"^#\s*not run:\s*(?P<reason>\S.*)$", re.I)
MAX_NOT_RUN = 4  # "fewer than five" deliberately unrunnable blocks in all the docs


class Block(NamedTuple):
    line: int  # line of the block's first source line in the page
    source: str
    kind: str  # "doctest", "script" or "not run"


def code_blocks(text: str) -> list[Block]:
    """Every fenced python/py/pycon block of a Markdown page, in page order."""
    blocks = []
    for match in FENCE.finditer(text):
        words = match["info"].split()
        if words[:1] in (["{code-block}"], ["{code}"], ["{sourcecode}"]):
            words = words[1:]
        language = words[0].lower() if words else ""
        if language not in PYTHON:
            continue
        body = textwrap.dedent(match["body"])
        line = text.count("\n", 0, match.start("body")) + 1
        first = body.lstrip().split("\n", 1)[0].strip()
        if NOT_RUN.match(first):
            kind = "not run"
        elif first.startswith(">>>"):
            kind = "doctest"
        else:
            kind = "script"
        blocks.append(Block(line, body, kind))
    return blocks


def doctest_blocks(text: str) -> list[tuple[int, str]]:
    """(line number, source) of each block that is a doctest."""
    return [(b.line, b.source) for b in code_blocks(text) if b.kind == "doctest"]


def _pages() -> list[Path]:
    pages = [README] if README.is_file() else []
    if DOCS.is_dir():
        pages += sorted(p for p in DOCS.rglob("*.md") if "_build" not in p.relative_to(DOCS).parts)
    return pages


def _page_id(page: Path) -> str:
    return page.relative_to(ROOT).as_posix()


PAGES = [p for p in _pages() if code_blocks(p.read_text(encoding="utf-8"))]


def _run_script(block: Block, page: Path, namespace: dict[str, object]) -> None:
    # Pad with blank lines so a traceback names the line in the Markdown page.
    code = compile("\n" * (block.line - 1) + block.source, str(page), "exec")
    exec(code, namespace)  # running the documentation is the point


@pytest.mark.skipif(not PAGES, reason="no page has a Python code block")
@pytest.mark.parametrize("doc_page", PAGES, ids=[_page_id(p) for p in PAGES])
def test_code_in_page_runs(
    doc_page: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each block on the page runs; each ``>>>`` example prints exactly the shown output."""
    # A page may register host messages (docs/i18n.md): they must not outlive it.
    monkeypatch.setattr(i18n, "MESSAGES", dict(i18n.MESSAGES))
    parser = doctest.DocTestParser()
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    namespace: dict[str, object] = {"__name__": "__docs__"}
    if doc_page.name == "django.md":
        # The Django page's snippets are parts of a configured Django project.
        from tests.contrib.django.django_setup import configure_django  # noqa: PLC0415

        configure_django()
    cwd = Path.cwd()
    os.chdir(tmp_path)
    try:
        for block in code_blocks(doc_page.read_text(encoding="utf-8")):
            if block.kind == "not run":
                continue
            if block.kind == "script":
                try:
                    _run_script(block, doc_page, namespace)
                except Exception as exc:
                    raise AssertionError(
                        f"the code block at {_page_id(doc_page)}:{block.line} raised "
                        f"{type(exc).__name__}: {exc}"
                    ) from exc
                continue
            test = parser.get_doctest(
                block.source, namespace, doc_page.name, str(doc_page), block.line
            )
            runner.run(test, clear_globs=False)
            namespace = test.globs  # DocTest copies its globals: carry them to the next block
    finally:
        os.chdir(cwd)
    results = runner.summarize(verbose=False)
    assert results.failed == 0, f"{results.failed} example(s) failed in {doc_page.name}; see above"


def test_few_blocks_are_not_run() -> None:
    """Fewer than five blocks in all the docs are marked ``# not run: <reason>``."""
    skipped = [
        f"{_page_id(page)}:{block.line}: {block.source.lstrip().split(chr(10), 1)[0]}"
        for page in _pages()
        for block in code_blocks(page.read_text(encoding="utf-8"))
        if block.kind == "not run"
    ]
    assert len(skipped) <= MAX_NOT_RUN, "too many code blocks are not run:\n" + "\n".join(skipped)


def test_block_finder() -> None:
    """python/py/pycon blocks are found and classified; other languages are not Python."""
    text = (
        "# T\n\n```python\nx = 1\n```\n\n```pycon\n>>> 1 + 1\n2\n```\n\n"
        "```console\n>>> not python\n```\n\n```{code-block} python\n>>> 3\n3\n```\n\n"
        "```py\n# not run: needs a mail server\nsend()\n```\n\n```bash\necho hi\n```\n"
    )
    assert code_blocks(text) == [
        Block(4, "x = 1\n", "script"),
        Block(8, ">>> 1 + 1\n2\n", "doctest"),
        Block(17, ">>> 3\n3\n", "doctest"),
        Block(22, "# not run: needs a mail server\nsend()\n", "not run"),
    ]
    assert doctest_blocks(text) == [(8, ">>> 1 + 1\n2\n"), (17, ">>> 3\n3\n")]
