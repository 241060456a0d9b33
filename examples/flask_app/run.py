"""Run the example portal on the embedded SQLite with the demo data.

``python examples/flask_app/run.py [--port 5000] [--database sqlite:///portalkit-demo.db]``
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from portalkit.contrib import flask as pk
from portalkit.demo import DEMO_LOGINS, DEMO_PASSWORD, DEMO_TENANT

DEMO_SECRET = "portalkit-example-secret-for-the-demo-only-0123456789"


def main(argv: list[str] | None = None) -> None:
    """Parse options, build the app and serve it until Ctrl+C."""
    from examples.flask_app import create_app  # noqa: PLC0415

    parser = argparse.ArgumentParser(description="portalkit example customer portal")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5000)
    parser.add_argument("--database", default="sqlite:///portalkit-demo.db")
    args = parser.parse_args(argv)
    app = create_app(args.database, secret_key=DEMO_SECRET)
    url = f"http://{args.host}:{args.port}/"
    with app.app_context(), pk.portal_from().admin(DEMO_TENANT) as admin:
        admin.update_settings(base_url=url.rstrip("/"))  # links in emails point here
    print(f"\nportalkit demo portal: {url}\n")
    print(f"Demo logins (password for all: {DEMO_PASSWORD}):")
    for email, what in DEMO_LOGINS:
        print(f"  {email:28} {what}")
    print("Emails (invitations, reset and registration codes) are printed here.\n")
    app.run(host=args.host, port=args.port, debug=False)


if __name__ == "__main__":
    main()
