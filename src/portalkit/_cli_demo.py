"""``portalkit demo``: a database with the demo data, and what to do with it next."""

from __future__ import annotations

import argparse
import os
import sys

from portalkit._cli_support import open_portal, sqlite_path
from portalkit.demo import (
    DEMO_DATABASE_URL,
    DEMO_LOGINS,
    DEMO_PASSWORD,
    DEMO_TENANT,
    delete_demo_database,
    load_demo,
)

__all__ = ["DEMO_SECRET", "describe", "run_demo"]

#: Used only by ``portalkit demo`` when no secret is configured; never in production.
DEMO_SECRET = "portalkit-demo-secret-do-not-use-in-production"  # noqa: S105


def describe(url: str) -> str:
    """Where the demo data is, for people: a file's absolute path, or the URL."""
    path = sqlite_path(url)
    return str(path.resolve()) if path is not None else url


def run_demo(args: argparse.Namespace) -> int:
    """Create (or reuse) the demo database, load the demo tenant, say what comes next."""
    # Deliberately not $PORTALKIT_DATABASE_URL: the demo data never lands in a real database.
    url = args.url or DEMO_DATABASE_URL
    if args.fresh:
        delete_demo_database(url)
    demo_args = argparse.Namespace(url=url)
    with open_portal(demo_args, create=True, secret=DEMO_SECRET) as portal:
        portal.upgrade()
        print(f"Loading the demo data into {describe(url)} ...", file=sys.stderr, flush=True)
        summary = load_demo(portal)
    print(
        "Loaded the demo data set." if summary.created else "The demo data set was already there."
    )
    for line in summary.lines():
        print("  " + line)
    where = describe(url)
    print(f"\nDemo database: {where}")
    if not summary.created:
        print(
            "  (kept between runs: passwords changed in the portal stay changed; "
            "`portalkit demo --fresh` starts anew)"
        )
    print(f"\nDemo logins of tenant {DEMO_TENANT!r} (password for all: {DEMO_PASSWORD}):")
    for email, what in DEMO_LOGINS:
        print(f"  {email:28} {what}")
    option = f" --url {url}"
    make = "make demo" + (f' ARGS="--database {url}"' if url != DEMO_DATABASE_URL else "")
    print(
        "\nNext steps:\n"
        f"  {make}    # in a clone of portalkit: the example portal over this data, "
        "on http://127.0.0.1:5000/\n"
        f"  portalkit{option} check\n"
        f"  portalkit{option} tenant settings --tenant {DEMO_TENANT}"
    )
    if os.environ.get("PORTALKIT_DATABASE_URL"):
        print(f"  (PORTALKIT_DATABASE_URL is ignored by the demo: it uses {where})")
    return 0
