"""The ``portalkit`` command line: database upgrades, imports, invitations, the demo, checks.

Configuration comes from options or the environment: ``PORTALKIT_DATABASE_URL``
and ``PORTALKIT_SECRET_KEY``; ``portalkit invite`` also reads
``PORTALKIT_SMTP_HOST``, ``_PORT``, ``_SECURITY``, ``_USERNAME`` and ``_PASSWORD``.
"""

from __future__ import annotations

import argparse
import csv
import os
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path

from portalkit._cli_invite import add_invite_parser, mailer_for, run_invite
from portalkit._portal import Portal
from portalkit._services.sync import BulkReport
from portalkit.adapters.smtp import SmtpMailer
from portalkit.config import PortalConfig
from portalkit.errors import InvalidRowError, PortalkitError
from portalkit.ports import Mailer

__all__ = ["main"]

#: The exit status after Ctrl-C (128 + SIGINT, as shells report it).
INTERRUPTED = 130
DEMO_URL = "sqlite:///portalkit-demo.db"
#: Used only by ``portalkit demo`` when no secret is configured; never in production.
DEMO_SECRET = "portalkit-demo-secret-do-not-use-in-production"  # noqa: S105


def _portal(
    args: argparse.Namespace, *, demo: bool = False, mailer: Mailer | None = None
) -> Portal:
    url = args.url or os.environ.get("PORTALKIT_DATABASE_URL") or (DEMO_URL if demo else None)
    if not url:
        raise PortalkitError("Give the database with --url or PORTALKIT_DATABASE_URL.")
    secret = os.environ.get("PORTALKIT_SECRET_KEY") or (DEMO_SECRET if demo else None)
    if not secret:
        raise PortalkitError("Set PORTALKIT_SECRET_KEY (at least 32 bytes).")
    return Portal.from_url(url, secret_key=secret, config=PortalConfig(mailer=mailer))


def _db_upgrade(args: argparse.Namespace) -> int:
    with _portal(args) as portal:
        portal.upgrade()
    print("Database schema is up to date.")
    return 0


def _check(args: argparse.Namespace) -> int:
    with _portal(args) as portal:
        portal.check()
    print("Configuration looks good: secret key length, database reachable, schema current.")
    return 0


def _demo(args: argparse.Namespace) -> int:
    from portalkit.demo import load_demo  # noqa: PLC0415

    with _portal(args, demo=True) as portal:
        portal.upgrade()
        summary = load_demo(portal)
    print(
        "Loaded the demo data set." if summary.created else "The demo data set was already there."
    )
    for line in summary.lines():
        print("  " + line)
    return 0


def _csv_rows(path: Path) -> Iterator[dict[str, str]]:
    """Stream a CSV file's rows as dicts (header = field names, blank cells dropped)."""
    with path.open(newline="", encoding="utf-8-sig") as handle:
        for row in csv.DictReader(handle):
            if None in row:  # more cells than the header has columns
                row.pop(None)
                row["(cells beyond the header)"] = "x"
            yield {k: v for k, v in row.items() if v not in ("", None)}


def _import(args: argparse.Namespace) -> int:
    path = Path(args.file)
    if not path.is_file():
        raise PortalkitError(f"No such file: {path}.")

    def progress(report: BulkReport) -> None:
        print(
            f"  {report.processed:>8} rows  ({report.inserted} new, {report.updated} updated)",
            file=sys.stderr,
        )

    with _portal(args) as portal:
        upsert = portal.upsert_customers if args.kind == "customers" else portal.upsert_assets
        try:
            report = upsert(
                _csv_rows(path),
                tenant=args.tenant,
                batch_size=args.batch_size,
                on_progress=progress,
            )
        except InvalidRowError as exc:
            # Header is line 1: data row N is line N + 1 of the file.
            print(
                f"portalkit: error: {path}, line {exc.row + 1}: {exc.error.message}",
                file=sys.stderr,
            )
            print(
                "Batches before that row were committed; re-running after a fix is safe.",
                file=sys.stderr,
            )
            return 1
    print(
        f"Imported {report.processed} {args.kind}: {report.inserted} new, "
        f"{report.updated} updated, in {report.batches} batches."
    )
    return 0


def _invite(args: argparse.Namespace) -> int:
    path = Path(args.file)
    if not path.is_file():
        raise PortalkitError(f"No such file: {path}.")
    mailer = mailer_for(args)
    try:
        with _portal(args, mailer=mailer) as portal:
            return run_invite(args, portal)
    finally:
        if isinstance(mailer, SmtpMailer):
            mailer.close()


def build_parser() -> argparse.ArgumentParser:
    """The argument parser for ``portalkit``."""
    parser = argparse.ArgumentParser(prog="portalkit", description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="database URL (default: $PORTALKIT_DATABASE_URL)")
    commands = parser.add_subparsers(dest="command", required=True)
    db = commands.add_parser("db", help="database schema")
    db_commands = db.add_subparsers(dest="db_command", required=True)
    db_commands.add_parser("upgrade", help="create or migrate the schema").set_defaults(
        func=_db_upgrade
    )
    commands.add_parser("check", help="check configuration and database").set_defaults(func=_check)
    importer = commands.add_parser(
        "import", help="insert or update customers or assets from a CSV file (idempotent)"
    )
    importer.add_argument("kind", choices=["customers", "assets"])
    importer.add_argument("file", help="CSV file with a header row naming the fields")
    importer.add_argument("--tenant", help="tenant slug (default: the default tenant)")
    importer.add_argument("--batch-size", type=int, default=500, help="rows per transaction")
    importer.set_defaults(func=_import)
    add_invite_parser(commands, _invite)
    commands.add_parser(
        "demo", help="create the demo database and load the demo data"
    ).set_defaults(func=_demo)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    args = build_parser().parse_args(argv)
    try:
        status: int = args.func(args)
    except PortalkitError as exc:
        print(f"portalkit: error: {exc.message}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        # Every batch commits on its own, so a stop loses nothing committed.
        print(
            "portalkit: interrupted. What was committed is kept; run the same command again "
            "to continue (imports are idempotent, invitations skip contacts already sent one).",
            file=sys.stderr,
        )
        return INTERRUPTED
    return status
