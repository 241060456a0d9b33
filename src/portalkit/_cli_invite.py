"""``portalkit invite FILE.csv``: bulk invitations from a CSV file (seed 003).

The file is read twice, streamed both times:

1. **Check.** The header must name ``email`` and ``name`` and may name
   ``contact_key``, ``scope``, ``role`` and ``group``; nothing else. Every row
   is checked (address, name, key, that the scope, role and group exist, a
   role and a scope together, no address twice), and for every distinct
   scope/role/group the invitation service is asked, with no contacts, whether
   the sender may send there (which also checks the portal's base URL and
   sender address). Any problem: every problem is printed with its line
   number and **nothing is stored or sent**.
2. **Send.** Consecutive rows with the same scope/role/group go to
   :meth:`~portalkit._services.invitations.InvitationService.send` together,
   with ``resume=True``: a contact whose invitation is pending and was
   already delivered is skipped, so running the same command again never
   emails anyone twice, retries only what failed, and never replaces a link
   that was delivered (a new link goes only where the old one failed or
   expired; ``--no-resume``, which re-sent everyone a new link and so killed
   delivered links during a mail outage, is gone).
"""

from __future__ import annotations

import argparse
import csv
import itertools
import os
import sys
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import TextIO

import attrs

from portalkit._cli_support import Progress, open_portal, plural, read_file
from portalkit._portal import Portal
from portalkit._services.invitations import SendReport, SkipReason
from portalkit.adapters.mail import ConsoleMailer
from portalkit.adapters.smtp import Security, SmtpMailer
from portalkit.domain import contact
from portalkit.domain.filters import Eq, In, all_of
from portalkit.domain.invitations import (
    InvitationKind,
    InvitationStatus,
    normalize_email,
    validate_contact_name,
)
from portalkit.domain.principals import Principal, PrincipalKind
from portalkit.domain.templates import EmailTemplate
from portalkit.domain.tenants import Tenant
from portalkit.errors import (
    ConfigurationError,
    InvalidInputError,
    PermissionDeniedError,
)
from portalkit.ports import Mailer

__all__ = ["COLUMNS", "mailer_for", "run_invite"]

#: The columns an invitation file may have; ``email`` and ``name`` are required.
COLUMNS = ("email", "name", "contact_key", "scope", "role", "group")
_REQUIRED = ("email", "name")
#: At most this many problems are listed before "... and N more".
_MAX_PROBLEMS = 50
#: At most this many skipped or failed contacts are listed in the summary.
_MAX_DETAILS = 50
_CONTACT_KEY_LENGTH = 200


@attrs.frozen
class _Target:
    """What accepting grants: a role at a scope (by external key) and a group."""

    scope: str | None = None
    role: str | None = None
    group: str | None = None

    def describe(self) -> str:
        parts = [f"role {self.role!r} at scope {self.scope!r}"] if self.role else []
        if self.group:
            parts.append(f"group {self.group!r}")
        return ", ".join(parts) or "no role or group"


@attrs.frozen
class _Row:
    line: int
    email: str
    name: str
    contact_key: str | None
    target: _Target


class _Stop(Exception):
    """Raised from the progress callback to stop a send after a chunk (never escapes)."""


# Reading the file ---------------------------------------------------------------
def _cells(path: Path) -> Iterator[tuple[int, dict[str, str], str | None]]:
    """(line, non-empty trimmed cells, problem) for each data row; checks the header first."""
    line = 1
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            _check_header(path, reader.fieldnames)
            reader.fieldnames = [name.strip() for name in reader.fieldnames or ()]
            for row in reader:
                line = reader.line_num
                problem = None
                if None in row:
                    row.pop(None)
                    problem = "more cells than the header has columns"
                cells = {k: v.strip() for k, v in row.items() if isinstance(v, str) and v.strip()}
                yield line, cells, problem
    except UnicodeDecodeError:
        raise InvalidInputError(f"{path} is not UTF-8 text (near line {line}).") from None
    except csv.Error as exc:
        raise InvalidInputError(f"{path}, line {line + 1}: not valid CSV ({exc}).") from None


def _columns(names: Sequence[str]) -> str:
    return "column" if len(names) == 1 else "columns"


