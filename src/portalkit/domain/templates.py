"""Email templates with ``{token}`` placeholders (seed 003's "insert token" menu).

Staff write a subject and a plain-text body with tokens such as
``{contact_name}`` and ``{portal_link}``; a host may add its own tokens. The
syntax is deliberately tiny (no expressions, no attribute access, no loops), so
a template written by staff can never run code or read data it was not given:

* ``{name}`` is replaced by the value of token *name* (lowercase letters,
  digits and ``_``, starting with a letter);
* ``{{`` and ``}}`` stand for literal braces; any other brace is literal text.

Rendering gives three parts: the subject and text body with values inserted
as they are, and an HTML body in which every value is HTML-escaped (literal
template text too when the HTML is derived from the text body). Header values
(the subject) with line breaks are refused, and every part has a size limit.
Unknown tokens are reported when a template is checked, not when mail goes out.
"""

from __future__ import annotations

import functools
import html
import re
from collections.abc import Iterable, Mapping

import attrs

from portalkit.errors import InvalidInputError

__all__ = [
    "COMPANY_NAME",
    "CONTACT_NAME",
    "EXPIRY_DATE",
    "MAX_BODY_LENGTH",
    "MAX_RENDERED_BODY_LENGTH",
    "MAX_RENDERED_SUBJECT_LENGTH",
    "MAX_SUBJECT_LENGTH",
    "MAX_VALUE_LENGTH",
    "PORTAL_LINK",
    "STANDARD_TOKENS",
    "EmailTemplate",
    "RenderedEmail",
    "TemplateToken",
    "check_header_value",
    "render",
    "text_to_html",
    "token_menu",
]

CONTACT_NAME = "contact_name"
PORTAL_LINK = "portal_link"
COMPANY_NAME = "company_name"
EXPIRY_DATE = "expiry_date"

#: Longest subject template, in characters.
MAX_SUBJECT_LENGTH = 255
#: Longest body template (text or HTML), in characters.
MAX_BODY_LENGTH = 20_000
#: Longest value of one token, in characters.
MAX_VALUE_LENGTH = 2_000
#: Longest subject after the tokens are filled in (RFC 5322 allows 998 per line).
MAX_RENDERED_SUBJECT_LENGTH = 900
#: Longest body part after the tokens are filled in.
MAX_RENDERED_BODY_LENGTH = 200_000

_NAME = r"[a-z][a-z0-9_]{0,49}"
_NAME_RE = re.compile(rf"^{_NAME}$")
_PIECE_RE = re.compile(rf"\{{\{{|\}}\}}|\{{({_NAME})\}}")
#: Characters that end a line somewhere (str.splitlines' set) and NUL.
_LINE_BREAKS = frozenset("\r\n\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029\x00")


@attrs.frozen(kw_only=True)
class TemplateToken:
    """A token staff can insert into a template.

    Attributes:
        name: What goes between the braces (``contact_name``).
        label: A human name for the "insert token" menu.
        description: What the token is replaced by.
        is_link: The value is a URL; in a derived HTML body it becomes a link.
    """

    name: str = attrs.field()
    label: str
    description: str = ""
    is_link: bool = False

    @name.validator
    def _check_name(self, _attribute: object, value: str) -> None:
        if not isinstance(value, str) or not _NAME_RE.match(value):
            raise InvalidInputError.for_field(
                "name",
                "A token name is 1-50 lowercase letters, digits or _, starting with a letter.",
            )

    @property
    def placeholder(self) -> str:
        """The text to insert into a template: ``{name}``."""
        return "{" + self.name + "}"


#: The tokens every invitation template may use.
STANDARD_TOKENS: tuple[TemplateToken, ...] = (
    TemplateToken(
        name=CONTACT_NAME,
        label="Contact name",
        description="First and last name of the person the email is sent to.",
    ),
    TemplateToken(
        name=PORTAL_LINK,
        label="Customer portal link",
        description="The link that takes the recipient to the portal's sign-up page.",
        is_link=True,
    ),
    TemplateToken(
        name=COMPANY_NAME,
        label="Company name",
        description="The name of the business that runs the portal.",
    ),
    TemplateToken(
        name=EXPIRY_DATE,
        label="Expiry date",
        description="The date after which the link no longer works.",
    ),
)


def token_menu(extra: Iterable[TemplateToken] = ()) -> list[dict[str, str | bool]]:
    """The tokens as plain data for an "insert token" menu (JSON-ready).

    Each entry has ``name``, ``placeholder``, ``label``, ``description`` and
    ``is_link``. Host tokens follow the standard ones; a host token may not
    reuse a standard name.
    """
    return [
        {
            "name": t.name,
            "placeholder": t.placeholder,
            "label": t.label,
            "description": t.description,
            "is_link": t.is_link,
        }
        for t in _all_tokens(extra).values()
    ]


