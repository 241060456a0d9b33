"""The command line: options, configuration, checks, imports, set-up commands, demo, errors.

Where the process matters (start-up imports, exit status, one-line errors,
standard input) the command runs in a subprocess; elsewhere :func:`main` runs
in-process against real SQLite files and PostgreSQL schemas.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from portalkit import Portal
from portalkit._cli_support import Progress, plural
from portalkit.cli import main
from portalkit.demo import DEMO_PASSWORD
from portalkit.errors import AuthenticationError

SECRET = "cli-test-secret-key-cli-test-secret-key-0123"
REPO = Path(__file__).resolve().parents[1]


def run(*args: str, cwd: Path | None = None, stdin: str = "", **env: str) -> (
    subprocess.CompletedProcess[str]
):
    """``python -m portalkit ARGS`` in a subprocess, with no portalkit settings inherited."""
    environment = {
        k: v for k, v in os.environ.items()
        if not k.startswith("PORTALKIT_") or k == "PORTALKIT_TEST_DATABASE_URL"
    }
    environment.update(env)
    return subprocess.run(
        [sys.executable, "-m", "portalkit", *args], capture_output=True, text=True,
        input=stdin, cwd=cwd, env=environment, timeout=180, check=False,
    )


@pytest.fixture(autouse=True)
def _no_portalkit_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PORTALKIT_DATABASE_URL", raising=False)
    monkeypatch.delenv("PORTALKIT_SECRET_KEY", raising=False)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database: a SQLite file's URL (no file yet) or a new PostgreSQL schema."""
    if request.param == "postgres":
        return str(request.getfixturevalue("fresh_postgres_url"))
    return f"sqlite:///{tmp_path / 'portal.db'}"


@pytest.fixture
def database(tmp_path: Path) -> str:
    """A migrated SQLite database file."""
    url = f"sqlite:///{tmp_path / 'portal.db'}"
    assert main(["db", "upgrade", "--url", url]) == 0
    return url


def _csv(path: Path, text: str) -> str:
    path.write_text(text, encoding="utf-8")
    return str(path)


