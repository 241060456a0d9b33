"""Tests for portalkit.domain.templates: tokens, escaping, header safety, limits."""

from __future__ import annotations

import html
from html.parser import HTMLParser

import pytest
from hypothesis import given
from hypothesis import strategies as st

from portalkit.domain.templates import (
    MAX_BODY_LENGTH,
    MAX_SUBJECT_LENGTH,
    STANDARD_TOKENS,
    EmailTemplate,
    TemplateToken,
    check_header_value,
    render,
    token_menu,
)
from portalkit.errors import InvalidInputError

TEMPLATE = EmailTemplate(
    subject="Welcome to {company_name}, {contact_name}",
    body=(
        "Dear {contact_name},\n\n"
        "Sign up here: {portal_link}\n"
        "The link works until {expiry_date}.\n\n"
        "{company_name}"
    ),
)
VALUES = {
    "contact_name": "Ann Lee",
    "portal_link": "https://portal.example/invite?t=abc&x=1",
    "company_name": "Acme <Fleet> & Co",
    "expiry_date": "30 March 2026",
}
LINE_BREAKS = ["\r", "\n", "\r\n", "\x0b", "\x0c", "\x85", "\u2028", "\u2029"]


def test_render_fills_every_part() -> None:
    """Subject and text get the values as they are; HTML gets them escaped, link as <a>."""
    out = render(TEMPLATE, VALUES)
    assert out.subject == "Welcome to Acme <Fleet> & Co, Ann Lee"
    assert "Sign up here: https://portal.example/invite?t=abc&x=1\n" in out.text
    assert "Acme &lt;Fleet&gt; &amp; Co" in out.html
    assert '<a href="https://portal.example/invite?t=abc&amp;x=1">' in out.html
    assert "<p>Dear Ann Lee,</p>" in out.html
    assert "Acme <Fleet>" not in out.html


def test_double_braces_are_literal_and_lone_braces_stay() -> None:
    """``{{`` and ``}}`` give braces; other braces and unknown syntax stay as text."""
    template = EmailTemplate(subject="{{contact_name}} {x", body="{ } {Upper} }}{contact_name}{{")
    out = render(template, VALUES)
    assert out.subject == "{contact_name} {x"
    assert out.text == "{ } {Upper} }Ann Lee{"


def test_unknown_tokens_are_reported_when_checked() -> None:
    """A template with an unknown token fails check() with the token named."""
    template = EmailTemplate(subject="Hi {contact_nmae}", body="{portal_link}")
    with pytest.raises(InvalidInputError) as info:
        template.check()
    assert "{contact_nmae}" in info.value.message
    assert info.value.fields.keys() == {"template"}


def test_host_tokens_are_allowed_and_listed() -> None:
    """A host token can be used once declared, and appears after the standard ones."""
    account = TemplateToken(name="account_number", label="Account number")
    template = EmailTemplate(subject="Account {account_number}", body="x")
    with pytest.raises(InvalidInputError):
        template.check()
    assert template.check([account]) is template
    out = render(template, {"account_number": "C-100"}, extra=[account])
    assert out.subject == "Account C-100"
    menu = token_menu([account])
    assert [m["name"] for m in menu] == [*(t.name for t in STANDARD_TOKENS), "account_number"]
    assert menu[0]["placeholder"] == "{contact_name}"
    assert menu[1]["is_link"] is True


def test_host_tokens_cannot_shadow_standard_ones() -> None:
    """Declaring a token with a standard name is refused."""
    with pytest.raises(InvalidInputError):
        token_menu([TemplateToken(name="contact_name", label="x")])
    with pytest.raises(InvalidInputError):
        TemplateToken(name="Bad Name", label="x")


def test_missing_value_is_an_input_error() -> None:
    """A token without a value is an InvalidInputError naming the token."""
    with pytest.raises(InvalidInputError) as info:
        render(TEMPLATE, {"contact_name": "Ann"})
    assert set(info.value.fields) <= {"company_name", "portal_link", "expiry_date"}


@pytest.mark.parametrize("brk", LINE_BREAKS)
def test_subject_templates_with_line_breaks_are_refused(brk: str) -> None:
    """A subject template with any kind of line break is refused when made."""
    with pytest.raises(InvalidInputError) as info:
        EmailTemplate(subject=f"Hello{brk}Bcc: x@evil.example", body="x")
    assert "subject" in info.value.fields


