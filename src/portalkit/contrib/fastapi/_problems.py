"""Errors as ``application/problem+json`` (RFC 9457), from :mod:`portalkit.web`'s one table.

Status, title, message and headers are :func:`portalkit.web.error_page`'s
(or :func:`~portalkit.web.status_page`'s for the framework's own errors), so a
JSON client is told exactly what a Flask or Django page would show. Only
400, 409 and 429 carry the error's own message; every 404 is the same body.
"""

from __future__ import annotations

import json
import logging

import attrs
import cattrs
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from portalkit.errors import PortalkitError
from portalkit.locale import BUILTIN_LANGUAGES, Msg, negotiate, translator
from portalkit.web import ErrorPage, error_page, status_page

__all__ = [
    "PROBLEM_JSON",
    "FieldProblem",
    "Problem",
    "problem_response",
]

#: The media type of every error answer.
PROBLEM_JSON = "application/problem+json"
_TYPE = "urn:portalkit:error:"
_LOG = logging.getLogger("portalkit.contrib.fastapi")

#: The code of a status the framework answers itself (no portalkit error behind it).
_STATUS_CODES = {
    400: "invalid_input",
    401: "authentication_failed",
    403: "permission_denied",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "request_too_large",
    415: "unsupported_media_type",
    429: "throttled",
}


@attrs.frozen
class FieldProblem:
    """One bad field of a 400: its name, its message code (when it has one) and the text."""

    field: str
    detail: str
    code: str | None = None


@attrs.frozen
class Problem:
    """An RFC 9457 problem: the body of every error answer.

    Attributes:
        type: ``urn:portalkit:error:<code>``.
        title: The status's title (:data:`portalkit.web.STATUS_TITLES`).
        status: The HTTP status.
        detail: The customer-safe message (the error's own only for 400/409/429).
        code: portalkit's stable error code (:attr:`PortalkitError.code
            <portalkit.errors.PortalkitError.code>`; every 404 is ``not_found``).
        message_code: The message code of *detail*, when it has one.
        fields: The bad fields of an input error.
    """

    type: str
    title: str
    status: int
    detail: str
    code: str
    message_code: str | None = None
    fields: list[FieldProblem] = attrs.field(factory=list)


_converter = cattrs.Converter()


def _code_of(text: str) -> str | None:
    if isinstance(text, Msg):
        return text.code
    return None


def _problem(
    page: ErrorPage,
    code: str,
    *,
    detail: str | None = None,
    message_code: str | None = None,
    fields: list[FieldProblem] | None = None,
) -> Problem:
    return Problem(
        type=_TYPE + code, title=page.title, status=page.status,
        detail=page.message if detail is None else detail, code=code,
        message_code=message_code, fields=fields or [],
    )


def _render(problem: Problem, headers: dict[str, str]) -> Response:
    data = {k: v for k, v in _converter.unstructure(problem).items() if v is not None and v != []}
    body = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    if problem.status == 401:
        headers.setdefault("WWW-Authenticate", "Bearer")
    return Response(body, status_code=problem.status, media_type=PROBLEM_JSON, headers=headers)


def problem_of(error: PortalkitError, language: str = "en") -> tuple[Problem, dict[str, str]]:
    """The problem of a portalkit error, its message translated to *language* when shown."""
    page = error_page(error)
    if page.status == 404:  # "not yours" and "not there" (and every kind of 404) alike
        return _problem(page, "not_found"), dict(page.headers)
    if page.message != error.message:  # a generic text: the status's, not the error's
        return _problem(page, error.code), dict(page.headers)
    shown = translator(language).error(error) if language != "en" else None
    fields = getattr(error, "fields", {}) or {}
    problem = _problem(
        page,
        error.code,
        detail=shown.message if shown else page.message,
        message_code=_code_of(error.message),
        fields=[
            FieldProblem(
                field=name,
                detail=shown.fields.get(name, text) if shown else text,
                code=_code_of(text),
            )
            for name, text in sorted(fields.items())
        ],
    )
    return problem, dict(page.headers)


def problem_response(error: PortalkitError, language: str = "en") -> Response:
    """The ``application/problem+json`` answer for *error*."""
    problem, headers = problem_of(error, language)
    return _render(problem, headers)


def status_response(status: int, *, allowed_methods: tuple[str, ...] = ()) -> Response:
    """The problem answer of a status the framework raised itself (404, 405, 413 ...)."""
    page = status_page(status, allowed_methods=allowed_methods)
    return _render(_problem(page, _STATUS_CODES.get(status, "portalkit_error")), dict(page.headers))


def _language(request: Request) -> str:
    return negotiate(request.headers.get("accept-language"), BUILTIN_LANGUAGES)


def _field_code(kind: str) -> str:
    if kind == "missing":
        return "field.required"
    if kind == "extra_forbidden":
        return "field.not_allowed"
    return "field.wrong_type"


# The exception handlers ``install`` registers ------------------------------------
async def on_portalkit_error(request: Request, error: Exception) -> Response:
    """Answer a :class:`~portalkit.errors.PortalkitError` (the request's writes rolled back)."""
    assert isinstance(error, PortalkitError)
    if error_page(error).status >= 500:
        _LOG.error("portalkit error %s", error.code, exc_info=error)
    return problem_response(error, _language(request))


async def on_http_error(request: Request, error: Exception) -> Response:
    """Answer the framework's own 404, 405, 413 ... with the same problem body."""
    assert isinstance(error, HTTPException)
    allowed = (error.headers or {}).get("Allow", "")
    methods = tuple(m.strip() for m in allowed.split(",") if m.strip())
    return status_response(error.status_code, allowed_methods=methods)


async def on_validation_error(request: Request, error: Exception) -> Response:
    """Answer a parameter FastAPI could not read: a 400 ``invalid_input`` naming the fields."""
    assert isinstance(error, RequestValidationError)
    page = status_page(400)
    text = translator(_language(request)).text
    fields: dict[str, FieldProblem] = {}
    for item in error.errors():
        location = [str(part) for part in item.get("loc", ()) if not isinstance(part, int)]
        name = location[-1] if location else "body"
        code = _field_code(str(item.get("type", "")))
        fields.setdefault(name, FieldProblem(field=name, detail=text(code), code=code))
    problem = _problem(
        page, "invalid_input", detail=text("form.invalid"), message_code="form.invalid",
        fields=sorted(fields.values(), key=lambda f: f.field),
    )
    return _render(problem, dict(page.headers))


async def on_unexpected_error(request: Request, error: Exception) -> Response:
    """Answer anything else with the generic 500 problem (logged, never shown)."""
    _LOG.error("unexpected error", exc_info=error)
    return status_response(500)
