"""``portalkit invite FILE.csv``: bulk invitations from the command line, run for real.

The command runs against SQLite and PostgreSQL files/schemas migrated by
``portalkit db upgrade``, prints through the console mailer or sends through a
real SMTP server on loopback (aiosmtpd).
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from portalkit import Portal, SignUpForm, perms
from portalkit.cli import main
from portalkit.domain.invitations import Invitation
from tests.smtp_fixtures import Outbox, free_port, running_server

SECRET = "cli-invite-secret-key-cli-invite-secret-key-0123"
SENDER = "staff@acme.example"


def _prepare(url: str) -> None:
    """Migrate, then a configured portal: organizations A and B, a sender allowed at A."""
    assert main(["--url", url, "db", "upgrade"]) == 0
    with Portal.from_url(url, secret_key=SECRET) as portal, portal.admin() as admin:
        admin.update_settings(
            base_url="https://portal.acme.example", sender_email="portal@acme.example"
        )
        org_a = admin.add_organization("Org A", external_key="A")
        admin.add_organization("Org B", external_key="B")
        admin.define_role("inviter", [perms.INVITATION_SEND])
        admin.define_role("viewer", [perms.ASSET_VIEW])
        admin.add_group("Drivers")
        staff = admin.create_user(SENDER, "Sam Staff", is_staff=True)
        admin.grant(staff, "inviter", scope=org_a)
        admin.create_user("known@example.com", "Known User")


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> str:
    """A prepared portal database (SQLite file or PostgreSQL schema); the secret in the env."""
    monkeypatch.setenv("PORTALKIT_SECRET_KEY", SECRET)
    for name in ("HOST", "PORT", "SECURITY", "USERNAME", "PASSWORD"):
        monkeypatch.delenv(f"PORTALKIT_SMTP_{name}", raising=False)
    if request.param == "postgres":
        url: str = request.getfixturevalue("fresh_postgres_url")
    else:
        url = f"sqlite:///{tmp_path / 'portal.db'}"
    _prepare(url)
    return url


@pytest.fixture
def sqlite_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A prepared SQLite portal database (for the tests that need no second engine)."""
    monkeypatch.setenv("PORTALKIT_SECRET_KEY", SECRET)
    for name in ("HOST", "PORT", "SECURITY", "USERNAME", "PASSWORD"):
        monkeypatch.delenv(f"PORTALKIT_SMTP_{name}", raising=False)
    url = f"sqlite:///{tmp_path / 'portal.db'}"
    _prepare(url)
    return url


def invitations(url: str) -> list[Invitation]:
    """Every stored invitation of the default tenant, oldest first."""
    with Portal.from_url(url, secret_key=SECRET) as portal:
        tenant = portal.tenant()
        with portal.storage.unit_of_work() as uow:
            return uow.invitations.find(tenant.id, order_by=("id",))


def write(path: Path, text: str) -> str:
    """Write a CSV file and return its name."""
    path.write_text(text, encoding="utf-8")
    return str(path)


def invite(url: str, *args: str) -> int:
    """Run ``portalkit --url URL invite ... --sender SENDER``."""
    return main(["--url", url, "invite", *args, "--sender", SENDER])


