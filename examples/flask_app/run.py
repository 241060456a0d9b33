"""Run the example portal on the embedded SQLite with the demo data.

``python examples/flask_app/run.py [--port 5000] [--database sqlite:///portalkit-demo.db]
[--fresh] [--guest]`` (``make demo ARGS="--fresh --guest"``)
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from portalkit.adapters.phones import phonenumbers_available
from portalkit.contrib import flask as pk
from portalkit.demo import (
    DEMO_DATABASE_URL,
    DEMO_LOGINS,
    DEMO_PASSWORD,
    DEMO_TENANT,
    delete_demo_database,
)

DEMO_SECRET = "portalkit-example-secret-for-the-demo-only-0123456789"


def main(argv: list[str] | None = None) -> None:
    """Parse options, build the app and serve it until Ctrl+C."""
    from examples.flask_app import create_app  # noqa: PLC0415

    parser = argparse.ArgumentParser(description="portalkit example customer portal")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5000)
    parser.add_argument("--database", default=DEMO_DATABASE_URL)
    parser.add_argument(
        "--fresh", action="store_true", help="delete the demo database first and start anew"
    )
    parser.add_argument(
        "--guest", action="store_true",
        help="guest mode: visitors who do not sign in browse as the demo's guest user",
    )
    args = parser.parse_args(argv)
    if args.fresh:
        delete_demo_database(args.database)
    app = create_app(args.database, secret_key=DEMO_SECRET)
    url = f"http://{args.host}:{args.port}/"
    with app.app_context(), pk.portal_from().admin(DEMO_TENANT) as admin:
        # Links in emails point here; guest mode is what this run asked for.
        admin.update_settings(base_url=url.rstrip("/"), login_required=not args.guest)
    print(f"\nportalkit demo portal: {url}\n")
    print(f"Demo logins (password for all: {DEMO_PASSWORD}):")
    for email, what in DEMO_LOGINS:
        print(f"  {email:28} {what}")
    where = args.database
    if where.startswith("sqlite:///"):
        where = str(Path(where.removeprefix("sqlite:///")).resolve())
    print(
        f"\nDemo database: {where} (kept between runs: a password changed or reset "
        'in the portal stays changed; make demo ARGS="--fresh" starts anew, make clean '
        "deletes it)"
    )
    print(
        "Guest mode: on (visitors who do not sign in may look up assets and request service)"
        if args.guest
        else 'Guest mode: off (make demo ARGS="--guest" lets visitors in without signing in)'
    )
    if not phonenumbers_available():
        print(
            "Sign-in and registration by phone need phonenumbers: "
            "pip install 'portalkit[phone]' (make demo installs it)."
        )
    print("Emails (invitations, reset and registration codes) are printed here.\n")
    app.run(host=args.host, port=args.port, debug=False)


if __name__ == "__main__":
    main()
