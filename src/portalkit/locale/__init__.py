"""Translations of portalkit's customer-facing messages (gettext catalogues).

portalkit ships English (the message texts themselves) and Spanish
(``es/LC_MESSAGES/portalkit.mo`` inside this package). A host adds a language
with an ordinary gettext catalogue for the ``portalkit`` domain, built with
Babel, in a directory of its own, and passes that directory:

.. code-block:: python

    from portalkit.locale import translator

    t = translator("de", directories=["myapp/translations"])
    try:
        portal.requests.request_job(who, form)
    except portalkit.errors.PortalkitError as error:
        shown = t.error(error)          # .code, .message, .fields in German

Host catalogues come first, so a host can also override portalkit's Spanish.
Missing messages fall back to the next catalogue and finally to English. See
``docs/i18n.md`` for the Babel steps (``portalkit.pot`` is the template).

Messages are looked up with ``pgettext(code, english_text)``: the code is the
``msgctxt`` and the English text the ``msgid``.
"""

from __future__ import annotations

import functools
import gettext
import io
import re
from collections.abc import Iterable, Sequence
from importlib import resources
from pathlib import Path
from typing import IO, Any

from portalkit.domain.i18n import (
    MESSAGES,
    LocalizedError,
    Msg,
    localize_error,
    register_messages,
    translate,
)
from portalkit.errors import PortalkitError

__all__ = [
    "BUILTIN_LANGUAGES",
    "DOMAIN",
    "MESSAGES",
    "LocalizedError",
    "Msg",
    "Translator",
    "catalog",
    "languages",
    "negotiate",
    "register_messages",
    "translator",
    "write_template",
]

#: The gettext domain of portalkit's catalogues (``<lang>/LC_MESSAGES/portalkit.mo``).
DOMAIN = "portalkit"
#: Languages portalkit ships ("en" is the source language, needing no catalogue).
BUILTIN_LANGUAGES = ("en", "es")

_TAG_RE = re.compile(r"^[A-Za-z]{2,8}(?:[-_][A-Za-z0-9]{1,8})*$")


def _candidates(language: str) -> list[str]:
    """``"es-mx"`` → ``["es_MX", "es"]``: the catalogue names to try, most specific first."""
    if not _TAG_RE.match(language or ""):
        return []
    parts = re.split(r"[-_]", language)
    base = parts[0].lower()
    if len(parts) == 1:
        return [base]
    region = parts[1].upper() if len(parts[1]) == 2 else parts[1].title()
    return [f"{base}_{region}", base]


def _builtin(name: str) -> gettext.GNUTranslations | None:
    resource = resources.files(__name__).joinpath(f"{name}/LC_MESSAGES/{DOMAIN}.mo")
    if not resource.is_file():
        return None
    return gettext.GNUTranslations(io.BytesIO(resource.read_bytes()))


def _from_directory(directory: str | Path, name: str) -> gettext.GNUTranslations | None:
    path = Path(directory) / name / "LC_MESSAGES" / f"{DOMAIN}.mo"
    if not path.is_file():
        return None
    with path.open("rb") as stream:
        return gettext.GNUTranslations(stream)


@functools.lru_cache(maxsize=64)
def _catalog(language: str, directories: tuple[str, ...]) -> gettext.NullTranslations:
    chain: list[gettext.NullTranslations] = []
    names = _candidates(language)
    for name in names:
        for directory in directories:
            found = _from_directory(directory, name)
            if found is not None:
                chain.append(found)
    for name in names:
        found = _builtin(name)
        if found is not None:
            chain.append(found)
    head: gettext.NullTranslations = chain[0] if chain else gettext.NullTranslations()
    for later in chain[1:]:
        head.add_fallback(later)
    return head


def catalog(language: str, *, directories: Sequence[str | Path] = ()) -> gettext.NullTranslations:
    """The catalogue for *language* (a tag like ``"es"`` or ``"es-MX"``).

    Host *directories* are searched first, then portalkit's own catalogues;
    an unknown language gives an empty catalogue (English). Cached per
    language and directories.
    """
    return _catalog(language, tuple(str(d) for d in directories))


def languages(*, directories: Sequence[str | Path] = ()) -> frozenset[str]:
    """Every language with a catalogue: the built-in ones and the host's."""
    found = set(BUILTIN_LANGUAGES)
    for directory in directories:
        root = Path(directory)
        if root.is_dir():
            found.update(
                p.name for p in root.iterdir() if (p / "LC_MESSAGES" / f"{DOMAIN}.mo").is_file()
            )
    return frozenset(found)


def negotiate(
    accept_language: str | None, available: Iterable[str], *, default: str = "en"
) -> str:
    """The best of *available* for an HTTP ``Accept-Language`` header.

    Tags are tried by quality, then order; ``es-MX`` matches ``es_MX`` and
    then ``es``. Malformed parts are skipped; nothing matching gives *default*.
    """
    offered = {name.lower().replace("-", "_"): name for name in available}
    ranked: list[tuple[float, int, str]] = []
    for index, part in enumerate((accept_language or "").split(",")[:20]):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip():
            match = re.fullmatch(r"\s*q\s*=\s*([01](?:\.[0-9]{0,3})?)\s*", params)
            if match is None:
                continue
            quality = float(match.group(1))
        if tag and quality > 0:
            ranked.append((-quality, index, tag.strip()))
    for _q, _i, tag in sorted(ranked):
        for name in _candidates(tag):
            if name.lower() in offered:
                return offered[name.lower()]
    return default


class Translator:
    """Messages and errors in one language.

    Args:
        language: A language tag (``"es"``, ``"es-MX"``).
        directories: The host's catalogue directories, searched first.
    """

    def __init__(self, language: str, *, directories: Sequence[str | Path] = ()) -> None:
        self.language = language
        self.catalog = catalog(language, directories=directories)

    def text(self, message: str, **params: Any) -> str:
        """A :class:`~portalkit.domain.i18n.Msg`, or a message code, in this language."""
        return translate(message, self.catalog, **params)

    def error(self, error: PortalkitError) -> LocalizedError:
        """An error's code, message and field messages in this language."""
        english = self.language.lower().startswith("en")
        return localize_error(error, None if english else self.catalog)


def translator(language: str, *, directories: Sequence[str | Path] = ()) -> Translator:
    """A :class:`Translator` for *language*."""
    return Translator(language, directories=directories)


def _po_string(text: str) -> str:
    escaped = (
        text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\t", "\\t")
    )
    return f'"{escaped}"'


def write_template(stream: IO[str]) -> None:
    """Write the gettext template (``portalkit.pot``) of every known message to *stream*.

    Each entry has the code as ``msgctxt`` and the English text as ``msgid``;
    placeholders such as ``{max}`` must be kept in translations.
    """
    stream.write(
        "# Translations template for portalkit.\n"
        "#\n"
        'msgid ""\n'
        'msgstr ""\n'
        '"Project-Id-Version: portalkit\\n"\n'
        '"MIME-Version: 1.0\\n"\n'
        '"Content-Type: text/plain; charset=utf-8\\n"\n'
        '"Content-Transfer-Encoding: 8bit\\n"\n'
    )
    for code in sorted(MESSAGES):
        text = MESSAGES[code]
        stream.write("\n")
        if "{" in text:
            stream.write("#, python-brace-format\n")
        stream.write(f"msgctxt {_po_string(code)}\nmsgid {_po_string(text)}\nmsgstr \"\"\n")
