"""The command lines of README.md and docs/storage.md work as written, in a shell.

Issue 21: ``portalkit db upgrade --url sqlite:///portal.db``, as the README
showed it, exited 2. These tests run the documented blocks with bash in an
empty directory (a real SQLite file), so a documented command that fails
fails here.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SECRET = "cli-docs-secret-key-cli-docs-secret-key-0123"


def console_block(page: str, heading: str) -> str:
    """The first ``console`` block after *heading* in *page*, as a shell script."""
    text = (REPO / page).read_text(encoding="utf-8")
    after = text.split(heading + "\n", 1)[1]
    match = re.search(r"```console\n(.*?)```", after, re.DOTALL)
    assert match, f"no console block under {heading!r} in {page}"
    return "\n".join(line.removeprefix("$ ") for line in match.group(1).splitlines()) + "\n"


def run_script(script: str, cwd: Path, stdin: str = "", **env: str) -> (
    subprocess.CompletedProcess[str]
):
    """*script* under ``bash -e`` with this virtualenv's ``portalkit`` and ``python`` first."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("PORTALKIT_")}
    environment["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{environment['PATH']}"
    environment.update(env)
    return subprocess.run(
        ["bash", "-e", "-c", script], cwd=cwd, env=environment, input=stdin,
        capture_output=True, text=True, timeout=600, check=False,
    )


def test_the_readme_command_lines_work(tmp_path: Path) -> None:
    """README.md's "Command line" block, with the CSV files it names."""
    (tmp_path / "customers.csv").write_text("external_key,name\nCITY,City Fleet\n")
    (tmp_path / "assets.csv").write_text("external_key,number,scope_key\nA1,FL-1,CITY\n")
    (tmp_path / "contacts.csv").write_text("email,name\nann@example.com,Ann Lee\n")
    script = console_block("README.md", "### Command line")
    assert "portalkit db upgrade --url sqlite:///portal.db" in script
    result = run_script(script, tmp_path, PORTALKIT_SECRET_KEY=SECRET)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "Invitations: 1 sent, 0 skipped, 0 failed, of 1 contact." in result.stdout
    assert "Demo database: " in result.stdout


def test_the_portal_from_the_shell_works(tmp_path: Path) -> None:
    """docs/storage.md's "A portal from the shell": the password comes in on stdin."""
    script = console_block("docs/storage.md", "### A portal from the shell")
    result = run_script(script, tmp_path, stdin="harbour-lantern-violet-42\n")
    assert result.returncode == 0, result.stderr[-2000:]
    assert "Password set for office@acme.example" in result.stdout
    assert "https://portal.acme.example/invitations/accept?token=" in result.stdout
    assert "Invitations: 1 sent, 0 skipped, 0 failed, of 1 contact." in result.stdout
