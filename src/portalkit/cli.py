"""The ``portalkit`` command line: schema, checks, imports, tenants, users, invitations, mail, demo.

Configuration comes from options or the environment: ``PORTALKIT_DATABASE_URL``
and ``PORTALKIT_SECRET_KEY`` (needed only by ``invite``); ``portalkit invite``
and ``portalkit mail deliver`` also read ``PORTALKIT_SMTP_HOST``, ``_PORT``,
``_SECURITY``, ``_USERNAME`` and ``_PASSWORD``.

This module only parses: each command lives in a ``portalkit._cli_*`` module
that is imported when the command runs, so ``portalkit --help`` starts without
loading SQLAlchemy, Argon2 or the services.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from portalkit.errors import PortalkitError

__all__ = ["build_parser", "main"]

#: The exit status after Ctrl-C (128 + SIGINT, as shells report it).
INTERRUPTED = 130
_DESCRIPTION = (
    "The portalkit command line: schema, checks, imports, tenants, roles, users, "
    "invitations, the demo. Options such as --url go before or after the command."
)
#: The exit status of bad options (argparse's).
USAGE = 2

class _Parser(argparse.ArgumentParser):
    """argparse with a one-line error (the usage is one ``--help`` away)."""

    def error(self, message: str) -> None:  # type: ignore[override]
        """Print ``portalkit CMD: error: ...`` and a hint, then exit 2."""
        print(f"{self.prog}: error: {message} (see {self.prog} --help)", file=sys.stderr)
        raise SystemExit(USAGE)


def _shared() -> argparse.ArgumentParser:
    """The options every command takes, before or after the command's name."""
    shared = argparse.ArgumentParser(add_help=False)
    # SUPPRESS: a subcommand that was not given the option keeps the top level's value.
    shared.add_argument(
        "--url", default=argparse.SUPPRESS,
        help="database URL (default: $PORTALKIT_DATABASE_URL)",
    )
    return shared


def _command(
    commands: argparse._SubParsersAction,  # type: ignore[type-arg]
    name: str,
    target: str,
    help_text: str,
    *,
    description: str | None = None,
) -> argparse.ArgumentParser:
    """A subcommand run by ``portalkit._cli_MODULE:FUNCTION`` (*target*)."""
    parser: argparse.ArgumentParser = commands.add_parser(
        name, help=help_text, description=description or help_text, parents=[_shared()]
    )
    parser.set_defaults(run=target)
    return parser


def _group(
    commands: argparse._SubParsersAction,  # type: ignore[type-arg]
    name: str,
    help_text: str,
) -> argparse._SubParsersAction:  # type: ignore[type-arg]
    group: argparse.ArgumentParser = commands.add_parser(
        name, help=help_text, description=help_text, parents=[_shared()]
    )
    return group.add_subparsers(dest=f"{name}_command", required=True, metavar="COMMAND")