def _check_header(path: Path, fieldnames: Sequence[str] | None) -> None:
    header = [name.strip() for name in fieldnames or ()]
    problems = []
    missing = [name for name in _REQUIRED if name not in header]
    if missing:
        problems.append(f"missing {_columns(missing)}: {', '.join(missing)}")
    unknown = [name for name in header if name not in COLUMNS]
    if unknown:
        problems.append(
            f"unknown {_columns(unknown)}: {', '.join(repr(n[:40]) for n in unknown)} "
            f"(allowed: {', '.join(COLUMNS)})"
        )
    if len(set(header)) != len(header):
        problems.append("a column is named twice")
    if problems:
        raise InvalidInputError(f"{path}, line 1: " + "; ".join(problems) + ".")


class _Checker:
    """Turns cells into rows, looking up scopes, roles and groups once each."""

    def __init__(self, portal: Portal, tenant: Tenant, defaults: _Target) -> None:
        self._portal = portal
        self._tenant = tenant
        self._defaults = defaults
        self._scopes: dict[str, int | None] = {}
        self._roles: dict[str, bool] = {}
        self._groups: dict[str, bool] = {}

    def scope_id(self, key: str) -> int | None:
        """The id of the scope node with this external key (None if there is none)."""
        if key not in self._scopes:
            with self._portal.storage.unit_of_work() as uow:
                node = uow.scopes.get_by_external_key(self._tenant.id, key)
            self._scopes[key] = node.id if node is not None else None
        return self._scopes[key]

    def _role_exists(self, name: str) -> bool:
        if name not in self._roles:
            with self._portal.storage.unit_of_work() as uow:
                self._roles[name] = uow.roles.get_by_name(self._tenant.id, name) is not None
        return self._roles[name]

    def _group_exists(self, name: str) -> bool:
        if name not in self._groups:
            with self._portal.storage.unit_of_work() as uow:
                self._groups[name] = uow.groups.get_by_name(self._tenant.id, name) is not None
        return self._groups[name]

    def row(self, line: int, cells: Mapping[str, str]) -> tuple[_Row | None, list[str]]:
        """The checked row, or None and what is wrong with it."""
        problems: list[str] = []
        email = name = ""
        try:
            email = normalize_email(cells.get("email", ""))
        except InvalidInputError:
            given = cells.get("email")
            problems.append(
                f"not a valid email address: {given[:100]!r}" if given else "the email is empty"
            )
        try:
            name = validate_contact_name(cells.get("name", ""))
        except InvalidInputError as exc:
            problems.append(exc.message)
        key = cells.get("contact_key")
        if key is not None and len(key) > _CONTACT_KEY_LENGTH:
            problems.append(f"the contact key is longer than {_CONTACT_KEY_LENGTH} characters")
        target = _Target(
            scope=cells.get("scope", self._defaults.scope),
            role=cells.get("role", self._defaults.role),
            group=cells.get("group", self._defaults.group),
        )
        if (target.scope is None) != (target.role is None):
            problems.append("give both a role and a scope, or neither")
        if target.scope is not None and self.scope_id(target.scope) is None:
            problems.append(f"unknown scope {target.scope[:100]!r} (a scope's external key)")
        if target.role is not None and not self._role_exists(target.role):
            problems.append(f"unknown role {target.role[:100]!r}")
        if target.group is not None and not self._group_exists(target.group):
            problems.append(f"unknown group {target.group[:100]!r}")
        if problems:
            return None, problems
        return _Row(line=line, email=email, name=name, contact_key=key, target=target), []


def _rows(path: Path, checker: _Checker) -> Iterator[_Row]:
    """The file's rows, checked again (InvalidInputError if the file changed meanwhile)."""
    for line, cells, problem in _cells(path):
        row, _ = checker.row(line, cells)
        if row is None or problem:
            raise InvalidInputError(
                f"{path}, line {line} changed since it was checked; nothing more was sent."
            )
        yield row


# Pass 1: check everything ---------------------------------------------------------
@attrs.define
class _Checked:
    rows: int = 0
    targets: dict[_Target, int] = attrs.field(factory=dict)


