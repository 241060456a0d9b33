"""Bulk invitations: portalkit vs a plain smtplib loop sending the same messages.

Both sides send one email per contact to the same local SMTP server (aiosmtpd,
in a subprocess of its own on a free loopback port) over one kept connection,
with the same headers (From, To, Reply-To, Subject, Date, Message-ID) and the
same text and HTML parts. portalkit additionally validates and de-duplicates
every contact, checks who is already a user, stores each invitation (SQLite)
before sending and records the outcome and an audit entry afterwards, signs a
token per link, and escapes every value in the HTML part. The smtplib loop is
the floor: pre-validated contacts, a random link token, nothing stored.

    python bench/invite.py [--quick] [--json PATH] [--repeat N]

Checks that the server received the same (recipient, subject) pairs from both
sides. Target: portalkit/smtplib <= 1.5; peak memory growth from 2,000 to
10,000 contacts < 50 MB (the contacts are streamed).
"""

from __future__ import annotations

import gc
import html
import os
import secrets
import smtplib
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from functools import partial
from pathlib import Path
from typing import Any

from _util import median, parse_args, peak_memory, print_table, timed, write_json

import portalkit
from portalkit._services.invitations import (
    DEFAULT_INVITATION_TEMPLATE,
    Contact,
    InvitationService,
    english_date,
)
from portalkit.adapters.clock import SystemClock
from portalkit.adapters.crypto import Argon2idHasher
from portalkit.adapters.smtp import SmtpMailer
from portalkit.adapters.sqlalchemy import SqlAlchemyStorage
from portalkit.adapters.tokens import ItsdangerousTokenSigner
from portalkit.domain.passwords import PasswordPolicy
from portalkit.domain.principals import Principal, PrincipalKind
from portalkit.domain.tenants import TenantSettings

SECRET = "bench-secret-key-bench-secret-key-0123456789"
BASE_URL = "https://portal.bench.example"
SENDER = "portal@bench.example"
COMPANY = "Bench & Sons <Fleet>"

SERVER = r"""
import asyncio, sys
from aiosmtpd.controller import Controller

class Handler:
    def __init__(self, log):
        self.log = log
    async def handle_DATA(self, server, session, envelope):
        subject, lines = b"", envelope.content.split(b"\r\n")
        for n, line in enumerate(lines):
            if not line:
                break
            if line.lower().startswith(b"subject:"):
                subject = line[8:]
                for more in lines[n + 1:]:
                    if not more.startswith((b" ", b"\t")):
                        break
                    subject += more
                subject = b" ".join(subject.split())
                break
        for rcpt in envelope.rcpt_tos:
            self.log.write(rcpt.encode() + b"\t" + subject + b"\n")
        self.log.flush()
        return "250 OK"

port, log_path = int(sys.argv[1]), sys.argv[2]
with open(log_path, "ab") as log:
    controller = Controller(Handler(log), hostname="127.0.0.1", port=port)
    controller.start()
    print("ready", flush=True)
    sys.stdin.read()  # run until the parent closes our stdin
    controller.stop()
"""


