"""``python -m portalkit``: the command line."""

from portalkit.cli import main

raise SystemExit(main())