def _check_file(path: Path, checker: _Checker, err: TextIO) -> _Checked | None:
    """Check every row; print the problems and return None if there are any."""
    checked = _Checked()
    seen: dict[str, int] = {}
    problems: list[str] = []
    count = 0
    for line, cells, cell_problem in _cells(path):
        row, row_problems = checker.row(line, cells)
        if cell_problem:
            row_problems.insert(0, cell_problem)
        if row is not None:
            first = seen.setdefault(row.email, line)
            if first != line:
                row_problems.append(f"{row.email} is already listed on line {first}")
        if row_problems:
            count += 1
            if len(problems) < _MAX_PROBLEMS:
                problems.append(f"  line {line}: " + "; ".join(row_problems))
            continue
        assert row is not None
        checked.rows += 1
        checked.targets[row.target] = checked.targets.get(row.target, 0) + 1
    if count:
        verb = "is" if count == 1 else "are"
        print(f"portalkit: error: {path}: {plural(count, 'row')} {verb} not valid:", file=err)
        for problem in problems:
            print(problem, file=err)
        if count > len(problems):
            print(f"  ... and {count - len(problems)} more", file=err)
        print("Nothing was sent. Fix the file and run the command again.", file=err)
        return None
    if not checked.rows:
        raise InvalidInputError(f"{path} has no contacts.")
    return checked


def _sender(portal: Portal, tenant: Tenant, email: str) -> Principal:
    """The principal of the portal user who sends (their address is the Reply-To)."""
    try:
        address = contact.normalize_email(email)
    except InvalidInputError:
        raise InvalidInputError(f"--sender {email[:100]!r} is not an email address.") from None
    with portal.storage.unit_of_work() as uow:
        user = uow.users.get_by_email(tenant.id, address)
    if user is None or not user.is_active:
        raise InvalidInputError(
            f"--sender: no active portal user {address} in portal {tenant.slug!r}; "
            "the sender must be a portal user allowed to send invitations (invitation.send)."
        )
    return Principal(tenant_id=tenant.id, kind=PrincipalKind.USER, user_id=user.id)


def _preflight(
    portal: Portal,
    sender: Principal,
    checker: _Checker,
    targets: Mapping[_Target, int],
    *,
    sender_email: str,
    template: EmailTemplate | None,
) -> None:
    """Ask the service, with no contacts, whether each target may be sent to."""
    for target in targets:
        scope_id, role, group = _options(checker, target)
        try:
            portal.invitations.send(
                sender, [], template=template, scope_id=scope_id, role=role, group=group
            )
        except PermissionDeniedError:
            raise PermissionDeniedError(
                f"{sender_email} may not send invitations with {target.describe()} "
                "(needs invitation.send covering the scope, in an enabled portal, and, "
                "unless a staff user, every permission the role and group give there)."
            ) from None


def _options(checker: _Checker, target: _Target) -> tuple[int | None, str | None, str | None]:
    """The service's scope id, role and group for *target*."""
    scope_id = checker.scope_id(target.scope) if target.scope is not None else None
    return scope_id, target.role, target.group


# Mail --------------------------------------------------------------------------------
def _env(name: str) -> str | None:
    return os.environ.get(name) or None


def mailer_for(args: argparse.Namespace) -> Mailer | None:
    """The mailer the options and environment ask for (None for a dry run)."""
    if args.dry_run:
        return None
    if args.console:
        return ConsoleMailer()
    host = args.smtp_host or _env("PORTALKIT_SMTP_HOST")
    if not host:
        raise ConfigurationError(
            "Give the mail server with --smtp-host (or PORTALKIT_SMTP_HOST), "
            "or use --console to print the emails, or --dry-run to only check the file."
        )
    port_text = args.smtp_port or _env("PORTALKIT_SMTP_PORT")
    try:
        port = int(port_text) if port_text else None
    except ValueError:
        raise ConfigurationError(f"The SMTP port {port_text!r} is not a number.") from None
    security = args.smtp_security or _env("PORTALKIT_SMTP_SECURITY") or "starttls"
    securities: dict[str, Security] = {"starttls": "starttls", "ssl": "ssl", "none": "none"}
    if security not in securities:
        raise ConfigurationError(
            f"Unknown SMTP security {security!r}; use starttls, ssl or none."
        )
    the_security = securities[security]
    username = args.smtp_username or _env("PORTALKIT_SMTP_USERNAME")
    password = _env("PORTALKIT_SMTP_PASSWORD") if username else None
    if username and password is None:
        raise ConfigurationError("Set PORTALKIT_SMTP_PASSWORD for --smtp-username.")
    return SmtpMailer(
        host,
        port,
        security=the_security,
        username=username,
        password=password,
        timeout=args.smtp_timeout,
    )