@pytest.mark.parametrize("brk", LINE_BREAKS)
def test_values_with_line_breaks_are_refused_in_the_subject(brk: str) -> None:
    """A contact name with a line break cannot reach the Subject header."""
    with pytest.raises(InvalidInputError) as info:
        render(TEMPLATE, {**VALUES, "contact_name": f"Ann{brk}Bcc: x@evil.example"})
    assert "contact_name" in info.value.fields


def test_values_with_line_breaks_are_fine_in_the_body_only() -> None:
    """Outside the subject a multi-line value is plain in text and <br> in HTML."""
    template = EmailTemplate(subject="Hello", body="Address:\n{contact_name}")
    out = render(template, {"contact_name": "Ann\n<b>Lee</b>"})
    assert out.text == "Address:\nAnn\n<b>Lee</b>"
    assert "Ann<br>\n&lt;b&gt;Lee&lt;/b&gt;" in out.html


def test_explicit_html_body_keeps_markup_and_escapes_values() -> None:
    """Staff HTML is kept; values inside it (even in attributes) are escaped."""
    template = EmailTemplate(
        subject="Hi",
        body="Hi {contact_name}: {portal_link}",
        html_body='<p class="x">Hi <b>{contact_name}</b> <a href="{portal_link}">join</a></p>',
    )
    out = render(template, {**VALUES, "contact_name": '"><script>alert(1)</script>'})
    assert out.html.startswith('<p class="x">Hi <b>&quot;&gt;&lt;script&gt;')
    assert '<a href="https://portal.example/invite?t=abc&amp;x=1">join</a>' in out.html
    assert "<script>" not in out.html


@pytest.mark.parametrize(
    ("subject", "body", "field"),
    [
        ("x" * (MAX_SUBJECT_LENGTH + 1), "b", "subject"),
        ("s", "x" * (MAX_BODY_LENGTH + 1), "body"),
        ("s", "nul\x00", "body"),
    ],
)
def test_template_size_limits(subject: str, body: str, field: str) -> None:
    """Oversized or NUL-bearing template parts are refused with the part named."""
    with pytest.raises(InvalidInputError) as info:
        EmailTemplate(subject=subject, body=body)
    assert field in info.value.fields


def test_oversized_values_are_refused() -> None:
    """A 10,000-character name is refused with a typed error, not a crash."""
    with pytest.raises(InvalidInputError) as info:
        render(TEMPLATE, {**VALUES, "contact_name": "A" * 10_000})
    assert "contact_name" in info.value.fields


def test_check_header_value() -> None:
    """Header values: one line, text, within the limit."""
    assert check_header_value("name", "Ann Lee", max_length=10) == "Ann Lee"
    for bad in ("a\nb", "a\rb", "a" * 11, 5):
        with pytest.raises(InvalidInputError):
            check_header_value("name", bad, max_length=10)  # type: ignore[arg-type]


def _tags(document: str) -> set[str]:
    """The element names an HTML parser finds in *document*."""
    found: set[str] = set()

    class Collector(HTMLParser):
        def handle_starttag(self, tag: str, attrs: object) -> None:
            found.add(tag)

    Collector().feed(document)
    return found


names = st.one_of(
    st.text(max_size=50),
    st.text(alphabet=st.sampled_from(["\r", "\n", "<", ">", "&", '"', "'", "a", " "]), max_size=60),
    st.integers(min_value=0, max_value=12_000).map(lambda n: "N" * n),
)


@given(name=names)
def test_any_contact_name_renders_or_is_refused_cleanly(name: str) -> None:
    """CR/LF, HTML and 10,000-character names never crash: rendered safely or InvalidInputError."""
    try:
        out = render(TEMPLATE, {**VALUES, "contact_name": name})
    except InvalidInputError as exc:
        refused = exc
    else:
        refused = None
    if refused is not None:
        assert refused.fields
        return
    assert "\r" not in out.subject
    assert "\n" not in out.subject
    assert name in out.subject
    assert name in out.text
    # Escaping holds: every inserted name appears only escaped in the HTML.
    assert html.escape(name, quote=True).replace("\n", "<br>\n") in out.html.replace("\r\n", "\n")
    assert _tags(out.html) <= {"html", "body", "p", "br", "a"}


@given(text=st.text(max_size=300))
def test_any_body_parses_and_renders(text: str) -> None:
    """Arbitrary body text with known tokens renders or is refused; never crashes."""
    try:
        template = EmailTemplate(subject="s", body=text)
        out = render(template, {**VALUES, "contact_name": "<&>"})
    except InvalidInputError:
        return
    assert "<&>" not in out.html
    assert _tags(out.html) <= {"html", "body", "p", "br", "a"}
