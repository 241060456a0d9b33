"""Message codes, English texts and applying a catalogue (the pure part of i18n)."""

from __future__ import annotations

import gettext
import pickle

import pytest
from hypothesis import given
from hypothesis import strategies as st

from portalkit import errors
from portalkit.domain.i18n import (
    MESSAGES,
    Msg,
    error_code_messages,
    localize_error,
    placeholders,
    register_messages,
    translate,
)


class _Shouting:
    """A catalogue that "translates" everything to upper case (placeholders kept)."""

    def pgettext(self, context: str, message: str) -> str:
        return message.upper().replace("{MAX}", "{max}")


def test_every_error_class_has_a_message_code() -> None:
    """Each error in portalkit.errors is covered as "error.<code>" with its default text."""
    classes = [
        getattr(errors, n)
        for n in errors.__all__
        if isinstance(getattr(errors, n), type)
        and issubclass(getattr(errors, n), errors.PortalkitError)
    ]
    assert classes
    for cls in classes:
        assert MESSAGES[f"error.{cls.code}"] == cls.default_message
    assert error_code_messages().keys() <= MESSAGES.keys()


def test_msg_is_english_text_with_code_and_params() -> None:
    """A Msg reads as its English text and remembers code and parameters (also pickled)."""
    m = Msg("field.too_long", max=10)
    assert m == "Use 10 characters or fewer."
    assert (m.code, m.params) == ("field.too_long", {"max": 10})
    again = pickle.loads(pickle.dumps(m))
    assert (again, again.code, again.params) == (m, m.code, m.params)
    with pytest.raises(errors.ConfigurationError):
        Msg("no.such.code")


def test_translate_uses_code_as_context() -> None:
    """translate() looks up (code, English) and fills the parameters after translating."""
    assert translate(Msg("field.too_long", max=3), _Shouting()) == "USE 3 CHARACTERS OR FEWER."
    assert translate("field.required", None) == "This field is required."
    assert translate("free text without a code", _Shouting()) == "free text without a code"
    assert translate("field.required", gettext.NullTranslations()) == "This field is required."


def test_register_messages() -> None:
    """Hosts add codes; a code cannot change its text."""
    try:
        register_messages({"host.test_message": "Hello {name}."})
        register_messages({"host.test_message": "Hello {name}."})
        assert Msg("host.test_message", name="Ann") == "Hello Ann."
        with pytest.raises(errors.ConfigurationError):
            register_messages({"host.test_message": "Bye."})
    finally:
        MESSAGES.pop("host.test_message", None)


def test_localize_error() -> None:
    """Default messages and Msg texts translate by code; free text stays English
    without a catalogue and becomes the generic message with one."""
    e = errors.InvalidInputError(
        fields={"a": Msg("field.required"), "b": "Some free text."}
    )
    english = localize_error(e, None)
    assert english.code == "invalid_input"
    assert english.message == "The input is not valid."
    assert english.fields == {"a": "This field is required.", "b": "Some free text."}
    shouted = localize_error(e, _Shouting())
    assert shouted.fields == {
        "a": "THIS FIELD IS REQUIRED.",
        "b": "THE INPUT IS NOT VALID.",
    }
    custom = localize_error(errors.NotFoundError("Unknown portal."), _Shouting())
    assert custom.message == "NOT FOUND."
    single = errors.InvalidInputError.for_field("x", Msg("field.too_long", max=2))
    assert localize_error(single, _Shouting()).message == "USE 2 CHARACTERS OR FEWER."


@given(
    code=st.sampled_from(sorted(MESSAGES)),
    params=st.dictionaries(
        st.sampled_from(["max", "days", "last", "unit", "remaining", "other"]),
        st.integers() | st.text(max_size=10),
        max_size=4,
    ),
)
def test_property_translation_never_fails(code: str, params: dict[str, object]) -> None:
    """Any code with any parameters renders (missing parameters leave the text as is)."""
    text = translate(code, _Shouting(), **params)
    assert isinstance(text, str)
    assert text


def test_placeholders() -> None:
    """placeholders() lists the {names} of a text."""
    assert placeholders(MESSAGES["action.reading_below_last"]) == {"last"}
    assert placeholders("No placeholders.") == frozenset()