def _all_tokens(extra: Iterable[TemplateToken]) -> dict[str, TemplateToken]:
    tokens = {t.name: t for t in STANDARD_TOKENS}
    for token in extra:
        if token.name in tokens:
            raise InvalidInputError.for_field(
                "tokens", f"The token {token.placeholder} is defined twice."
            )
        tokens[token.name] = token
    return tokens


def check_header_value(field: str, value: str, *, max_length: int) -> str:
    """Return *value* if it can go into an email header, else raise InvalidInputError.

    Refused: anything that is not text, line breaks of any kind (CR, LF and
    the other Unicode line separators), NUL, and text over *max_length*.
    """
    label = field.replace("_", " ").capitalize()
    if not isinstance(value, str):
        raise InvalidInputError.for_field(field, f"{label} must be text.")
    if any(ch in _LINE_BREAKS for ch in value):
        raise InvalidInputError.for_field(field, f"{label} must be on one line.")
    if len(value) > max_length:
        raise InvalidInputError.for_field(
            field, f"{label} is longer than {max_length} characters."
        )
    return value


# A parsed template is a tuple of pieces: literal text (str) or a token (_Slot).
@attrs.frozen
class _Slot:
    name: str


_Piece = str | _Slot


@functools.lru_cache(maxsize=512)
def _parse(text: str) -> tuple[_Piece, ...]:
    pieces: list[_Piece] = []
    literal: list[str] = []
    position = 0
    for match in _PIECE_RE.finditer(text):
        literal.append(text[position : match.start()])
        position = match.end()
        if match.group(1) is None:
            literal.append(match.group(0)[0])  # "{{" or "}}"
            continue
        if literal:
            pieces.append("".join(literal))
            literal = []
        pieces.append(_Slot(match.group(1)))
    literal.append(text[position:])
    if "".join(literal):
        pieces.append("".join(literal))
    return tuple(pieces)


def _template_text(field: str, value: object, max_length: int, *, one_line: bool) -> str:
    label = field.replace("_", " ").capitalize()
    if not isinstance(value, str):
        raise InvalidInputError.for_field(field, f"{label} must be text.")
    if one_line:
        check_header_value(field, value, max_length=max_length)
    elif len(value) > max_length:
        raise InvalidInputError.for_field(
            field, f"{label} is longer than {max_length} characters."
        )
    if "\x00" in value:
        raise InvalidInputError.for_field(field, f"{label} contains a NUL character.")
    return value


@attrs.frozen(kw_only=True)
class EmailTemplate:
    """A subject, a plain-text body and optionally an HTML body, with tokens.

    When ``html_body`` is None the HTML part is derived from ``body``: its
    text is escaped, blank lines separate paragraphs, and link tokens become
    links. When given, ``html_body`` is staff-written HTML whose literal text is
    kept as it is; the values inserted into it are always escaped.

    Raises:
        InvalidInputError: A part that is not text, too long, or a subject
            with a line break (``fields`` names the part).
    """

    subject: str = attrs.field()
    body: str = attrs.field()
    html_body: str | None = attrs.field(default=None)

    @subject.validator
    def _check_subject(self, _attribute: object, value: object) -> None:
        _template_text("subject", value, MAX_SUBJECT_LENGTH, one_line=True)

    @body.validator
    def _check_body(self, _attribute: object, value: object) -> None:
        _template_text("body", value, MAX_BODY_LENGTH, one_line=False)

    @html_body.validator
    def _check_html_body(self, _attribute: object, value: object) -> None:
        if value is not None:
            _template_text("html_body", value, MAX_BODY_LENGTH, one_line=False)

    def tokens_used(self) -> frozenset[str]:
        """The names of every token that appears in any part."""
        return _tokens_in(*(part for part in (self.subject, self.body, self.html_body) if part))

    def check(self, extra: Iterable[TemplateToken] = ()) -> EmailTemplate:
        """Return self if every token used is known, else raise InvalidInputError.

        *extra* are the host's own tokens.
        """
        _check_known(self, _all_tokens(extra))
        return self


@functools.lru_cache(maxsize=512)
def _tokens_in(*parts: str) -> frozenset[str]:
    return frozenset(p.name for part in parts for p in _parse(part) if isinstance(p, _Slot))


@functools.lru_cache(maxsize=512)
def _slots(text: str) -> frozenset[str]:
    return frozenset(p.name for p in _parse(text) if isinstance(p, _Slot))


@functools.lru_cache(maxsize=512)
def _html_literals(text: str) -> tuple[str | _Slot, ...]:
    """The body's pieces with literal text already escaped and its line breaks marked."""
    return tuple(
        html.escape(piece)
        .replace("\r\n", "\n")
        .replace("\n\n", "\x00P\x00")
        .replace("\n", "<br>\n")
        if isinstance(piece, str)
        else piece
        for piece in _parse(text)
    )


