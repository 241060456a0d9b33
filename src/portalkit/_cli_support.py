"""What the ``portalkit`` commands share: opening the portal, plurals, progress output."""

from __future__ import annotations

import argparse
import os
import secrets
import sys
import time
from pathlib import Path
from typing import TextIO

from portalkit._portal import Portal
from portalkit.config import PortalConfig
from portalkit.errors import ConfigurationError, InvalidInputError
from portalkit.ports import Mailer

__all__ = ["Progress", "database_url", "open_portal", "plural", "sqlite_path"]


def plural(count: int, singular: str, plural_form: str | None = None) -> str:
    """``1 batch``, ``2 batches``: the count and the noun that goes with it."""
    return f"{count} {singular if count == 1 else plural_form or singular + 's'}"


def database_url(args: argparse.Namespace, default: str | None = None) -> str:
    """The database URL: ``--url``, ``$PORTALKIT_DATABASE_URL`` or *default*."""
    url = args.url or os.environ.get("PORTALKIT_DATABASE_URL") or default
    if not url:
        raise ConfigurationError("Give the database with --url or PORTALKIT_DATABASE_URL.")
    return str(url)


def sqlite_path(url: str) -> Path | None:
    """The file of a SQLite URL (None for any other database, or SQLite in memory)."""
    from sqlalchemy.engine import make_url  # noqa: PLC0415
    from sqlalchemy.exc import ArgumentError  # noqa: PLC0415

    if url.startswith("memory:"):
        return None
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise ConfigurationError(f"Not a database URL: {url[:200]!r}.") from None
    if parsed.get_backend_name() != "sqlite":
        return None
    name = parsed.database or ""
    if not name or name == ":memory:" or name.startswith("file:") or "uri" in parsed.query:
        return None
    return Path(name)


def open_portal(
    args: argparse.Namespace,
    *,
    create: bool = False,
    secret_required: bool = False,
    default_url: str | None = None,
    secret: str | None = None,
    mailer: Mailer | None = None,
    mail_delivery: str | None = None,
) -> Portal:
    """The portal the options name.

    Args:
        create: The command may create the database (``db upgrade``, ``demo``);
            otherwise a missing SQLite file is an error, never an empty new file.
        secret_required: The command signs something (links): it needs
            ``PORTALKIT_SECRET_KEY``. Other commands use it when set (so a
            short one is still reported) and a throwaway key when not: they
            sign nothing that outlives the process.
        secret: The key to use when none is configured (the demo's).
        mail_delivery: As :attr:`PortalConfig.mail_delivery`.
    """
    url = database_url(args, default_url)
    path = sqlite_path(url)
    if path is not None and not create and not path.is_file():
        raise ConfigurationError(
            f"No database file {path}; create it with `portalkit db upgrade --url {url}`."
        )
    key = os.environ.get("PORTALKIT_SECRET_KEY") or secret
    if not key:
        if secret_required:
            raise ConfigurationError("Set PORTALKIT_SECRET_KEY (at least 32 bytes).")
        key = secrets.token_urlsafe(48)
    return Portal.from_url(
        url, secret_key=key, config=PortalConfig(mailer=mailer, mail_delivery=mail_delivery)
    )


def read_file(path_text: str) -> Path:
    """The path of an input file that exists (a clear error otherwise)."""
    path = Path(path_text)
    if not path.exists():
        raise InvalidInputError(f"No such file: {path}.")
    if not path.is_file():
        raise InvalidInputError(f"Not a file: {path}.")
    return path


class Progress:
    """Progress of a long command on *stream* (standard error by default).

    A bar redrawn in place when the stream is a terminal; otherwise a line at
    most every *interval* seconds, and always the last one, so that logs of
    cron jobs stay short.
    """

    def __init__(
        self,
        total: int | None,
        *,
        unit: str = "rows",
        stream: TextIO | None = None,
        interval: float = 5.0,
        width: int = 24,
    ) -> None:
        self.total = total
        self._unit = unit
        self._stream = stream or sys.stderr
        self._tty = self._stream.isatty()
        self._interval = interval
        self._width = width
        self._last = -float("inf")
        self._drawn = False
        self._printed = ""

    def update(self, done: int, detail: str = "", *, final: bool = False) -> None:
        """Report *done* units (and a short *detail*); *final* always prints."""
        now = time.monotonic()
        if not final and not self._tty and now - self._last < self._interval:
            return
        if not final and self._tty and now - self._last < 0.1:  # no faster than the eye
            return
        line = self._line(done, detail)
        if line == self._printed and not self._drawn:
            return  # the last line said it already
        self._last, self._printed = now, line
        if self._tty:
            self._stream.write("\r\x1b[2K" + line + ("\n" if final else ""))
            self._drawn = not final
        else:
            self._stream.write("  " + line + "\n")
        self._stream.flush()

    def close(self) -> None:
        """End the bar's line (when the command stops before the final update)."""
        if self._drawn:
            self._stream.write("\n")
            self._stream.flush()
            self._drawn = False

    def _line(self, done: int, detail: str) -> str:
        suffix = f"  {detail}" if detail else ""
        if not self.total:
            return f"{done:>8} {self._unit}{suffix}"
        filled = self._width * min(done, self.total) // self.total
        bar = "[" + "#" * filled + "-" * (self._width - filled) + "]"
        return f"{bar} {done:>7}/{self.total} {self._unit}{suffix}"
