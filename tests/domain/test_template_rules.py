"""Email template rules (portalkit.domain.templates), pinned to their exact words and output."""

from __future__ import annotations

import pytest

from portalkit.domain.templates import (
    MAX_RENDERED_BODY_LENGTH,
    EmailTemplate,
    TemplateToken,
    check_header_value,
    render,
    text_to_html,
    token_menu,
)
from portalkit.errors import InvalidInputError

FLEET = TemplateToken(name="fleet_no", label="Fleet number", description="The fleet's number.")


def _fields(call: object, *args: object, **kwargs: object) -> dict[str, str]:
    with pytest.raises(InvalidInputError) as caught:
        call(*args, **kwargs)  # type: ignore[operator]
    return dict(caught.value.fields)


def test_the_token_menu_lists_standard_tokens_then_the_hosts() -> None:
    """Every entry has name, placeholder, label, description and is_link, in that order."""
    menu = token_menu([FLEET])
    assert [m["name"] for m in menu] == [
        "contact_name", "portal_link", "company_name", "expiry_date", "fleet_no",
    ]
    assert menu[1] == {
        "name": "portal_link", "placeholder": "{portal_link}",
        "label": "Customer portal link",
        "description": "The link that takes the recipient to the portal's sign-up page.",
        "is_link": True,
    }
    assert menu[4] == {
        "name": "fleet_no", "placeholder": "{fleet_no}", "label": "Fleet number",
        "description": "The fleet's number.", "is_link": False,
    }


def test_a_host_token_may_not_reuse_a_name() -> None:
    """The refusal names the tokens field and the placeholder."""
    twin = TemplateToken(name="company_name", label="Company")
    assert _fields(token_menu, [twin]) == {
        "tokens": "The token {company_name} is defined twice."
    }


@pytest.mark.parametrize("name", ["a", "a" * 50, "fleet_no2"])
def test_token_names_of_1_to_50_characters_are_accepted(name: str) -> None:
    """A letter, then up to 49 lowercase letters, digits or underscores."""
    assert TemplateToken(name=name, label="x").placeholder == "{" + name + "}"


@pytest.mark.parametrize("name", ["", "a" * 51, "Fleet", "2nd", "_x", "a-b", 5])
def test_other_token_names_are_refused_with_the_rule(name: object) -> None:
    """The refusal names the name field and states the rule."""
    assert _fields(TemplateToken, name=name, label="x") == {
        "name": "A token name is 1-50 lowercase letters, digits or _, starting with a letter."
    }


@pytest.mark.parametrize(
    ("parts", "expected"),
    [
        pytest.param({"subject": 5}, {"subject": "Subject must be text."}, id="subject-not-text"),
        pytest.param({"subject": "s" * 256}, {"subject": "Subject is longer than 255 characters."},
                     id="subject-too-long"),
        pytest.param({"subject": "a\nb"}, {"subject": "Subject must be on one line."},
                     id="subject-line-break"),
        pytest.param({"body": None}, {"body": "Body must be text."}, id="body-not-text"),
        pytest.param({"body": "b" * 20_001}, {"body": "Body is longer than 20000 characters."},
                     id="body-too-long"),
        pytest.param({"body": "a\x00"}, {"body": "Body contains a NUL character."},
                     id="body-nul"),
        pytest.param({"html_body": "h" * 20_001},
                     {"html_body": "Html body is longer than 20000 characters."},
                     id="html-too-long"),
        pytest.param({"html_body": 7}, {"html_body": "Html body must be text."},
                     id="html-not-text"),
        pytest.param({"html_body": "<p>\x00</p>"},
                     {"html_body": "Html body contains a NUL character."}, id="html-nul"),
    ],
)
def test_each_bad_template_part_is_named_in_words(
    parts: dict[str, object], expected: dict[str, str]
) -> None:
    """Subject, body and HTML body: text, within their limits, no NUL, a one-line subject."""
    given = {"subject": "Hi", "body": "Hello", **parts}
    assert _fields(EmailTemplate, **given) == expected


def test_the_longest_template_parts_are_accepted() -> None:
    """255 characters of subject and 20,000 of body or HTML body pass."""
    template = EmailTemplate(subject="s" * 255, body="b" * 20_000, html_body="h" * 20_000)
    assert render(template, {}).subject == "s" * 255


def test_unknown_tokens_are_listed_sorted_in_braces() -> None:
    """Every unknown token of every part, sorted, in one sentence."""
    template = EmailTemplate(subject="{zeta}", body="{alpha} {contact_name}", html_body="{mid}")
    assert _fields(template.check) == {"template": "Unknown token(s): {alpha}, {mid}, {zeta}."}
    assert _fields(render, template, {}) == {
        "template": "Unknown token(s): {alpha}, {mid}, {zeta}."
    }
    assert template.tokens_used() == {"zeta", "alpha", "contact_name", "mid"}


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param(None, "No value for the token {fleet_no}.", id="missing"),
        pytest.param(12, "Fleet no must be text.", id="not-text"),
        pytest.param("9" * 2001, "Fleet no is longer than 2000 characters.", id="too-long"),
        pytest.param("9\x00", "Fleet no contains a NUL character.", id="nul"),
    ],
)
def test_each_bad_value_names_its_token(value: object, expected: str) -> None:
    """A used token's value must be given, text, at most 2,000 characters, without NUL."""
    template = EmailTemplate(subject="Fleet", body="No. {fleet_no}")
    values = {} if value is None else {"fleet_no": value}
    assert _fields(render, template, values, extra=[FLEET]) == {"fleet_no": expected}


