"""Shared plumbing for the benchmark scripts: arguments, timing, tables, JSON.

Every script is run from the repository root as
``python bench/<name>.py [--quick] [--json PATH]`` and writes one JSON object
in the form the project's benchmark docs give.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
import tracemalloc
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT / "src") not in sys.path:
    sys.path.insert(0, str(ROOT / "src"))


def parse_args(description: str) -> argparse.Namespace:
    """The common ``--quick`` / ``--json`` / ``--repeat`` options."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--quick", action="store_true", help="small sizes, under a minute")
    parser.add_argument("--json", type=Path, help="write the result object here")
    parser.add_argument("--repeat", type=int, default=3, help="runs per measurement (median)")
    return parser.parse_args()


def postgres_url() -> str | None:
    """The PostgreSQL URL to benchmark against, if one is configured."""
    return os.environ.get("PORTALKIT_BENCH_DATABASE_URL") or os.environ.get(
        "PORTALKIT_TEST_DATABASE_URL"
    )


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    """Run *fn* once; return (seconds, result)."""
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


@contextmanager
def peak_memory() -> Iterator[dict[str, float]]:
    """Measure the peak of Python allocations inside the block, in MB."""
    box: dict[str, float] = {}
    tracemalloc.start()
    try:
        yield box
    finally:
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        box["peak_mb"] = peak / 1e6


def median(values: list[float]) -> float:
    """The median of *values*."""
    return statistics.median(values)


def print_table(title: str, header: list[str], rows: list[list[Any]]) -> None:
    """Print an aligned table."""
    cells = [header, *[[_fmt(c) for c in row] for row in rows]]
    widths = [max(len(str(r[i])) for r in cells) for i in range(len(header))]
    print(f"\n{title}")
    for n, row in enumerate(cells):
        print("  " + "  ".join(str(c).rjust(w) for c, w in zip(row, widths, strict=True)))
        if n == 0:
            print("  " + "  ".join("-" * w for w in widths))


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.3f}" if value < 100 else f"{value:.1f}"
    return str(value)


def write_json(path: Path | None, result: dict[str, Any]) -> None:
    """Write *result* to *path* (if given) and say where."""
    if path is None:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result, indent=2, sort_keys=False) + "\n")
    print(f"\nwrote {path}")


@contextmanager
def postgres_schema(url: str) -> Iterator[str]:
    """A URL whose connections use a fresh schema, dropped afterwards."""
    schema = f"pk_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(url)
    with admin.begin() as conn:
        conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    own = make_url(url).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield own.render_as_string(hide_password=False)
    finally:
        with admin.begin() as conn:
            conn.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
        admin.dispose()