def _template(path: str | None) -> EmailTemplate | None:
    """A template file: a ``Subject: …`` line, a blank line, then the body."""
    if path is None:
        return None
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError:
        raise InvalidInputError(f"Cannot read the template file {path}.") from None
    first, _, rest = text.partition("\n")
    if not first.lower().startswith("subject:"):
        raise InvalidInputError(
            f"{path}, line 1: a template starts with 'Subject: ...', "
            "then a blank line and the body."
        )
    return EmailTemplate(subject=first[len("subject:"):].strip(), body=rest.strip("\n"))


# Pass 2: send ------------------------------------------------------------------------
@attrs.define
class _Totals:
    """The whole file's outcome, added up over the service's reports."""

    total: int
    sent: int = 0
    skipped: int = 0
    failed: int = 0
    seen: int = 0
    by_reason: dict[SkipReason, int] = attrs.field(factory=dict)
    skipped_lines: list[str] = attrs.field(factory=list)
    failed_lines: list[str] = attrs.field(factory=list)

    def add(self, report: SendReport, lines: list[int]) -> None:
        self.sent += report.sent
        self.skipped += report.skipped
        self.failed += report.failed
        self.seen += report.seen
        for reason, n in report.skipped_by_reason.items():
            self.by_reason[reason] = self.by_reason.get(reason, 0) + n
        for skip in report.skipped_contacts:
            if skip.reason is SkipReason.ALREADY_INVITED:
                continue  # expected on a re-run: counted, not listed
            if len(self.skipped_lines) < _MAX_DETAILS:
                self.skipped_lines.append(
                    f"  line {lines[skip.row - 1]}: {skip.email}: skipped "
                    f"({skip.reason.value}): {skip.message}"
                )
        for fail in report.failed_contacts:
            if len(self.failed_lines) < _MAX_DETAILS:
                self.failed_lines.append(
                    f"  line {lines[fail.row - 1]}: {fail.email}: failed: {fail.error[:300]}"
                )


class _Progress:
    """The callback of one send() call: shows the file's progress, stops a dead mailer."""

    def __init__(self, totals: _Totals, bar: Progress) -> None:
        self._totals = totals
        self._bar = bar
        self.last = SendReport()

    def __call__(self, report: SendReport) -> None:
        totals, before = self._totals, self.last
        self.last = attrs.evolve(report)
        if report.seen == before.seen and report.seen:
            return  # the service's closing call: nothing new since the last chunk
        done = totals.seen + report.seen
        self._bar.update(
            done,
            f"sent {totals.sent + report.sent}, skipped {totals.skipped + report.skipped}, "
            f"failed {totals.failed + report.failed}",
            final=done >= totals.total,
        )
        if report.failed - before.failed >= 2 and report.sent == before.sent:
            self._bar.close()
            raise _Stop()


def _contacts(rows: Iterator[_Row], lines: list[int]) -> Iterator[dict[str, str]]:
    """The service's contacts; *lines* collects each one's file line (the report's rows)."""
    for row in rows:
        lines.append(row.line)
        found = {"email": row.email, "name": row.name}
        if row.contact_key:
            found["contact_key"] = row.contact_key
        yield found


def _send_all(
    portal: Portal,
    sender: Principal,
    path: Path,
    checker: _Checker,
    totals: _Totals,
    *,
    template: EmailTemplate | None,
    bar: Progress,
) -> bool:
    """Send run by run; False if it stopped because a whole chunk failed."""
    for target, run in itertools.groupby(_rows(path, checker), key=lambda r: r.target):
        lines: list[int] = []
        progress = _Progress(totals, bar)
        scope_id, role, group = _options(checker, target)
        try:
            report = portal.invitations.send(
                sender,
                _contacts(run, lines),
                template=template,
                scope_id=scope_id,
                role=role,
                group=group,
                resume=True,  # never replace a link that was delivered
                on_progress=progress,
            )
        except _Stop:
            totals.add(progress.last, lines)
            return False
        totals.add(report, lines)
    return True