def test_a_value_of_2000_characters_is_accepted_and_unused_values_ignored() -> None:
    """The longest value fills in; values for tokens not used are not checked."""
    template = EmailTemplate(subject="Fleet", body="{fleet_no}")
    out = render(template, {"fleet_no": "9" * 2000, "company_name": None},  # type: ignore[dict-item]
                 extra=[FLEET])
    assert out.text == "9" * 2000


def test_a_subject_value_must_be_one_line_but_a_body_value_need_not() -> None:
    """A line break in a value used in the subject is refused for that token only."""
    template = EmailTemplate(subject="For {contact_name}", body="{company_name}")
    assert _fields(render, template, {"contact_name": "Ann\nLee", "company_name": "A"}) == {
        "contact_name": "Contact name must be on one line (it is used in the subject)."
    }
    out = render(template, {"contact_name": "Ann", "company_name": "Acme\nFleet"})
    assert (out.subject, out.text) == ("For Ann", "Acme\nFleet")


def test_a_rendered_subject_over_900_characters_is_refused() -> None:
    """The subject after filling in: at most 900 characters, named as the subject."""
    template = EmailTemplate(subject="{company_name}", body="x")
    assert render(template, {"company_name": "c" * 900}).subject == "c" * 900
    assert _fields(render, template, {"company_name": "c" * 901}) == {
        "subject": "Subject is longer than 900 characters."
    }


def test_the_rendered_parts_may_reach_the_limit_and_no_further() -> None:
    """Text and HTML of exactly MAX_RENDERED_BODY_LENGTH pass; one more is refused by part."""
    value = {"company_name": "c" * 2000}
    many = "{company_name}" * (MAX_RENDERED_BODY_LENGTH // 2000)
    out = render(EmailTemplate(subject="s", body=many, html_body=many), value)
    assert len(out.text) == len(out.html) == MAX_RENDERED_BODY_LENGTH
    words = f"The email would be longer than {MAX_RENDERED_BODY_LENGTH} characters."
    assert _fields(render, EmailTemplate(subject="s", body=many + "!", html_body=many),
                   value) == {"body": words}
    assert _fields(render, EmailTemplate(subject="s", body=many, html_body=many + "!"),
                   value) == {"html_body": words}


def test_literal_braces_and_tokens_side_by_side() -> None:
    """{{ and }} are single braces; tokens right next to text or each other fill in."""
    template = EmailTemplate(
        subject="{{x}}{contact_name}{company_name}!", body="{{{contact_name}}}"
    )
    out = render(template, {"contact_name": "Ann", "company_name": "Acme"})
    assert out.subject == "{x}AnnAcme!"
    assert out.text == "{Ann}"


def test_the_derived_html_escapes_values_links_the_link_and_keeps_the_layout() -> None:
    """Paragraphs at blank lines, <br> at single breaks (CRLF too), escaped values, a link."""
    template = EmailTemplate(
        subject="Welcome",
        body="Dear {contact_name},\r\n\r\nOpen {portal_link}\nThanks, {company_name}\n\n",
    )
    out = render(template, {
        "contact_name": "Ann & <Lee>",
        "portal_link": "https://p.example/?a=1&b=\"2\"",
        "company_name": "Acme\r\nFleet",
    })
    assert out.html == (
        "<!DOCTYPE html>\n<html><body>\n"
        "<p>Dear Ann &amp; &lt;Lee&gt;,</p>\n"
        "<p>Open <a href=\"https://p.example/?a=1&amp;b=&quot;2&quot;\">"
        "https://p.example/?a=1&amp;b=&quot;2&quot;</a><br>\n"
        "Thanks, Acme<br>\nFleet</p>\n"
        "</body></html>\n"
    )


def test_an_empty_link_is_not_made_a_link() -> None:
    """A link token with an empty value leaves nothing, not an empty anchor."""
    out = render(EmailTemplate(subject="s", body="Go: {portal_link}."), {"portal_link": ""})
    assert out.html == "<!DOCTYPE html>\n<html><body>\n<p>Go: .</p>\n</body></html>\n"


def test_a_written_html_body_keeps_its_markup_and_escapes_values() -> None:
    """Staff HTML stays as written; the values put into it are escaped."""
    template = EmailTemplate(
        subject="s", body="{contact_name}", html_body="<b>{contact_name}</b>\n\n<i>x</i>"
    )
    out = render(template, {"contact_name": "<Ann> & 'Lee'"})
    assert out.html == "<b>&lt;Ann&gt; &amp; &#x27;Lee&#x27;</b>\n\n<i>x</i>"
    assert out.text == "<Ann> & 'Lee'"


def test_text_to_html_escapes_and_lays_out_paragraphs() -> None:
    """Everything escaped; blank lines split paragraphs, single breaks become <br>."""
    assert text_to_html("Hi <Ann>,\r\n\r\nline one\nline \"two\"\n\n\n") == (
        "<!DOCTYPE html>\n<html><body>\n"
        "<p>Hi &lt;Ann&gt;,</p>\n"
        "<p>line one<br>\nline &quot;two&quot;</p>\n"
        "</body></html>\n"
    )


def test_a_header_value_that_is_not_text_names_its_field() -> None:
    """check_header_value words the refusal with the field's label."""
    assert _fields(check_header_value, "reply_to", 5, max_length=10) == {
        "reply_to": "Reply to must be text."
    }


def test_a_value_with_a_lone_carriage_return_is_escaped_as_it_is() -> None:
    """Only LF and CRLF make a <br>; a lone CR passes through."""
    out = render(EmailTemplate(subject="s", body="{company_name}"), {"company_name": "A\rB"})
    assert out.html == "<!DOCTYPE html>\n<html><body>\n<p>A\rB</p>\n</body></html>\n"
