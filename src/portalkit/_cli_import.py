"""``portalkit import customers|assets FILE.csv``: the nightly sync from a CSV file.

Line numbers are the file's: the header is line 1, so the first customer is
line 2, and a cell spanning lines (quoted newlines) is reported on the line
its row starts on.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

import attrs

from portalkit._cli_support import Progress, open_portal, plural, read_file
from portalkit._services.sync import AssetRow, BulkReport, CustomerRow
from portalkit.errors import InvalidInputError, InvalidRowError

__all__ = ["run_import"]

#: A header cell beyond the header's columns (``csv.DictReader``'s ``restkey``).
_EXTRA = "(cells beyond the header)"


class _CsvFile:
    """Streams a CSV file's rows as dicts and remembers the line each row starts on."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.lines: list[int] = []  # lines[n - 1]: where data row n starts

    def header(self) -> list[str]:
        """The header's column names, trimmed."""
        with self._open() as handle:
            return [name.strip() for name in next(csv.reader(handle), [])]

    def count(self) -> int:
        """How many data rows the file has (one quick pass, for the progress bar)."""
        with self._open() as handle:
            return max(sum(1 for _ in csv.reader(handle)) - 1, 0)

    def rows(self) -> Iterator[dict[str, str]]:
        """The data rows: header = field names, blank cells dropped."""
        with self._open() as handle:
            reader = csv.DictReader(handle, restkey=_EXTRA)
            reader.fieldnames = [name.strip() for name in reader.fieldnames or ()]
            end = reader.line_num
            for row in reader:
                self.lines.append(end + 1)
                end = reader.line_num
                if _EXTRA in row:  # more cells than the header has columns
                    row[_EXTRA] = "x"
                yield {k: v for k, v in row.items() if v not in ("", None)}

    def line_of(self, row: int) -> int:
        """The file line data row *row* (1-based) starts on."""
        return self.lines[row - 1] if 0 < row <= len(self.lines) else row + 1

    def _open(self) -> contextlib.AbstractContextManager[TextIO]:
        return _reading(self.path)


@contextlib.contextmanager
def _reading(path: Path) -> Iterator[TextIO]:
    """The file opened for ``csv``; bad bytes and bad CSV become clear errors."""
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            yield handle
    except UnicodeDecodeError:
        raise InvalidInputError(f"{path} is not UTF-8 text.") from None
    except csv.Error as exc:
        raise InvalidInputError(f"{path} is not valid CSV ({exc}).") from None


def _check_header(csv_file: _CsvFile, kind: type[CustomerRow] | type[AssetRow]) -> None:
    """An unknown, missing or doubled column is an error on line 1, before any row."""
    header = csv_file.header()
    allowed = [field.name for field in attrs.fields(kind)]
    if not any(header):
        raise InvalidInputError(f"{csv_file.path}, line 1: the file has no header row.")
    unknown = [name for name in header if name not in allowed]
    if unknown:
        raise InvalidInputError(
            f"{csv_file.path}, line 1: unknown {'column' if len(unknown) == 1 else 'columns'}: "
            f"{', '.join(repr(name[:40]) for name in unknown)} (allowed: {', '.join(allowed)})."
        )
    if len(set(header)) != len(header):
        raise InvalidInputError(f"{csv_file.path}, line 1: a column is named twice.")


def run_import(args: argparse.Namespace) -> int:
    """Import the file in batches; a bad row stops with its line, earlier batches kept."""
    csv_file = _CsvFile(read_file(args.file))
    kind = CustomerRow if args.kind == "customers" else AssetRow
    _check_header(csv_file, kind)
    progress = Progress(csv_file.count(), unit=args.kind)

    def on_progress(report: BulkReport) -> None:
        progress.update(
            report.processed, f"{report.inserted} new, {report.updated} updated"
        )

    with open_portal(args) as portal:
        upsert = portal.upsert_customers if args.kind == "customers" else portal.upsert_assets
        try:
            report = upsert(
                csv_file.rows(),
                tenant=args.tenant,
                batch_size=args.batch_size,
                on_progress=on_progress,
            )
        except InvalidRowError as exc:
            progress.close()
            print(
                f"portalkit: error: {csv_file.path}, line {csv_file.line_of(exc.row)}: "
                f"{exc.error.message}",
                file=sys.stderr,
            )
            print(
                "Batches before that row were committed; re-running after a fix is safe.",
                file=sys.stderr,
            )
            return 1
    progress.update(report.processed, f"{report.inserted} new, {report.updated} updated",
                    final=True)
    noun = "customer" if args.kind == "customers" else "asset"
    print(
        f"Imported {plural(report.processed, noun)}: {report.inserted} new, "
        f"{report.updated} updated, in {plural(report.batches, 'batch', 'batches')}."
    )
    return 0
