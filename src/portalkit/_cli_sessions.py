"""``portalkit sessions purge``: delete the sessions that ended by time."""

from __future__ import annotations

import argparse
import datetime as dt

from portalkit._cli_support import open_portal, plural

__all__ = ["run_purge"]


def run_purge(args: argparse.Namespace) -> int:
    """Delete every tenant's sessions idle or old past the timeouts given (or the defaults)."""
    idle = dt.timedelta(minutes=args.idle_minutes) if args.idle_minutes else None
    absolute = dt.timedelta(hours=args.absolute_hours) if args.absolute_hours else None
    with open_portal(args) as portal:
        removed = portal.identity.purge_sessions(idle=idle, absolute=absolute)
    print(f"{plural(removed, 'ended session')} deleted")
    return 0