def _check_known(template: EmailTemplate, known: Mapping[str, TemplateToken]) -> None:
    unknown = sorted(template.tokens_used() - known.keys())
    if unknown:
        shown = ", ".join("{" + n + "}" for n in unknown)
        raise InvalidInputError.for_field("template", f"Unknown token(s): {shown}.")


@attrs.frozen(kw_only=True)
class RenderedEmail:
    """A template with its tokens filled in, ready to be put into a message."""

    subject: str
    text: str
    html: str


def _values(values: Mapping[str, str], needed: frozenset[str]) -> dict[str, str]:
    checked: dict[str, str] = {}
    for name in needed:
        value = values.get(name)
        label = name.replace("_", " ").capitalize()
        if value is None:
            raise InvalidInputError.for_field(name, f"No value for the token {{{name}}}.")
        if not isinstance(value, str):
            raise InvalidInputError.for_field(name, f"{label} must be text.")
        if len(value) > MAX_VALUE_LENGTH:
            raise InvalidInputError.for_field(
                name, f"{label} is longer than {MAX_VALUE_LENGTH} characters."
            )
        if "\x00" in value:
            raise InvalidInputError.for_field(name, f"{label} contains a NUL character.")
        checked[name] = value
    return checked


def _plain(pieces: tuple[_Piece, ...], values: Mapping[str, str]) -> str:
    return "".join(p if isinstance(p, str) else values[p.name] for p in pieces)


def _derived_html(
    body: str, values: Mapping[str, str], tokens: Mapping[str, TemplateToken]
) -> str:
    # Paragraph and line breaks of the *template* text are marked once per
    # template; inserted values are escaped and their own line breaks become <br>.
    out: list[str] = []
    for piece in _html_literals(body):
        if isinstance(piece, str):
            out.append(piece)
            continue
        value = html.escape(values[piece.name])
        token = tokens.get(piece.name)
        if token is not None and token.is_link and value:
            value = f'<a href="{value}">{value}</a>'
        value = value.replace("\r\n", "\n").replace("\n", "<br>\n")
        out.append(value)
    paragraphs = [p.strip() for p in "".join(out).split("\x00P\x00")]
    body_html = "\n".join(f"<p>{p}</p>" for p in paragraphs if p)
    return f"<!DOCTYPE html>\n<html><body>\n{body_html}\n</body></html>\n"


def render(
    template: EmailTemplate,
    values: Mapping[str, str],
    *,
    extra: Iterable[TemplateToken] = (),
) -> RenderedEmail:
    """Fill in *template*'s tokens with *values*.

    Args:
        template: The template (checked against the known tokens here too).
        values: A value for every token the template uses; unused ones are ignored.
        extra: The host's own tokens.

    Raises:
        InvalidInputError: An unknown token, a missing or oversized value, a
            subject that would contain a line break or be too long, or a body
            over :data:`MAX_RENDERED_BODY_LENGTH`. ``fields`` names the culprit.
    """
    tokens = _all_tokens(extra)
    _check_known(template, tokens)
    filled = _values(values, template.tokens_used())
    subject = _plain(_parse(template.subject), filled)
    for name in _slots(template.subject):
        if any(ch in _LINE_BREAKS for ch in filled[name]):
            label = name.replace("_", " ").capitalize()
            raise InvalidInputError.for_field(
                name, f"{label} must be on one line (it is used in the subject)."
            )
    check_header_value("subject", subject, max_length=MAX_RENDERED_SUBJECT_LENGTH)
    text = _plain(_parse(template.body), filled)
    if template.html_body is None:
        html_part = _derived_html(template.body, filled, tokens)
    else:
        html_part = "".join(
            p if isinstance(p, str) else html.escape(filled[p.name])
            for p in _parse(template.html_body)
        )
    for field, part in (("body", text), ("html_body", html_part)):
        if len(part) > MAX_RENDERED_BODY_LENGTH:
            raise InvalidInputError.for_field(
                field, f"The email would be longer than {MAX_RENDERED_BODY_LENGTH} characters."
            )
    return RenderedEmail(subject=subject, text=text, html=html_part)


def text_to_html(text: str) -> str:
    """A plain-text email body as the HTML alternative part.

    Everything is escaped; blank lines separate paragraphs and single line
    breaks become ``<br>`` (the same layout a template's derived HTML has).
    """
    escaped = html.escape(text.replace("\r\n", "\n"))
    paragraphs = [p.strip() for p in escaped.split("\n\n")]
    body_html = "\n".join(
        "<p>" + p.replace("\n", "<br>\n") + "</p>" for p in paragraphs if p
    )
    return f"<!DOCTYPE html>\n<html><body>\n{body_html}\n</body></html>\n"