def test_console_run_invites_then_rerun_contacts_nobody(
    database: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Rows get their scope/role/group; existing users are skipped; a re-run sends nothing."""
    path = write(
        tmp_path / "contacts.csv",
        "email,name,contact_key,scope,role,group\n"
        "Ann@Example.com,Ann Lee,K1,A,viewer,Drivers\n"
        "bob@example.com,Bob Stone,,A,viewer,\n"
        "known@example.com,Known User,,,,\n",
    )
    assert invite(database, path, "--console") == 0
    captured = capsys.readouterr()
    assert captured.out.count("\nTo: ") == 2
    assert "Reply-To: Sam Staff <staff@acme.example>" in captured.out
    assert "https://portal.acme.example/invitations/accept?token=" in captured.out
    assert "Invitations: 2 sent, 1 skipped (already a user 1), 0 failed, of 3 contacts." in (
        captured.out
    )
    assert "line 4: known@example.com: skipped (already_a_user)" in captured.out
    assert "3/3" in captured.err  # progress
    stored = invitations(database)
    assert [(i.email, i.contact_key, i.scope_id is not None, i.group_id is not None)
            for i in stored] == [
        ("ann@example.com", "K1", True, True),
        ("bob@example.com", None, True, False),
    ]
    assert invite(database, path, "--console") == 0
    again = capsys.readouterr().out
    assert "\nTo: " not in again
    assert "0 sent, 3 skipped (already a user 1, already invited 2)" in again
    assert [i.nonce for i in invitations(database)] == [i.nonce for i in stored]


def _tokens(text: str) -> dict[str, str]:
    """The sign-up token of each recipient in the console mailer's output."""
    found = {}
    for email in text.split("\nTo: ")[1:]:
        recipient = email.split("\n", 1)[0].split("<")[-1].rstrip(">").strip()
        found[recipient] = email.split("token=", 1)[1].split()[0]
    return found


def test_a_rerun_during_a_mail_outage_keeps_delivered_links(
    database: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Re-running while the mail server is down re-issues nothing that was delivered.

    Issue 21: ``--no-resume`` during an SMTP outage gave delivered invitations a
    new link that was never delivered, so the links people had stopped working.
    """
    path = write(tmp_path / "c.csv", "email,name\nann@example.com,Ann Lee\n")
    assert invite(database, path, "--console") == 0
    (token,) = _tokens(capsys.readouterr().out).values()
    first = invitations(database)[0]
    dead = ["--smtp-host", "127.0.0.1", "--smtp-port", str(free_port()),
            "--smtp-security", "none", "--smtp-timeout", "2"]
    assert invite(database, path, *dead) == 0
    assert "0 sent, 1 skipped (already invited 1)" in capsys.readouterr().out
    (again,) = invitations(database)
    assert (again.nonce, again.unsent, again.expires_at) == (
        first.nonce, first.unsent, first.expires_at
    )
    with Portal.from_url(database, secret_key=SECRET) as portal:
        form = portal.invitations.show(portal.tenant().id, token)
    assert isinstance(form, SignUpForm)
    assert form.email == "ann@example.com"


def test_no_resume_is_refused_in_one_line(
    sqlite_database: str, tmp_path: Path
) -> None:
    """The removed --no-resume is a usage error (status 2) that says why, and sends nothing."""
    path = write(tmp_path / "c.csv", "email,name\nann@example.com,Ann Lee\n")
    result = subprocess.run(
        [sys.executable, "-m", "portalkit", "--url", sqlite_database, "invite", path,
         "--sender", SENDER, "--console", "--no-resume"],
        capture_output=True, text=True, timeout=120, check=False,
    )
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1
    assert "--no-resume was removed" in result.stderr
    assert invitations(sqlite_database) == []


def test_real_smtp_failure_is_reported_and_retried_once(
    database: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A refused address fails with its line; the re-run sends only that one, once."""
    path = write(
        tmp_path / "contacts.csv",
        "email,name\ncarl@example.com,Carl Ray\nrefused@example.com,Rey Fused\n"
        "dora@example.com,Dora Lane\n",
    )
    with running_server() as server:
        options = ["--smtp-host", server.host, "--smtp-port", str(server.port),
                   "--smtp-security", "none", "--scope", "A", "--role", "viewer"]
        assert invite(database, path, *options) == 1
        out = capsys.readouterr().out
        assert "2 sent, 0 skipped, 1 failed, of 3 contacts" in out
        assert "line 3: refused@example.com: failed: refused@example.com: 550" in out
        assert "run the same command again to retry" in out
        received = sorted(m["To"].addresses[0].addr_spec for m in server.outbox.messages)
        assert received == ["carl@example.com", "dora@example.com"]
        message = server.outbox.messages[0]
        assert message["From"].addresses[0].addr_spec == "portal@acme.example"
        assert message["Reply-To"].addresses[0].addr_spec == SENDER

        server.outbox.refuse = frozenset()
        monkeypatch.setenv("PORTALKIT_SMTP_HOST", server.host)  # the same, from the environment
        monkeypatch.setenv("PORTALKIT_SMTP_PORT", str(server.port))
        monkeypatch.setenv("PORTALKIT_SMTP_SECURITY", "none")
        assert invite(database, path, "--scope", "A", "--role", "viewer") == 0
        assert "1 sent, 2 skipped (already invited 2), 0 failed" in capsys.readouterr().out
        assert invite(database, path, "--scope", "A", "--role", "viewer") == 0
        assert len(server.outbox.messages) == 3
        received = sorted(m["To"].addresses[0].addr_spec for m in server.outbox.messages)
        assert received == ["carl@example.com", "dora@example.com", "refused@example.com"]
    assert all(not i.unsent for i in invitations(database))


def test_unreachable_mail_server_stops_and_the_rerun_finishes(
    sqlite_database: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """With no server listening the run stops after a failed batch; later, each gets one email."""
    rows = "".join(f"c{i}@example.com,Contact {i}\n" for i in range(5))
    path = write(tmp_path / "contacts.csv", "email,name\n" + rows)
    port = free_port()
    options = ["--smtp-host", "127.0.0.1", "--smtp-port", str(port), "--smtp-security", "none",
               "--smtp-timeout", "2"]
    assert invite(sqlite_database, path, *options) == 1
    out = capsys.readouterr().out
    assert "0 sent, 0 skipped, 5 failed" in out
    assert "Stopped: every email of the last batch failed" in out
    assert all(i.unsent for i in invitations(sqlite_database))
    with running_server(Outbox()) as server:
        options[3] = str(server.port)
        assert invite(sqlite_database, path, *options) == 0
        assert len(server.outbox.messages) == 5
        assert invite(sqlite_database, path, *options) == 0
        assert len(server.outbox.messages) == 5


#: Three good rows (lines 2-4) ahead of the bad one: they must not be sent either.
GOOD = "".join(f"ok{i}@example.com,Ok {i}\n" for i in range(3))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("email\nann@example.com\n", "line 1: missing column: name"),
        ("email,name,colour\na@example.com,A,red\n", "line 1: unknown column: 'colour'"),
        ("email,name\n" + GOOD + "not-an-email,Bad\n",
         "line 5: not a valid email address: 'not-an-email'"),
        ("email,name,scope,role\n" + GOOD.replace("\n", ",A,viewer\n")
         + "ann@example.com,Ann,ZZ,viewer\n", "line 5: unknown scope 'ZZ'"),
        ("email,name,role\n" + GOOD.replace("\n", ",\n") + "ann@example.com,Ann,viewer\n",
         "line 5: give both a role and a scope, or neither"),
        ("email,name,group\n" + GOOD.replace("\n", ",Drivers\n")
         + "ann@example.com,Ann,Nobody\n", "line 5: unknown group 'Nobody'"),
        ("email,name\n" + GOOD + "OK1@example.com,Ok again\n",
         "line 5: ok1@example.com is already listed on line 3"),
        ("email,name\n" + GOOD + "ann@example.com,Ann,extra\n",
         "line 5: more cells than the header has columns"),
        ("email,name\n" + GOOD + "ann@example.com,\n", "line 5: The contact name is required."),
        ("email,name\n", "has no contacts"),
    ],
)
def test_bad_file_names_the_line_and_sends_nothing(
    sqlite_database: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    text: str,
    expected: str,
) -> None:
    """A bad header or row: exit 1, the line number, nothing stored or printed as sent."""
    path = write(tmp_path / "contacts.csv", text)
    assert invite(sqlite_database, path, "--console") == 1
    captured = capsys.readouterr()
    assert expected in captured.err
    assert "\nTo: " not in captured.out
    assert "Traceback" not in captured.err
    assert invitations(sqlite_database) == []


def test_sender_and_permission_errors(
    sqlite_database: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An unknown sender, or a scope the sender may not invite to: exit 1, nothing stored."""
    path = write(tmp_path / "c.csv", "email,name,scope,role\nann@example.com,Ann,A,viewer\n"
                 "bob@example.com,Bob,B,viewer\n")
    assert main(["--url", sqlite_database, "invite", path, "--console",
                 "--sender", "nobody@acme.example"]) == 1
    assert "no active portal user nobody@acme.example" in capsys.readouterr().err
    assert invite(sqlite_database, path, "--console") == 1
    err = capsys.readouterr().err
    assert "may not send invitations with role 'viewer' at scope 'B'" in err
    assert invitations(sqlite_database) == []


def test_configuration_errors_are_clear(
    sqlite_database: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """No mail server, a missing file, an unknown tenant: one line each, exit 1."""
    path = write(tmp_path / "c.csv", "email,name\nann@example.com,Ann\n")
    assert invite(sqlite_database, path) == 1
    assert "--smtp-host" in capsys.readouterr().err
    assert invite(sqlite_database, str(tmp_path / "nope.csv"), "--console") == 1
    assert "No such file" in capsys.readouterr().err
    assert invite(sqlite_database, path, "--console", "--tenant", "other") == 1
    assert "Unknown portal" in capsys.readouterr().err
    latin = tmp_path / "latin.csv"
    latin.write_bytes("email,name\nann@example.com,Ann Müller\n".encode("latin-1"))
    assert invite(sqlite_database, str(latin), "--console") == 1
    assert "is not UTF-8 text" in capsys.readouterr().err
    template = write(tmp_path / "t.txt", "Hello {nobody}\n")
    assert invite(sqlite_database, path, "--console", "--template", template) == 1
    assert "Subject:" in capsys.readouterr().err
    assert invitations(sqlite_database) == []


def test_template_file_is_used(
    sqlite_database: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--template gives the subject and body, with tokens filled in."""
    path = write(tmp_path / "c.csv", "email,name\nann@example.com,Ann Lee\n")
    template = write(
        tmp_path / "t.txt",
        "Subject: {company_name} portal for {contact_name}\n\nHi {contact_name}: {portal_link}\n",
    )
    assert invite(sqlite_database, path, "--console", "--template", template) == 0
    out = capsys.readouterr().out
    assert "Subject: Default portal for Ann Lee" in out
    assert "Hi Ann Lee: https://portal.acme.example/invitations/accept?token=" in out


def test_dry_run_checks_and_stores_nothing(
    sqlite_database: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--dry-run reports what would be sent, needs no mailer and stores nothing."""
    path = write(tmp_path / "c.csv", "email,name\nann@example.com,Ann\nknown@example.com,K\n")
    assert invite(sqlite_database, path, "--dry-run") == 0
    out = capsys.readouterr().out
    assert "(2 contacts)" in out
    assert "Would send 1 invitation; 1 of the contacts is a portal user already, " in out
    assert invitations(sqlite_database) == []


@pytest.fixture
def shared_database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One prepared SQLite database for every example of a property test."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PORTALKIT_SECRET_KEY", SECRET)
        url = f"sqlite:///{tmp_path_factory.mktemp('prop') / 'portal.db'}"
        _prepare(url)
        yield url


@settings(max_examples=15, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(valid=st.lists(st.booleans(), min_size=1, max_size=12))
def test_exactly_the_bad_lines_are_reported(
    shared_database: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    valid: list[bool],
) -> None:
    """Any mix of good and bad addresses: the bad lines, and only they, are listed."""
    monkeypatch.setenv("PORTALKIT_SECRET_KEY", SECRET)
    rows = [f"p{i}@example.com" if ok else f"p{i}@@example" for i, ok in enumerate(valid)]
    path = write(tmp_path / "p.csv", "email,name\n" + "".join(f"{e},P\n" for e in rows))
    capsys.readouterr()
    status = invite(shared_database, path, "--dry-run")
    err = capsys.readouterr().err
    bad_lines = {i + 2 for i, ok in enumerate(valid) if not ok}
    reported = {int(part.split(":")[0]) for part in err.split("  line ")[1:]}
    assert reported == bad_lines
    assert status == (1 if bad_lines else 0)
    assert invitations(shared_database) == []


@pytest.fixture
def template_database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A prepared SQLite portal database file that each example copies."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PORTALKIT_SECRET_KEY", SECRET)
        path = tmp_path_factory.mktemp("template") / "portal.db"
        _prepare(f"sqlite:///{path}")
        yield path


def _copy(source: Path, target: Path) -> str:
    """A copy of a SQLite database (through the backup API, WAL included); its URL."""
    target.unlink(missing_ok=True)
    with contextlib.closing(sqlite3.connect(source)) as src, contextlib.closing(
        sqlite3.connect(target)
    ) as dst:
        src.backup(dst)
    return f"sqlite:///{target}"


@settings(max_examples=10, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    contacts=st.integers(min_value=1, max_value=6),
    refusals=st.lists(st.sets(st.integers(min_value=0, max_value=5)), min_size=1, max_size=3),
)
def test_reruns_email_each_contact_exactly_once(
    template_database: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    contacts: int,
    refusals: list[set[int]],
) -> None:
    """Whatever the server refuses run after run, a final clean run leaves one email each."""
    monkeypatch.setenv("PORTALKIT_SECRET_KEY", SECRET)
    url = _copy(template_database, tmp_path / "example.db")
    emails = [f"c{i}@example.com" for i in range(contacts)]
    path = write(tmp_path / "c.csv", "email,name\n" + "".join(f"{e},C\n" for e in emails))
    with running_server(Outbox()) as server:
        options = ["--smtp-host", server.host, "--smtp-port", str(server.port),
                   "--smtp-security", "none"]
        for refused in [*refusals, set()]:
            server.outbox.refuse = frozenset(emails[i] for i in refused if i < contacts)
            invite(url, path, *options)
            received = [m["To"].addresses[0].addr_spec for m in server.outbox.messages]
            assert len(received) == len(set(received)), received  # nobody twice, ever
        assert sorted(received) == sorted(emails)
    capsys.readouterr()


class HeldOutbox(Outbox):
    """A mail server that holds every message after the first *keep* until released.

    The sender is then certainly in the middle of its run when the test
    interrupts it, however slowly a loaded machine schedules either side.
    """

    def __init__(self, keep: int) -> None:
        super().__init__()
        self.keep = keep
        self.release = threading.Event()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        while len(self.messages) >= self.keep and not self.release.is_set():
            await asyncio.sleep(0.01)
        return await super().handle_DATA(server, session, envelope)


def test_ctrl_c_stops_cleanly_and_the_rerun_finishes(
    sqlite_database: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """SIGINT in the middle of a real run: exit 130 with a one-line note and no
    traceback; running the same command again invites everyone else, and every
    contact has exactly one invitation."""
    contacts = [f"c{i:02d}@example.com" for i in range(20)]
    path = write(tmp_path / "contacts.csv",
                 "email,name\n" + "".join(f"{c},Contact {c[:3]}\n" for c in contacts))
    with running_server(HeldOutbox(keep=3)) as server:
        command = [sys.executable, "-m", "portalkit", "--url", sqlite_database, "invite", path,
                   "--sender", SENDER, "--smtp-host", "127.0.0.1", "--smtp-port",
                   str(server.port), "--smtp-security", "none"]
        # A shell that starts a job in the background makes it ignore SIGINT,
        # and an ignored signal stays ignored across exec: give the child a handler.
        previous = signal.signal(signal.SIGINT, signal.default_int_handler)
        try:
            child = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     text=True)
        finally:
            signal.signal(signal.SIGINT, previous)
        deadline = time.monotonic() + 60
        while len(server.outbox.messages) < 3:
            assert child.poll() is None, child.communicate()
            assert time.monotonic() < deadline, "the sender is too slow"
            time.sleep(0.01)
        child.send_signal(signal.SIGINT)  # the child waits on the fourth message
        # Let the interrupted child finish its conversation (QUIT) with the server.
        time.sleep(0.5)
        server.outbox.release.set()
        try:
            out, err = child.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            child.kill()
            child.communicate()
            raise
        first = len(server.outbox.messages)
    assert child.returncode == 130, (out, err)
    assert "Traceback" not in err
    assert "portalkit: interrupted. What was committed is kept" in err
    assert first < len(contacts)
    with running_server(Outbox()) as server:
        assert invite(sqlite_database, path, "--smtp-host", "127.0.0.1", "--smtp-port",
                      str(server.port), "--smtp-security", "none") == 0
        rest = len(server.outbox.messages)
    assert "failed" not in capsys.readouterr().out.replace("0 failed", "")
    records = Counter(i.email for i in invitations(sqlite_database))
    assert set(records) == set(contacts)
    assert max(records.values()) == 1
    assert all(not i.unsent for i in invitations(sqlite_database))
    assert first + rest >= len(contacts)  # each contact got at least one email
