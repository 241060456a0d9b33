"""The example's host-side data: document files and KPI figures.

A real host reads PDFs from its document store and computes KPIs in its ERP;
the example draws a simple PDF from the document's own fields and derives
stable figures from the KPI key.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence

from portalkit import Document

from .pdf import text_pdf

__all__ = ["DemoDocuments", "DemoKpis"]


def _money(cents: int | None, currency: str | None) -> str:
    if cents is None:
        return "-"
    return f"{cents / 100:,.2f} {currency or ''}".strip()


class DemoDocuments:
    """A :class:`~portalkit.ports.DocumentSource` that draws each demo document as a PDF."""

    def read(self, document: Document) -> bytes:
        """A one-page PDF with the document's number, status, date and total."""
        kind = document.kind.capitalize()
        return text_pdf(
            f"{kind} {document.number}",
            [
                document.title or kind,
                "",
                f"Status: {document.status.replace('_', ' ')}",
                f"Issued on: {document.issued_on.isoformat() if document.issued_on else '-'}",
                f"Total: {_money(document.total_cents, document.currency)}",
                "",
                "Northwind Fleet Services - generated for the portalkit demo.",
            ],
        )


class DemoKpis:
    """A :class:`~portalkit.ports.KpiSource` with stable made-up figures."""

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
