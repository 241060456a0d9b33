"""Serve the example API: ``python -m examples.fastapi_app [--host H] [--port P]``."""

from __future__ import annotations

import argparse

import uvicorn
from examples.fastapi_app import create_app

from portalkit.demo import DEMO_LOGINS, DEMO_PASSWORD


def main(argv: list[str] | None = None) -> None:
    """Build the app on the demo database and serve it until Ctrl+C."""
    parser = argparse.ArgumentParser(description="portalkit example JSON API")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--database", default="sqlite:///portalkit-api-demo.db")
    args = parser.parse_args(argv)
    app = create_app(args.database)
    print(f"portalkit example API: http://{args.host}:{args.port}/docs")
    print(f"Demo logins (password for all: {DEMO_PASSWORD}):")
    for email, what in DEMO_LOGINS:
        print(f"  {email:28} {what}")
    uvicorn.run(app, host=args.host, port=args.port)


if __name__ == "__main__":
    main()
