"""``portalkit db upgrade`` and ``portalkit check``."""

from __future__ import annotations

import argparse
import os

from portalkit._cli_support import open_portal

__all__ = ["check", "upgrade"]


def upgrade(args: argparse.Namespace) -> int:
    """Create or migrate the schema (the one command that may create a SQLite file)."""
    with open_portal(args, create=True) as portal:
        portal.upgrade()
    print("Database schema is up to date.")
    return 0


def check(args: argparse.Namespace) -> int:
    """The database is reachable and current; a configured secret key is long enough."""
    with open_portal(args) as portal:
        portal.check()
    key = (
        "secret key long enough"
        if os.environ.get("PORTALKIT_SECRET_KEY")
        else "no PORTALKIT_SECRET_KEY set (the web app and `portalkit invite` need one)"
    )
    print(f"Configuration looks good: database reachable, schema current; {key}.")
    return 0