# Dry run ---------------------------------------------------------------------------
def _dry_run(portal: Portal, tenant: Tenant, path: Path, checker: _Checker) -> tuple[int, int]:
    """(already portal users, already invited) among the file's contacts."""
    users = invited = 0
    now = portal.clock.now()
    rows = _rows(path, checker)
    while chunk := [row.email for row in itertools.islice(rows, 500)]:
        emails = tuple(chunk)
        with portal.storage.unit_of_work() as uow:
            found = {u.email for u in uow.users.find(tenant.id, In("email", emails))}
            pending = uow.invitations.find(
                tenant.id,
                all_of(
                    In("email", emails),
                    Eq("kind", InvitationKind.INVITE),
                    Eq("status", InvitationStatus.PENDING),
                ),
            )
        delivered = {i.email for i in pending if not i.unsent and i.expires_at > now}
        users += len(found)
        invited += len(delivered - found)
    return users, invited


# The command ------------------------------------------------------------------------
def run_invite(args: argparse.Namespace) -> int:
    """``portalkit invite``: check the whole file, then send (see the module docs)."""
    path = read_file(args.file)
    mailer = mailer_for(args)
    try:
        with open_portal(args, secret_required=True, mailer=mailer) as portal:
            return _invite(args, portal, path)
    finally:
        if isinstance(mailer, SmtpMailer):
            mailer.close()


def _invite(args: argparse.Namespace, portal: Portal, path: Path) -> int:
    """Check, then send through the mailer of :func:`mailer_for` (none for a dry run)."""
    err, out = sys.stderr, sys.stdout
    tenant = portal.tenant(args.tenant)
    sender = _sender(portal, tenant, args.sender)
    template = _template(args.template)
    defaults = _Target(scope=args.scope, role=args.role, group=args.group)
    checker = _Checker(portal, tenant, defaults)
    checked = _check_file(path, checker, err)
    if checked is None:
        return 1
    _preflight(
        portal, sender, checker, checked.targets, sender_email=args.sender, template=template
    )
    if args.dry_run:
        users, invited = _dry_run(portal, tenant, path, checker)
        would = checked.rows - users - invited
        are = "is a portal user" if users == 1 else "are portal users"
        has = "has" if invited == 1 else "have"
        print(
            f"Dry run: {path} is valid ({plural(checked.rows, 'contact')}) and {args.sender} "
            f"may send. Would send {plural(would, 'invitation')}; {users} of the contacts "
            f"{are} already, {invited} {has} a pending invitation already. "
            "Nothing was stored or sent.",
            file=out,
        )
        return 0
    totals = _Totals(total=checked.rows)
    bar = Progress(checked.rows, unit="contacts", stream=err)
    finished = _send_all(portal, sender, path, checker, totals, template=template, bar=bar)
    bar.close()
    return _summary(totals, finished, out)


def _summary(totals: _Totals, finished: bool, out: TextIO) -> int:
    reasons = ", ".join(
        f"{reason.value.replace('_', ' ')} {n}" for reason, n in sorted(totals.by_reason.items())
    )
    print(
        f"Invitations: {totals.sent} sent, {totals.skipped} skipped"
        + (f" ({reasons})" if reasons else "")
        + f", {totals.failed} failed, of {plural(totals.total, 'contact')}"
        + (f"; {totals.total - totals.seen} not reached." if totals.seen < totals.total else "."),
        file=out,
    )
    for line in totals.skipped_lines + totals.failed_lines:
        print(line, file=out)
    listed = len(totals.skipped_lines) + len(totals.failed_lines)
    unlisted = (
        totals.skipped - totals.by_reason.get(SkipReason.ALREADY_INVITED, 0) + totals.failed
    ) - listed
    if unlisted > 0:
        print(f"  ... and {unlisted} more", file=out)
    if not finished:
        print(
            "Stopped: every email of the last batch failed (is the mail server reachable?). "
            "Their invitations are stored unsent; run the same command again to continue.",
            file=out,
        )
        return 1
    if totals.failed:
        print(
            "Failed invitations are stored unsent; run the same command again to retry them "
            "(contacts who were sent one are skipped).",
            file=out,
        )
        return 1
    return 0
