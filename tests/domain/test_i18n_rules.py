"""Message rules (portalkit.domain.i18n) pinned by value: formatting, registration, translation."""

from __future__ import annotations

import pickle

import pytest

from portalkit import errors
from portalkit.domain import i18n
from portalkit.domain.i18n import (
    Msg,
    error_code_messages,
    localize_error,
    placeholders,
    register_messages,
    translate,
)


@pytest.fixture(autouse=True)
def _own_messages(monkeypatch: pytest.MonkeyPatch) -> None:
    """The codes these tests register stay out of the real catalogue."""
    monkeypatch.setattr(i18n, "MESSAGES", dict(i18n.MESSAGES))


class _Tagged:
    """A catalogue that prefixes the context: shows which code was looked up."""

    def pgettext(self, context: str, message: str) -> str:
        return f"[{context}] {message}"


def test_a_message_fills_its_placeholders_and_keeps_text_it_cannot_fill() -> None:
    """Missing or malformed parameters leave the English text as written, never an error."""
    register_messages({"test.rules.hello": "Hello {name}, {count:d} left"})
    assert Msg("test.rules.hello", name="Ann", count=3) == "Hello Ann, 3 left"
    assert Msg("test.rules.hello", name="Ann") == "Hello {name}, {count:d} left"
    assert Msg("test.rules.hello", name="Ann", count="x") == "Hello {name}, {count:d} left"
    register_messages({"test.rules.attr": "{who.name}", "test.rules.index": "{0}"})
    assert Msg("test.rules.attr", who=5) == "{who.name}"
    assert Msg("test.rules.index") == "{0}"


def test_a_message_knows_its_code_and_parameters_and_pickles() -> None:
    """code and params travel with the text, through pickle too."""
    message = Msg("field.too_long", max=20)
    assert (message.code, message.params) == ("field.too_long", {"max": 20})
    copy = pickle.loads(pickle.dumps(message))
    assert (copy, copy.code, copy.params) == (message, "field.too_long", {"max": 20})


def test_an_unknown_code_is_a_configuration_error() -> None:
    """The message names the code."""
    with pytest.raises(errors.ConfigurationError) as caught:
        Msg("test.rules.nope")
    assert caught.value.message == "Unknown message code 'test.rules.nope'."


def test_registering_is_idempotent_and_all_or_nothing() -> None:
    """The same text again is fine; a changed text refuses the whole batch."""
    register_messages({"test.rules.same": "Same"})
    register_messages({"test.rules.same": "Same"})
    with pytest.raises(errors.ConfigurationError) as caught:
        register_messages({"test.rules.fresh": "Fresh", "test.rules.same": "Other"})
    assert caught.value.message == "Message 'test.rules.same' is already defined differently."
    assert "test.rules.fresh" not in i18n.MESSAGES
    assert i18n.MESSAGES["test.rules.same"] == "Same"


def test_placeholders_are_the_named_fields() -> None:
    """Fields with conversions and specs count; escaped braces do not."""
    assert placeholders("{a} {b!r} {c:>3} {{d}} {a}") == {"a", "b", "c"}
    assert placeholders("none here") == frozenset()


def test_translation_looks_up_the_code_and_fills_the_parameters() -> None:
    """A Msg or a code is translated in the code's context; other text passes unchanged."""
    catalog = _Tagged()
    assert translate(Msg("field.too_long", max=5), catalog) == (
        "[field.too_long] " + i18n.MESSAGES["field.too_long"].format(max=5)
    )
    assert translate(Msg("field.too_long", max=5), catalog, max=7) == (
        "[field.too_long] " + i18n.MESSAGES["field.too_long"].format(max=7)
    )
    assert translate("field.too_long", None, max=9) == i18n.MESSAGES["field.too_long"].format(max=9)
    assert translate("no code here", catalog) == "no code here"


def test_a_localized_error_translates_the_message_and_each_field() -> None:
    """Coded texts by their code; the default message by error.<code>; plain text by the class."""
    catalog = _Tagged()
    error = errors.InvalidInputError(
        fields={"size": Msg("field.not_a_number"), "note": "typed without a code"}
    )
    localized = localize_error(error, catalog)
    assert localized.code == "invalid_input"
    assert localized.message == "[error.invalid_input] " + i18n.MESSAGES["error.invalid_input"]
    assert localized.fields == {
        "size": "[field.not_a_number] " + i18n.MESSAGES["field.not_a_number"],
        "note": "[error.invalid_input] " + i18n.MESSAGES["error.invalid_input"],
    }
    plain = localize_error(error, None)
    assert plain.fields["note"] == "typed without a code"
    assert plain.message == i18n.MESSAGES["error.invalid_input"]
    custom = localize_error(errors.NotFoundError("Gone fishing."), catalog)
    assert custom.message == "[error.not_found] " + i18n.MESSAGES["error.not_found"]
    assert localize_error(errors.NotFoundError("Gone fishing."), None).message == "Gone fishing."
    assert localize_error(errors.NotFoundError(), None).fields == {}


class _HostError(errors.PortalkitError):
    code = "test_rules_host"
    default_message = "The host's own trouble."


def test_a_hosts_error_class_is_registered_on_first_use() -> None:
    """Its default message becomes error.<code>, translated like the built-in ones."""
    localized = localize_error(_HostError(), _Tagged())
    assert localized.message == "[error.test_rules_host] The host's own trouble."
    assert i18n.MESSAGES["error.test_rules_host"] == "The host's own trouble."


def test_every_error_class_gives_its_code_and_default_message() -> None:
    """error_code_messages maps "error.<code>" to the class's default text, for every class."""
    expected = {
        f"error.{getattr(errors, name).code}": getattr(errors, name).default_message
        for name in errors.__all__
    }
    assert error_code_messages() == expected
    assert expected["error.not_found"] == errors.NotFoundError.default_message
