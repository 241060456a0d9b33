"""The example portal's minimal PDF writer produces structurally valid PDFs."""

from __future__ import annotations

import re

from examples.flask_app.pdf import text_pdf
from hypothesis import given
from hypothesis import strategies as st


def _check(pdf: bytes) -> None:
    assert pdf.startswith(b"%PDF-1.4\n")
    assert pdf.endswith(b"%%EOF\n")
    startxref = int(re.findall(rb"startxref\n(\d+)\n", pdf)[-1])
    assert pdf[startxref:].startswith(b"xref\n")
    size = int(re.search(rb"/Size (\d+)", pdf).group(1))  # type: ignore[union-attr]
    offsets = re.findall(rb"(\d{10}) 00000 n ", pdf[startxref:])
    assert len(offsets) == size - 1
    for number, offset in enumerate(offsets, start=1):
        assert pdf[int(offset):].startswith(f"{number} 0 obj".encode())
    length = int(re.search(rb"/Length (\d+)", pdf).group(1))  # type: ignore[union-attr]
    stream = pdf.index(b"stream\n") + len(b"stream\n")
    assert pdf[stream + length:].startswith(b"\nendstream")


def test_demo_document() -> None:
    """A typical demo document is a valid one-page PDF."""
    _check(text_pdf("Invoice CF-INV-0002", ["Status: awaiting payment", "Total: 1,275.00 USD"]))


@given(st.text(max_size=80), st.lists(st.text(max_size=120), max_size=70))
def test_any_text_gives_a_valid_pdf(title: str, lines: list[str]) -> None:
    """Parentheses, backslashes and non-Latin text never break the structure or the xref."""
    _check(text_pdf(title, lines))