def free_port() -> int:
    """A free TCP port on loopback (aiosmtpd cannot take port 0)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def contacts(count: int) -> Iterator[Contact]:
    """The contacts to invite, streamed."""
    for i in range(count):
        yield Contact(email=f"contact{i:06d}@customers.example", name=f"Contact {i} & <Co>")


def floor_send(host: str, port: int, count: int, staff: tuple[str, str]) -> int:
    """The plain loop: build the same message per contact, send over one connection."""
    template = DEFAULT_INVITATION_TEMPLATE
    expiry = english_date(SystemClock().now())
    domain = SENDER.rpartition("@")[2]
    sent = 0
    with smtplib.SMTP(host, port, timeout=30) as smtp:
        for contact in contacts(count):
            link = f"{BASE_URL}/invitations/accept?token={secrets.token_urlsafe(48)}"
            values = {
                "contact_name": contact.name,
                "company_name": COMPANY,
                "portal_link": link,
                "expiry_date": expiry,
            }
            escaped = {k: html.escape(v, quote=True) for k, v in values.items()}
            href = escaped["portal_link"]
            escaped["portal_link"] = f'<a href="{href}">{href}</a>'
            message = EmailMessage()
            message["Subject"] = template.subject.format(**values)
            message["From"] = Address(display_name="Customer Portal", addr_spec=SENDER)
            message["To"] = Address(display_name=contact.name, addr_spec=contact.email)
            message["Reply-To"] = Address(display_name=staff[0], addr_spec=staff[1])
            message["Date"] = format_datetime(SystemClock().now())
            message["Message-ID"] = make_msgid(domain=domain)
            message["Auto-Submitted"] = "auto-generated"
            message.set_content(template.body.format(**values))
            body = template.body.replace("\n\n", "</p>\n<p>").format(**escaped)
            message.add_alternative(
                f"<!DOCTYPE html>\n<html><body>\n<p>{body}</p>\n</body></html>\n", subtype="html"
            )
            smtp.send_message(message)
            sent += 1
    return sent


def setup(url: str) -> tuple[SqlAlchemyStorage, Principal, tuple[str, str]]:
    """A migrated database with a tenant and a staff user who may invite."""
    storage = SqlAlchemyStorage.from_url(url)
    portal = portalkit.Portal(storage, secret_key=SECRET)
    portal.upgrade()
    settings = TenantSettings(base_url=BASE_URL, sender_email=SENDER)
    tenant = portal.create_tenant("bench", COMPANY, settings=settings)
    with portal.admin("bench") as admin:
        org = admin.add_organization("Bench Org")
        admin.define_role("inviter", ["invitation.send"])
        staff = admin.create_user("kim@bench.example", "Kim Staff", is_staff=True)
        admin.grant(staff, "inviter", scope=org)
    principal = Principal(tenant_id=tenant.id, kind=PrincipalKind.USER, user_id=staff.id)
    return storage, principal, (staff.name, staff.email)


def service(storage: SqlAlchemyStorage, mailer: SmtpMailer) -> InvitationService:
    """The invitation service as a Portal would build it."""
    clock = SystemClock()
    return InvitationService(
        storage,
        signer=ItsdangerousTokenSigner(SECRET, clock=clock),
        mailer=mailer,
        clock=clock,
        password_policy=PasswordPolicy(),
        hasher=Argon2idHasher(time_cost=2, memory_kib=19 * 1024, parallelism=1),
    )


def received(log: Path, start: int) -> tuple[Counter[tuple[bytes, bytes]], int]:
    """What the server logged after byte *start*: (recipient, subject) pairs."""
    with log.open("rb") as f:
        f.seek(start)
        data = f.read()
    pairs = Counter(tuple(line.split(b"\t", 1)) for line in data.splitlines() if line)
    return pairs, start + len(data)  # type: ignore[return-value]


def wait_for(log: Path, lines: int, timeout: float = 60) -> None:
    """Wait until the server has logged *lines* lines in all."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if log.read_bytes().count(b"\n") >= lines:
            return
        time.sleep(0.05)


def clear(storage: SqlAlchemyStorage) -> None:
    """Remove the invitations and audit entries of earlier runs."""
    with storage.engine.begin() as conn:
        conn.exec_driver_sql("DELETE FROM portalkit_invitations")
        conn.exec_driver_sql("DELETE FROM portalkit_audit")


