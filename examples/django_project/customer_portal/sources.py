"""The example's document files: a one-page PDF drawn from each document's fields."""

from __future__ import annotations

import zlib
from collections.abc import Sequence

from portalkit import Document

__all__ = ["DemoDocuments", "DemoKpis", "text_pdf"]


def _escape(text: str) -> str:
    latin = text.encode("latin-1", "replace").decode("latin-1")
    return latin.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def text_pdf(title: str, lines: Sequence[str]) -> bytes:
    """A valid one-page PDF with *title* and *lines* (no dependency)."""
    ops = ["BT", "/F1 16 Tf", "56 780 Td", f"({_escape(title)}) Tj", "/F1 11 Tf", "0 -28 Td"]
    for line in lines[:50]:
        ops += [f"({_escape(line)}) Tj", "0 -16 Td"]
    ops.append("ET")
    stream = "\n".join(ops).encode("latin-1")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R"
        b" /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for offset in offsets:
        out += f"{offset:010d} 00000 n \n".encode()
    out += (
        f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n"
    ).encode()
    return bytes(out)


class DemoDocuments:
    """A :class:`~portalkit.ports.DocumentSource` drawing each demo document as a PDF."""

    def read(self, document: Document) -> bytes:
        """A PDF with the document's number, status, date and total."""
        total = "-" if document.total_cents is None else f"{document.total_cents / 100:,.2f}"
        return text_pdf(
            f"{document.kind.capitalize()} {document.number}",
            [
                document.title,
                f"Status: {document.status}",
                f"Issued on: {document.issued_on or '-'}",
                f"Total: {total} {document.currency or ''}",
            ],
        )


class DemoKpis:
    """A :class:`~portalkit.ports.KpiSource` with stable made-up figures (as in Flask)."""

    def values(
        self, tenant_id: int, keys: frozenset[str], scope_paths: Sequence[str]
    ) -> dict[str, int | float | str | None]:
        """A figure per key, the same on every call for the same scopes."""
        seed = "|".join(sorted(scope_paths))
        result: dict[str, int | float | str | None] = {}
        for key in keys:
            n = zlib.crc32(f"{tenant_id}:{key}:{seed}".encode()) % 97
            result[key] = f"{60 + n % 40}%" if "on_time" in key or "first_time" in key else n + 3
        return result