def _add_db(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    db = _group(commands, "db", "database schema")
    _command(db, "upgrade", "portalkit._cli_db:upgrade", "create or migrate the schema")
    _command(
        commands, "check", "portalkit._cli_db:check",
        "check the database (reachable, schema current) and the secret key if one is set",
    )


def _add_import(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    importer = _command(
        commands, "import", "portalkit._cli_import:run_import",
        "insert or update customers or assets from a CSV file (idempotent)",
    )
    importer.add_argument("kind", choices=["customers", "assets"])
    importer.add_argument("file", help="CSV file with a header row naming the fields")
    importer.add_argument("--tenant", help="tenant slug (default: the default tenant)")
    importer.add_argument(
        "--batch-size", type=_positive, default=500, help="rows per transaction (default 500)"
    )


def _add_tenant(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    tenant = _group(commands, "tenant", "create and configure tenants (portals)")
    create = _command(tenant, "create", "portalkit._cli_admin:tenant_create", "create a tenant")
    create.add_argument("slug", help="the tenant's URL name, e.g. acme")
    create.add_argument("name", nargs="?", help="the business's name (default: the slug)")
    settings = _command(
        tenant, "settings", "portalkit._cli_admin:tenant_settings",
        "show a tenant's settings, or change them with NAME=VALUE pairs",
        description=(
            "Show a tenant's settings, or change them: NAME=VALUE pairs, e.g. "
            "base_url=https://portal.acme.example sender_email=portal@acme.example "
            "portal_name='Acme Portal' login_required=false. Booleans: true/false; "
            "numbers: digits; lists (disabled_features): comma-separated; an empty "
            "value clears an optional setting."
        ),
    )
    settings.add_argument("changes", nargs="*", metavar="NAME=VALUE")
    settings.add_argument("--tenant", help="tenant slug (default: the default tenant)")


def _add_role(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    role = _group(commands, "role", "define roles")
    create = _command(
        role, "create", "portalkit._cli_admin:role_create",
        "create a role, or replace the permissions of the role with this name",
    )
    create.add_argument("name")
    create.add_argument("permissions", nargs="+", metavar="PERM", help="e.g. invitation.send")
    create.add_argument("--tenant", help="tenant slug (default: the default tenant)")
    _command(
        role, "permissions", "portalkit._cli_admin:role_permissions",
        "list the permissions a role can hold",
    )


def _add_user(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    user = _group(commands, "user", "create portal users, set passwords, disable them")
    create = _command(
        user, "create", "portalkit._cli_admin:user_create",
        "create a portal user (no password: see set-password, or invite them)",
    )
    create.add_argument("email")
    create.add_argument("name")
    create.add_argument("--phone")
    create.add_argument("--staff", action="store_true", help="a staff member of the business")
    create.add_argument(
        "--role", nargs=2, action="append", metavar=("ROLE", "SCOPE"), default=[],
        help="grant ROLE at the scope with external key SCOPE (repeatable)",
    )
    create.add_argument("--tenant", help="tenant slug (default: the default tenant)")
    password = _command(
        user, "set-password", "portalkit._cli_admin:user_set_password",
        "set a user's password, read from a prompt or from standard input (never argv)",
    )
    password.add_argument("email")
    password.add_argument("--tenant", help="tenant slug (default: the default tenant)")
    disable = _command(
        user, "disable", "portalkit._cli_admin:user_disable",
        "disable a user (they can no longer sign in); --enable undoes it",
    )
    disable.add_argument("email")
    disable.add_argument("--enable", action="store_true", help="enable the user again")
    disable.add_argument("--tenant", help="tenant slug (default: the default tenant)")


class _RemovedNoResume(argparse.Action):
    def __call__(self, parser: argparse.ArgumentParser, *_: object) -> None:
        parser.error(
            "--no-resume was removed: it replaced links that had already been delivered. "
            "Re-runs send a new link only to contacts whose invitation failed or expired"
        )


def _add_invite(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    invite = _command(
        commands, "invite", "portalkit._cli_invite:run_invite",
        "send portal invitations to the contacts of a CSV file",
        description=(
            "Invite the contacts of a CSV file (columns: email, name, and optionally "
            "contact_key, scope, role, group). The whole file is checked first: if any row is "
            "bad, nothing is sent. Re-running the same file never emails anyone twice and "
            "never replaces a link that was delivered."
        ),
    )
    invite.add_argument("file", help="CSV file with a header row")
    invite.add_argument("--tenant", help="tenant slug (default: the default tenant)")
    invite.add_argument(
        "--sender", required=True, metavar="EMAIL",
        help="the portal user who sends (needs invitation.send; the emails' Reply-To)",
    )
    invite.add_argument("--scope", help="scope external key for rows without a scope cell")
    invite.add_argument("--role", help="role for rows without a role cell")
    invite.add_argument("--group", help="group for rows without a group cell")
    invite.add_argument(
        "--template", metavar="FILE",
        help="the email: a 'Subject: ...' line, a blank line, then the body with {tokens}",
    )
    invite.add_argument("--no-resume", nargs=0, action=_RemovedNoResume, help=argparse.SUPPRESS)
    mail = invite.add_mutually_exclusive_group()
    mail.add_argument(
        "--dry-run", action="store_true", help="check the file and sender; store and send nothing"
    )
    mail.add_argument(
        "--console", action="store_true", help="print the emails instead of sending them"
    )
    _smtp_options(invite)


def _smtp_options(parser: argparse.ArgumentParser) -> None:
    """The mail server options of the commands that send mail."""
    parser.add_argument("--smtp-host", help="mail server (default: $PORTALKIT_SMTP_HOST)")
    parser.add_argument("--smtp-port", help="port (default: $PORTALKIT_SMTP_PORT or by security)")
    parser.add_argument(
        "--smtp-security", choices=["starttls", "ssl", "none"],
        help="starttls (default), ssl, or none (a relay on localhost only); "
        "$PORTALKIT_SMTP_SECURITY",
    )
    parser.add_argument(
        "--smtp-username", help="login (default: $PORTALKIT_SMTP_USERNAME); the password "
        "comes from $PORTALKIT_SMTP_PASSWORD only",
    )
    parser.add_argument(
        "--smtp-timeout", type=_positive_float, default=10.0, help="seconds per SMTP operation"
    )


def _add_mail(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    mail = _group(commands, "mail", "send the mail that requests queued (reset and "
                  "registration codes and notices)")
    deliver = _command(
        mail, "deliver", "portalkit._cli_mail:run_deliver",
        "send the queued mail that is due, then exit (or keep going with --loop)",
        description=(
            "Send the queued mail that is due: reset and registration codes and notices, "
            "stored by each request and sent here (PortalConfig(mail_delivery='worker')). "
            "Several of these may run at once: each message is sent by one of them. A failed "
            "message is retried later with a growing delay; one refused for good, or whose "
            "code expired, is given up and reported as a mail.undelivered event."
        ),
    )
    deliver.add_argument(
        "--loop", action="store_true",
        help="keep sending until stopped (SIGTERM or Ctrl-C finish the message being sent)",
    )
    deliver.add_argument(
        "--interval", type=_positive_float, default=2.0, metavar="SECONDS",
        help="with --loop: how long to wait when nothing is due (default 2)",
    )
    deliver.add_argument(
        "--console", action="store_true", help="print the emails instead of sending them"
    )
    deliver.set_defaults(dry_run=False)
    _smtp_options(deliver)


def _add_sessions(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    sessions = _group(commands, "sessions", "server-side sign-in sessions")
    purge = _command(
        sessions, "purge", "portalkit._cli_sessions:run_purge",
        "delete the sessions that ended by time (idle or too old), in every tenant",
        description=(
            "Delete every tenant's sessions that have been idle for the idle timeout or "
            "are as old as the absolute timeout: they can never be used again. Give the "
            "timeouts your PortalConfig(identity=IdentityConfig(...)) sets if they are not "
            "the defaults (30 minutes, 14 days). Safe to run at any time, e.g. from cron."
        ),
    )
    purge.add_argument(
        "--idle-minutes", type=_positive, default=None, metavar="MINUTES",
        help="session_idle_timeout in minutes (default 30)",
    )
    purge.add_argument(
        "--absolute-hours", type=_positive, default=None, metavar="HOURS",
        help="session_absolute_timeout in hours (default 336: 14 days)",
    )


def _add_demo(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    demo = _command(
        commands, "demo", "portalkit._cli_demo:run_demo",
        "create the demo database (./portalkit-demo.db unless --url) and load the demo data",
    )
    demo.add_argument(
        "--fresh", action="store_true", help="delete the demo database first and start anew"
    )


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a positive number")
    return value


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not a positive number")
    return value


def build_parser() -> argparse.ArgumentParser:
    """The argument parser for ``portalkit``."""
    parser = _Parser(prog="portalkit", description=_DESCRIPTION)
    parser.add_argument(
        "--url", default=None, help="database URL (default: $PORTALKIT_DATABASE_URL)"
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for add in (_add_db, _add_import, _add_tenant, _add_role, _add_user, _add_invite, _add_mail,
                _add_sessions, _add_demo):
        add(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    args = build_parser().parse_args(argv)
    module, _, function = args.run.partition(":")
    try:
        status: int = getattr(importlib.import_module(module), function)(args)
    except PortalkitError as exc:
        print(f"portalkit: error: {exc.message}", file=sys.stderr)
        return 1
    except OSError as exc:  # a file that cannot be read or written
        where = f": {exc.filename}" if exc.filename else ""
        print(f"portalkit: error: {exc.strerror or exc}{where}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        if sys.stderr.isatty():
            print(file=sys.stderr)  # end a progress bar's line
        # Every batch commits on its own, so a stop loses nothing committed.
        print(
            "portalkit: interrupted. What was committed is kept; run the same command again "
            "to continue (imports are idempotent, invitations skip contacts already sent one).",
            file=sys.stderr,
        )
        return INTERRUPTED
    return status
