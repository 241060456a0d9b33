"""``python -m portalkit.locale template [PATH]``: write the gettext template.

Without PATH the template goes to standard output. Translators start from it
with Babel (``pybabel init -D portalkit -i portalkit.pot -d DIR -l LANG``).
"""

from __future__ import annotations

import argparse
import sys

from portalkit.locale import write_template


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    parser = argparse.ArgumentParser(prog="python -m portalkit.locale")
    sub = parser.add_subparsers(dest="command", required=True)
    template = sub.add_parser("template", help="write portalkit.pot (all message codes)")
    template.add_argument("path", nargs="?", help="output file (default: standard output)")
    args = parser.parse_args(argv)
    if args.path:
        with open(args.path, "w", encoding="utf-8") as stream:
            write_template(stream)
    else:
        write_template(sys.stdout)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
