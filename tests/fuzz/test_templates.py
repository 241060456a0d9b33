"""Fuzzing email templates: staff-written text and contact-supplied values."""

from __future__ import annotations

import re
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from portalkit.domain.templates import (
    MAX_RENDERED_BODY_LENGTH,
    MAX_RENDERED_SUBJECT_LENGTH,
    STANDARD_TOKENS,
    EmailTemplate,
    RenderedEmail,
    TemplateToken,
    render,
)
from portalkit.errors import InvalidInputError
from tests.fuzz.hostile import ANY_INPUT, FUZZ, HOSTILE_TEXT, typed

#: Every "<" of a derived HTML body starts one of these (after its first line).
_FOREIGN_TAG = re.compile(r"<(?!/?p>|br>|a href=\"|/a>|/?html>|/?body>)")
_SKELETON_HEAD = "<!DOCTYPE html>"

NAMES = [t.name for t in STANDARD_TOKENS] + ["po_number", "unknown", "x" * 51, "Bad"]
EXTRA = (TemplateToken(name="po_number", label="PO number"),)

# Template text built from pieces that exercise the tiny syntax: tokens,
# escaped braces, stray braces, HTML and line breaks.
PIECES = st.sampled_from(
    ["{contact_name}", "{portal_link}", "{po_number}", "{unknown}", "{{", "}}", "{", "}",
     "{Bad}", "<b>", "&amp;", "\n", "\r\n", "\n\n", "\x00", "\u2028", " "]
) | st.text(max_size=20)
TEMPLATE_TEXT = st.lists(PIECES, max_size=40).map("".join) | HOSTILE_TEXT


@FUZZ
@given(ANY_INPUT | TEMPLATE_TEXT, ANY_INPUT | TEMPLATE_TEXT, st.none() | TEMPLATE_TEXT)
def test_templates_take_anything(subject: Any, body: Any, html_body: Any) -> None:
    """Any subject, body and HTML body give a template or InvalidInputError; a
    template's check against the known tokens is typed too."""
    template = typed(EmailTemplate, subject=subject, body=body, html_body=html_body)
    if isinstance(template, EmailTemplate):
        assert "\n" not in template.subject
        typed(template.check, EXTRA)
    else:
        assert isinstance(template, InvalidInputError)


@FUZZ
@given(
    TEMPLATE_TEXT,
    TEMPLATE_TEXT,
    st.dictionaries(st.sampled_from(NAMES), ANY_INPUT | TEMPLATE_TEXT, max_size=6),
)
def test_render_takes_anything(subject: str, body: str, values: dict[str, Any]) -> None:
    """Rendering with any values gives bounded parts, a one-line subject and an
    HTML part where no inserted value can open a tag, or InvalidInputError."""
    template = typed(EmailTemplate, subject=subject, body=body)
    if not isinstance(template, EmailTemplate):
        return
    result = typed(render, template, values, extra=EXTRA)
    if isinstance(result, RenderedEmail):
        assert len(result.subject) <= MAX_RENDERED_SUBJECT_LENGTH
        assert not any(ch in result.subject for ch in "\r\n\x00")
        assert len(result.text) <= MAX_RENDERED_BODY_LENGTH
        assert len(result.html) <= MAX_RENDERED_BODY_LENGTH
        # The derived HTML has only its own tags: no value or template text adds one.
        assert not _FOREIGN_TAG.search(result.html.replace(_SKELETON_HEAD, "", 1))
    else:
        assert isinstance(result, InvalidInputError)


@FUZZ
@given(ANY_INPUT, ANY_INPUT)
def test_host_token_definitions_take_anything(name: Any, label: Any) -> None:
    """A host token with any name is a token or InvalidInputError for ``name``."""
    result = typed(TemplateToken, name=name, label=label)
    if isinstance(result, InvalidInputError):
        assert set(result.fields) == {"name"}
