"""Shipped catalogues (English, Spanish), host languages via Babel, negotiation."""

from __future__ import annotations

import io
from importlib import resources
from pathlib import Path

import pytest
from babel.messages import mofile, pofile
from babel.messages.catalog import Catalog

from portalkit.domain.i18n import MESSAGES, Msg, placeholders
from portalkit.domain.passwords import PasswordPolicy
from portalkit.errors import InvalidInputError, NotFoundError, ThrottledError
from portalkit.locale import (
    catalog,
    languages,
    negotiate,
    translator,
    write_template,
)

LOCALE = resources.files("portalkit.locale")


def _read_po(path: str) -> Catalog:
    return pofile.read_po(io.BytesIO(LOCALE.joinpath(path).read_bytes()), locale="es")


def test_template_is_up_to_date() -> None:
    """The shipped portalkit.pot lists exactly the known message codes and texts.

    Regenerate: ``python -m portalkit.locale template src/portalkit/locale/portalkit.pot``.
    """
    out = io.StringIO()
    write_template(out)
    assert LOCALE.joinpath("portalkit.pot").read_text(encoding="utf-8") == out.getvalue()
    parsed = pofile.read_po(io.BytesIO(out.getvalue().encode()))
    assert {(m.context, m.id) for m in parsed if m.id} == set(MESSAGES.items())


def test_spanish_covers_every_message_with_the_same_placeholders() -> None:
    """Every code has a Spanish text for its current English text, keeping the
    {placeholders}; the .mo is the compiled .po."""
    po = _read_po("es/LC_MESSAGES/portalkit.po")
    spanish = {m.context: (m.id, m.string) for m in po if m.id}
    missing = sorted(set(MESSAGES) - set(spanish))
    assert missing == [], f"add Spanish for {missing}"
    for code, english in MESSAGES.items():
        msgid, text = spanish[code]
        assert msgid == english, f"{code}: the English text changed; update the .po"
        assert text, code
        assert text != english, code
        assert placeholders(text) == placeholders(english), code
    compiled = io.BytesIO()
    mofile.write_mo(compiled, po)
    assert LOCALE.joinpath("es/LC_MESSAGES/portalkit.mo").read_bytes() == compiled.getvalue()


def test_spanish_errors_and_field_messages() -> None:
    """Errors show in Spanish with their field messages; English stays English."""
    es = translator("es-ES")
    error = InvalidInputError(fields={"description": Msg("field.too_long", max=200)})
    shown = es.error(error)
    assert shown.code == "invalid_input"
    assert shown.fields == {"description": "Use 200 caracteres como máximo."}
    assert es.error(NotFoundError()).message == "No encontrado."
    assert es.error(ThrottledError(5)).message.startswith("Demasiados intentos")
    assert translator("en").error(error).fields == {
        "description": "Use 200 characters or fewer."
    }
    assert translator("fr").text(Msg("field.required")) == "This field is required."


def test_password_rules_and_reasons_in_spanish() -> None:
    """The password policy's rules (sign-up page) and its reasons (field errors)
    carry codes, so a Spanish page shows them in Spanish, numbers kept."""
    es = translator("es")
    policy = PasswordPolicy(min_length=12)
    assert [es.text(rule.text) for rule in policy.rules()][:2] == [
        "Al menos 12 caracteres.",
        "Como máximo 1024 caracteres.",
    ]
    with pytest.raises(InvalidInputError) as caught:
        policy.check("short", "other")
    assert es.error(caught.value).fields == {
        "password": "Use al menos 12 caracteres.",
        "password_confirmation": "Las contraseñas no coinciden.",
    }
    with pytest.raises(InvalidInputError) as caught:
        policy.check("aaaaaaaaaaaaaaaa")
    assert es.error(caught.value).fields == {
        "password": "Evite caracteres repetidos y secuencias simples."
    }


def _build_catalog(root: Path, language: str, entries: dict[str, str]) -> None:
    """What a host does with Babel: a catalogue from the template, compiled to .mo."""
    template = pofile.read_po(io.StringIO(_template()))
    target = Catalog(locale=language, domain="portalkit")
    for message in template:
        if message.id and message.context in entries:
            target.add(message.id, entries[message.context], context=message.context)
    folder = root / language / "LC_MESSAGES"
    folder.mkdir(parents=True)
    with (folder / "portalkit.mo").open("wb") as stream:
        mofile.write_mo(stream, target)


def _template() -> str:
    out = io.StringIO()
    write_template(out)
    return out.getvalue()


def test_host_adds_a_language_and_overrides_spanish(tmp_path: Path) -> None:
    """A host catalogue (German) is used first; missing messages fall back to English;
    a host Spanish catalogue overrides the shipped one where it has entries."""
    _build_catalog(tmp_path, "de", {"field.required": "Dieses Feld ist erforderlich."})
    _build_catalog(tmp_path, "es", {"error.not_found": "No existe."})
    de = translator("de", directories=[tmp_path])
    assert de.text(Msg("field.required")) == "Dieses Feld ist erforderlich."
    assert de.text(Msg("field.not_text")) == "Enter text."
    es = translator("es", directories=[tmp_path])
    assert es.error(NotFoundError()).message == "No existe."
    assert es.text(Msg("field.required")) == "Este campo es obligatorio."
    assert languages(directories=[tmp_path]) == {"en", "es", "de"}
    assert catalog("xx-invalid!") is catalog("xx-invalid!")


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("es-MX,es;q=0.9,en;q=0.8", "es"),
        ("en-US,en;q=0.9", "en"),
        ("fr-FR, de;q=0.5, es;q=0.7", "es"),
        ("fr", "en"),
        ("", "en"),
        (None, "en"),
        ("es;q=0, en;q=0.1", "en"),
        (";;;,q=abc,  ,es;q=x", "en"),
    ],
)
def test_negotiate(header: str | None, expected: str) -> None:
    """Accept-Language picks the best available language by quality."""
    assert negotiate(header, ["en", "es"]) == expected