# Start-up ------------------------------------------------------------------------------
def test_help_loads_no_database_hashing_or_web_library() -> None:
    """``portalkit --help`` imports no SQLAlchemy, Argon2, Flask or Django (issue 21: 2 s)."""
    code = textwrap.dedent(
        """
        import sys
        from portalkit.cli import main
        try:
            main(["--help"])
        except SystemExit:
            pass
        heavy = ("sqlalchemy", "argon2", "flask", "django", "portalkit._portal")
        print("LOADED", sorted(m for m in sys.modules if m.split(".")[0] in heavy
                               or m in heavy))
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert "LOADED []" in result.stdout, result.stdout[-500:]
    assert "tenant" in result.stdout  # the help itself was printed


def test_every_subcommand_help_loads_nothing_heavy() -> None:
    """The help of every command is as light (the parser holds no command code)."""
    code = textwrap.dedent(
        """
        import contextlib, io, sys
        from portalkit.cli import main
        for argv in (["db", "upgrade"], ["check"], ["import"], ["invite"], ["demo"],
                     ["tenant", "settings"], ["role", "create"], ["user", "set-password"]):
            with contextlib.redirect_stdout(io.StringIO()), contextlib.suppress(SystemExit):
                main([*argv, "--help"])
        print("LOADED", sorted(m for m in sys.modules
                               if m.split(".")[0] in ("sqlalchemy", "argon2")))
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert "LOADED []" in result.stdout


# Options before or after the command -------------------------------------------------
def test_the_readme_command_works_as_written(tmp_path: Path) -> None:
    """``portalkit db upgrade --url sqlite:///portal.db`` (the README's line) creates the file."""
    result = run("db", "upgrade", "--url", "sqlite:///portal.db", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "portal.db").is_file()
    assert run("check", "--url", "sqlite:///portal.db", cwd=tmp_path).returncode == 0


@pytest.mark.parametrize(
    "argv",
    [
        ["--url", "{url}", "db", "upgrade"],
        ["db", "--url", "{url}", "upgrade"],
        ["db", "upgrade", "--url", "{url}"],
    ],
)
def test_url_before_or_after_the_command(argv: list[str], url: str) -> None:
    """``--url`` works in any position, on SQLite and PostgreSQL."""
    assert main([a.format(url=url) for a in argv]) == 0
    assert main(["check", "--url", url]) == 0
    assert main(["--url", url, "check"]) == 0


def test_a_url_after_the_command_wins_over_one_before(tmp_path: Path) -> None:
    """The option nearest the command is the one used (as with every option)."""
    used = tmp_path / "used.db"
    main(["--url", f"sqlite:///{tmp_path / 'other.db'}", "db", "upgrade", "--url",
          f"sqlite:///{used}"])
    assert used.is_file()
    assert not (tmp_path / "other.db").exists()


# Configuration ---------------------------------------------------------------------------
def test_missing_url_is_a_clear_error(capsys: pytest.CaptureFixture[str]) -> None:
    """Without a URL the command fails with a message and status 1."""
    assert main(["db", "upgrade"]) == 1
    assert "PORTALKIT_DATABASE_URL" in capsys.readouterr().err


def test_upgrade_check_and_import_need_no_secret_key(
    url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Schema, checks and imports sign nothing: no PORTALKIT_SECRET_KEY needed (issue 21)."""
    assert main(["db", "upgrade", "--url", url]) == 0
    assert main(["check", "--url", url]) == 0
    assert "no PORTALKIT_SECRET_KEY set" in capsys.readouterr().out
    path = _csv(tmp_path / "c.csv", "external_key,name\nC1,City Fleet\n")
    assert main(["import", "customers", path, "--url", url]) == 0


def test_invite_needs_the_secret_key(
    database: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Invitation links are signed: ``invite`` refuses to run without the key."""
    path = _csv(tmp_path / "c.csv", "email,name\nann@example.com,Ann\n")
    assert main(["invite", path, "--url", database, "--sender", "a@b.example", "--console"]) == 1
    assert "PORTALKIT_SECRET_KEY" in capsys.readouterr().err


def test_a_short_secret_is_still_reported(
    database: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A secret that is set but short is refused by check, before anything runs."""
    monkeypatch.setenv("PORTALKIT_SECRET_KEY", "short")
    assert main(["check", "--url", database]) == 1
    assert "32 bytes" in capsys.readouterr().err


@pytest.mark.parametrize(
    "argv",
    [
        ["check"],
        ["import", "customers", "{csv}"],
        ["tenant", "create", "acme"],
        ["tenant", "settings"],
        ["role", "create", "viewer", "asset.view"],
        ["user", "create", "ann@example.com", "Ann"],
    ],
)
def test_no_command_but_upgrade_creates_a_database_file(
    argv: list[str], tmp_path: Path
) -> None:
    """A missing SQLite file is an error naming the fix; no empty file is left behind."""
    csv_path = _csv(tmp_path / "c.csv", "external_key,name\nC1,City Fleet\n")
    missing = tmp_path / "missing.db"
    result = run(*[a.format(csv=csv_path) for a in argv], "--url", f"sqlite:///{missing}")
    assert result.returncode == 1
    assert result.stderr == (
        f"portalkit: error: No database file {missing}; create it with "
        f"`portalkit db upgrade --url sqlite:///{missing}`.\n"
    )
    assert not missing.exists()


# Imports ---------------------------------------------------------------------------------
def test_import_customers_then_assets_is_idempotent(
    database: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Importing a customers file and an assets file twice adds nothing the second time."""
    customers = _csv(
        tmp_path / "customers.csv",
        "external_key,name,email,postal_code,portal_enabled,contract_count\n"
        "C1,City Fleet,ap@city.example,20001,yes,2\n"
        "C2,Green Acres,,M5V 3L9,no,0\n",
    )
    assets = _csv(
        tmp_path / "assets.csv",
        "external_key,number,plate,scope_key,last_test_date\n"
        "A1,FL-1,ABC 123,C1,2026-03-04\nA2,FL-2,,C2,\n",
    )
    assert main(["--url", database, "import", "customers", customers]) == 0
    assert main(["import", "assets", assets, "--url", database]) == 0
    assert "Imported 2 assets: 2 new, 0 updated, in 1 batch." in capsys.readouterr().out
    assert main(["import", "assets", assets, "--url", database, "--batch-size", "1"]) == 0
    assert "Imported 2 assets: 0 new, 2 updated, in 2 batches." in capsys.readouterr().out


def test_one_row_is_singular(
    database: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``Imported 1 customer ... in 1 batch`` (issue 21: "in 1 batches")."""
    path = _csv(tmp_path / "c.csv", "external_key,name\nC1,City Fleet\n")
    assert main(["import", "customers", path, "--url", database]) == 0
    assert "Imported 1 customer: 1 new, 0 updated, in 1 batch." in capsys.readouterr().out


@pytest.mark.parametrize(
    ("count", "noun", "expected"),
    [(0, "batch", "0 batches"), (1, "batch", "1 batch"), (2, "batch", "2 batches"),
     (1, "row", "1 row"), (3, "row", "3 rows")],
)
def test_plural(count: int, noun: str, expected: str) -> None:
    """The one plural helper of the command line."""
    assert plural(count, noun, "batches" if noun == "batch" else None) == expected


def test_bad_row_names_its_line_and_keeps_earlier_batches(
    database: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A malformed row stops the import with its line number; earlier batches stay."""
    lines = ["external_key,name,contract_count"] + [f"C{i},Customer {i},1" for i in range(5)]
    lines[4] = "C3,Customer 3,many"
    path = _csv(tmp_path / "customers.csv", "\n".join(lines) + "\n")
    assert main(["--url", database, "import", "customers", path, "--batch-size", "2"]) == 1
    err = capsys.readouterr().err
    assert "customers.csv, line 5: " in err
    assert "contract_count" in err
    assert main(["--url", database, "import", "customers", path, "--batch-size", "10"]) == 1
    capsys.readouterr()
    fixed = _csv(tmp_path / "fixed.csv", "\n".join(lines[:4]) + "\n")
    assert main(["--url", database, "import", "customers", fixed]) == 0
    # The first batch (C0, C1) was committed by the failed run; C2 was not.
    assert "1 new, 2 updated" in capsys.readouterr().out


def test_line_numbers_follow_the_file_through_multiline_cells(
    database: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A quoted cell spanning lines moves the next rows down: the lines are the file's."""
    path = _csv(
        tmp_path / "c.csv",
        'external_key,name,contract_count\nC1,"City\nFleet",1\nC2,Green,many\n',
    )
    assert main(["import", "customers", path, "--url", database]) == 1
    assert "c.csv, line 4: " in capsys.readouterr().err


def test_unknown_column_is_reported_on_line_1(
    database: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The header is line 1 (issue 21: it was reported as line 2); nothing is imported."""
    path = _csv(tmp_path / "assets.csv", "external_key,number,colour\nA1,FL-1,red\n")
    assert main(["--url", database, "import", "assets", path]) == 1
    err = capsys.readouterr().err
    assert "assets.csv, line 1: unknown column: 'colour' (allowed: external_key," in err


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (None, "No such file: {path}."),
        ("dir", "Not a file: {path}."),
        (b"external_key,name\nC1,Caf\xe9\n", "{path} is not UTF-8 text."),
        (b"", "{path}, line 1: the file has no header row."),
        (b"external_key,name,name\nC1,A,B\n", "{path}, line 1: a column is named twice."),
        (b"external_key,name\nC1," + b"x" * 200_000 + b"\n", "{path} is not valid CSV"),
    ],
)
def test_bad_files_fail_in_one_line(
    database: str, tmp_path: Path, content: bytes | str | None, expected: str
) -> None:
    """A missing, unreadable or malformed file: status 1, one line, no traceback."""
    path = tmp_path / "in.csv"
    if content == "dir":
        path.mkdir()
    elif isinstance(content, bytes):
        path.write_bytes(content)
    result = run("import", "customers", str(path), "--url", database)
    assert result.returncode == 1, result.stderr
    assert result.stderr.count("\n") == 1, result.stderr
    assert expected.format(path=path) in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["import", "customers", "x.csv", "--batch-size", "0"], "'0' is not a positive number"),
        (["import", "people", "x.csv"], "invalid choice: 'people'"),
        (["nonsense"], "invalid choice: 'nonsense'"),
        (["user", "set-password", "a@b.example", "secret-on-argv"], "unrecognized arguments"),
        (["invite", "x.csv"], "the following arguments are required: --sender"),
    ],
)
def test_bad_options_fail_in_one_line(argv: list[str], expected: str) -> None:
    """Bad options: status 2 and one line naming the problem and ``--help``."""
    result = run(*argv)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1, result.stderr
    assert expected in result.stderr
    assert "--help" in result.stderr


# Progress --------------------------------------------------------------------------------
class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_is_a_bar_on_a_terminal() -> None:
    """On a terminal the bar is redrawn in place and ends with a newline."""
    stream = _Terminal()
    bar = Progress(4, unit="rows", stream=stream)
    bar.update(2, "2 new")
    bar.update(4, "4 new", final=True)
    text = stream.getvalue()
    assert text.startswith("\r\x1b[2K[############------------]       2/4 rows  2 new")
    assert text.endswith("[########################]       4/4 rows  4 new\n")


def test_progress_prints_periodic_lines_otherwise() -> None:
    """In a log: the first line, then at most one per interval, and always the last."""
    stream = io.StringIO()
    bar = Progress(1000, unit="rows", stream=stream, interval=3600)
    for done in range(100, 1001, 100):
        bar.update(done, final=done == 1000)
    assert stream.getvalue().splitlines() == [
        "  [##----------------------]     100/1000 rows",
        "  [########################]    1000/1000 rows",
    ]


def test_import_progress_goes_to_standard_error(database: str, tmp_path: Path) -> None:
    """An import in a pipe prints progress lines on standard error, the summary on stdout."""
    rows = "".join(f"C{i},Customer {i}\n" for i in range(30))
    path = _csv(tmp_path / "c.csv", "external_key,name\n" + rows)
    result = run("import", "customers", path, "--url", database, "--batch-size", "10")
    assert result.returncode == 0, result.stderr
    assert "30/30 customers  30 new, 0 updated" in result.stderr
    assert result.stdout == "Imported 30 customers: 30 new, 0 updated, in 3 batches.\n"


# Set-up from the shell -----------------------------------------------------------------
@pytest.fixture
def migrated(url: str) -> str:
    """*url* with the schema created."""
    assert main(["db", "upgrade", "--url", url]) == 0
    return url


def test_a_whole_invite_workflow_from_the_shell(
    migrated: str, tmp_path: Path, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Tenant, settings, roles, customers, a sender with a password, invitations: no Python."""
    url = migrated
    assert main(["tenant", "create", "acme", "Acme Rentals", "--url", url]) == 0
    assert main([
        "tenant", "settings", "--tenant", "acme", "--url", url,
        "base_url=https://portal.acme.example", "sender_email=portal@acme.example",
        "portal_name=Acme Portal", "lookup_rate=10", "disabled_features=invoice,report",
    ]) == 0
    out = capsys.readouterr().out
    assert "Updated base_url, sender_email, portal_name, lookup_rate, disabled_features." in out
    assert "base_url                 https://portal.acme.example" in out
    assert main(["role", "create", "inviter", "invitation.send", "--tenant", "acme",
                 "--url", url]) == 0
    assert main(["role", "create", "viewer", "asset.view", "--tenant", "acme", "--url", url]) == 0
    customers = _csv(tmp_path / "c.csv", "external_key,name\nA,Org A\n")
    assert main(["import", "customers", customers, "--tenant", "acme", "--url", url]) == 0
    assert main(["user", "create", "office@acme.example", "Olive Office", "--staff",
                 "--role", "inviter", "A", "--tenant", "acme", "--url", url]) == 0
    monkeypatch.setattr(sys, "stdin", io.StringIO("harbour-lantern-violet-42\n"))
    assert main(["user", "set-password", "office@acme.example", "--tenant", "acme",
                 "--url", url]) == 0
    capsys.readouterr()
    contacts = _csv(tmp_path / "contacts.csv", "email,name\nann@example.com,Ann Lee\n")
    monkeypatch.setenv("PORTALKIT_SECRET_KEY", SECRET)
    assert main(["invite", contacts, "--tenant", "acme", "--sender", "office@acme.example",
                 "--scope", "A", "--role", "viewer", "--console", "--url", url]) == 0
    out = capsys.readouterr().out
    assert "https://portal.acme.example/invitations/accept?token=" in out
    assert "Invitations: 1 sent, 0 skipped, 0 failed, of 1 contact." in out
    with Portal.from_url(url, secret_key=SECRET) as portal:
        tenant = portal.tenant("acme")
        assert tenant.name == "Acme Rentals"
        assert tenant.settings.disabled_features == {"invoice", "report"}
        assert tenant.settings.lookup_rate == 10
        signed_in = portal.login("office@acme.example", "harbour-lantern-violet-42",
                                 tenant="acme")
        assert signed_in.user.is_staff
    assert main(["user", "disable", "office@acme.example", "--tenant", "acme", "--url", url]) == 0
    with Portal.from_url(url, secret_key=SECRET) as portal, pytest.raises(
        AuthenticationError
    ):
        portal.login("office@acme.example", "harbour-lantern-violet-42", tenant="acme")


def test_set_password_reads_standard_input_never_argv(database: str) -> None:
    """The password comes from stdin in a pipe; the policy's refusal is one line."""
    assert main(["user", "create", "ann@example.com", "Ann Lee", "--url", database]) == 0
    weak = run("user", "set-password", "ann@example.com", "--url", database, stdin="abc\n")
    assert weak.returncode == 1
    assert weak.stderr.count("\n") == 1
    assert "Traceback" not in weak.stderr
    good = run("user", "set-password", "ann@example.com", "--url", database,
               stdin="harbour-lantern-violet-42\n")
    assert good.returncode == 0, good.stderr
    assert "harbour" not in good.stdout + good.stderr
    with Portal.from_url(database, secret_key=SECRET) as portal:
        assert portal.login("ann@example.com", "harbour-lantern-violet-42").user.name == "Ann Lee"
    empty = run("user", "set-password", "ann@example.com", "--url", database, stdin="")
    assert empty.returncode == 1
    assert "No password on standard input" in empty.stderr


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["tenant", "settings", "colour=red"], "Unknown setting 'colour'"),
        (["tenant", "settings", "portal_name"], "write NAME=VALUE"),
        (["tenant", "settings", "login_required=maybe"], "'maybe' is not true or false"),
        (["tenant", "settings", "lookup_rate=fast"], "'fast' is not a whole number"),
        (["tenant", "create", "Not A Slug!"], "tenant slug 'Not A Slug!': use 1-63"),
        (["role", "create", "r", "no.such"], "Unknown permission 'no.such'"),
        (["user", "disable", "nobody@example.com"], "No portal user nobody@example.com"),
        (["user", "create", "not-an-address", "X"], "email"),
        (["user", "create", "a@example.com", "A", "--role", "viewer", "NOPE"], ""),
    ],
)
def test_set_up_commands_refuse_bad_input_in_one_line(
    database: str, argv: list[str], expected: str
) -> None:
    """Typed portalkit errors, one line, status 1; nothing half-done (one admin session)."""
    result = run(*argv, "--url", database)
    assert result.returncode == 1, result.stdout
    assert result.stderr.startswith("portalkit: error: ")
    assert result.stderr.count("\n") == 1, result.stderr
    assert expected.lower() in result.stderr.lower()
    with Portal.from_url(database, secret_key=SECRET) as portal, portal.admin() as admin:
        assert admin.uow.users.get_by_email(admin.tenant.id, "a@example.com") is None


def test_role_permissions_lists_the_catalogue(capsys: pytest.CaptureFixture[str]) -> None:
    """``portalkit role permissions`` needs no database."""
    assert main(["role", "permissions"]) == 0
    assert "invitation.send" in capsys.readouterr().out


# Demo ----------------------------------------------------------------------------------
def test_demo_in_memory_prints_logins_and_next_steps(capsys: pytest.CaptureFixture[str]) -> None:
    """``portalkit demo`` loads the data and says where it is and what to do next."""
    assert main(["demo", "--url", "memory://"]) == 0
    out = capsys.readouterr().out
    assert "Loaded the demo data set." in out
    assert "organizations   3" in out
    assert "Demo database: memory://" in out
    assert f"password for all: {DEMO_PASSWORD}" in out
    assert "ann@cityfleet.example" in out
    assert "http://127.0.0.1:5000/" in out


def test_demo_names_its_file_and_fresh_starts_anew(tmp_path: Path) -> None:
    """The default file is ./portalkit-demo.db, named by its full path; --fresh replaces it."""
    first = run("demo", cwd=tmp_path, PORTALKIT_DATABASE_URL="sqlite:///elsewhere.db")
    assert first.returncode == 0, first.stderr
    path = tmp_path / "portalkit-demo.db"
    assert f"Demo database: {path}" in first.stdout
    assert "PORTALKIT_DATABASE_URL is ignored by the demo" in first.stdout
    assert not (tmp_path / "elsewhere.db").exists()
    url = f"sqlite:///{path}"
    with Portal.from_url(url, secret_key=SECRET) as portal, portal.admin("demo") as admin:
        ann = admin.uow.users.get_by_email(admin.tenant.id, "ann@cityfleet.example")
        assert ann is not None
        admin.set_password(ann, "a-changed-password-for-ann-1")
    again = run("demo", cwd=tmp_path)
    assert "The demo data set was already there." in again.stdout
    assert "passwords changed in the portal stay changed" in again.stdout
    fresh = run("demo", "--fresh", cwd=tmp_path)
    assert fresh.returncode == 0, fresh.stderr
    assert "Loaded the demo data set." in fresh.stdout
    with Portal.from_url(url, secret_key=SECRET) as portal:
        assert portal.login("ann@cityfleet.example", DEMO_PASSWORD, tenant="demo")


@pytest.mark.postgres
def test_demo_fresh_never_drops_a_server_database(fresh_postgres_url: str) -> None:
    """--fresh deletes a SQLite file only: on PostgreSQL it refuses and changes nothing."""
    result = run("demo", "--fresh", "--url", fresh_postgres_url)
    assert result.returncode == 1
    assert "--fresh deletes a SQLite demo file only" in result.stderr
    assert run("demo", "--url", fresh_postgres_url).returncode == 0


def test_make_clean_removes_the_demo_database() -> None:
    """The Makefile's clean target names the demo file, and demo installs the phone extra."""
    clean = subprocess.run(
        ["make", "-n", "clean"], cwd=REPO, capture_output=True, text=True, check=True, timeout=60
    ).stdout
    assert "rm -f portalkit-demo.db " in clean
    makefile = (REPO / "Makefile").read_text(encoding="utf-8")
    extras = next(line for line in makefile.splitlines() if line.startswith("DEMO_EXTRAS"))
    assert "flask" in extras
    assert "phone" in extras


def test_set_password_at_a_terminal_asks_twice(monkeypatch: pytest.MonkeyPatch) -> None:
    """At a terminal the password is typed twice (hidden); two different ones change nothing."""
    from portalkit._cli_admin import _read_password  # noqa: PLC0415
    from portalkit.errors import InvalidInputError  # noqa: PLC0415

    monkeypatch.setattr(sys, "stdin", _Terminal())
    typed = iter(["harbour-lantern-violet-42", "harbour-lantern-violet-42"])
    assert _read_password(lambda _prompt: next(typed)) == "harbour-lantern-violet-42"
    differ = iter(["harbour-lantern-violet-42", "harbour-lantern-violet-43"])
    with pytest.raises(InvalidInputError, match="differ"):
        _read_password(lambda _prompt: next(differ))