def main() -> None:
    args = parse_args(__doc__.splitlines()[0])
    count, small = (2_000, 500) if args.quick else (10_000, 2_000)
    repeat = 1 if args.quick else args.repeat
    with tempfile.TemporaryDirectory() as tmp:
        log = Path(tmp) / "smtp.log"
        log.touch()
        port = free_port()
        server = subprocess.Popen(
            [sys.executable, "-c", SERVER, str(port), str(log)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        try:
            assert server.stdout is not None
            assert server.stdout.readline().strip() == "ready"
            result = run(Path(tmp), log, port, count, small, repeat)
        finally:
            assert server.stdin is not None
            server.stdin.close()
            server.wait(timeout=30)
    report(args, result, count, small, repeat)


def run(tmp: Path, log: Path, port: int, count: int, small: int, repeat: int) -> dict[str, Any]:
    """Alternate both sides *repeat* times, compare deliveries, then measure memory."""
    storage, principal, staff = setup(f"sqlite:///{tmp / 'bench.db'}")
    ours: list[float] = []
    floor: list[float] = []
    mismatches = 0
    offset = 0
    lines = 0
    for _ in range(repeat):
        clear(storage)
        gc.collect()
        with SmtpMailer("127.0.0.1", port, security="none", timeout=30) as mailer:
            invitations = service(storage, mailer)
            seconds, sent_report = timed(partial(invitations.send, principal, contacts(count)))
        assert sent_report.sent == count, sent_report
        ours.append(seconds)
        lines += count
        wait_for(log, lines)
        got_ours, offset = received(log, offset)
        gc.collect()
        seconds, sent = timed(lambda: floor_send("127.0.0.1", port, count, staff))
        assert sent == count
        floor.append(seconds)
        lines += count
        wait_for(log, lines)
        got_floor, offset = received(log, offset)
        mismatches += sum((got_ours - got_floor).values()) + sum((got_floor - got_ours).values())
    peaks = {}
    for size in (small, count):
        clear(storage)
        gc.collect()
        with (
            SmtpMailer("127.0.0.1", port, security="none", timeout=30) as mailer,
            peak_memory() as box,
        ):
            service(storage, mailer).send(principal, contacts(size))
        peaks[size] = box["peak_mb"]
    storage.close()
    return {
        "portalkit_s": median(ours),
        "smtplib_s": median(floor),
        "ratio": median(ours) / median(floor),
        "peaks": peaks,
        "growth_mb": peaks[count] - peaks[small],
        "mismatches": mismatches,
    }


def report(args: Any, r: dict[str, Any], count: int, small: int, repeat: int) -> None:
    """Print the table and write the JSON object."""
    print_table(
        f"{count:,} invitations to a local SMTP server (SQLite), median of {repeat}",
        ["side", "seconds", "emails/s", "ratio", f"peak MB {small:,}", f"peak MB {count:,}"],
        [
            [
                "portalkit",
                r["portalkit_s"],
                count / r["portalkit_s"],
                r["ratio"],
                r["peaks"][small],
                r["peaks"][count],
            ],
            ["smtplib loop", r["smtplib_s"], count / r["smtplib_s"], 1.0, "", ""],
        ],
    )
    print(f"\npeak memory growth {small:,} -> {count:,} contacts: {r['growth_mb']:.2f} MB")
    print(f"mismatches (recipient, subject) between the two sides: {r['mismatches']}")
    write_json(
        args.json,
        {
            "name": "invite",
            "quick": args.quick,
            "params": {"contacts": count, "small": small, "repeat": repeat, "database": "sqlite"},
            "results": {
                "portalkit": {
                    "seconds": r["portalkit_s"],
                    "mean_us": r["portalkit_s"] / count * 1e6,
                    "peak_mb": r["peaks"][count],
                    "peak_growth_mb": r["growth_mb"],
                },
                "smtplib": {"seconds": r["smtplib_s"], "mean_us": r["smtplib_s"] / count * 1e6},
            },
            "ratios": {"portalkit_over_smtplib": r["ratio"]},
            "targets": {"portalkit_over_smtplib": "<= 1.5", "peak_growth_mb": "< 50"},
            "mismatches": r["mismatches"],
        },
    )


if __name__ == "__main__":
    main()
