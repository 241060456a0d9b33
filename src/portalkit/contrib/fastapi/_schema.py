"""attrs classes on the wire: strict JSON bodies in, JSON out, and their JSON Schemas.

The API's request and response shapes are attrs classes; cattrs reads and
writes them. Reading is strict: a field of the wrong type (``"5"`` for a
number, ``5`` for text) and a field the class does not have are refused with
an :class:`~portalkit.errors.InvalidInputError` naming the field, never
converted or ignored. :func:`json_schema` describes a class for OpenAPI.
"""

from __future__ import annotations

import datetime as dt
import enum
import json
import types
import typing
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import attrs
import cattrs
from cattrs.errors import ClassValidationError, ForbiddenExtraKeysError
from starlette.requests import Request
from starlette.responses import Response

from portalkit.contrib.fastapi._problems import PROBLEM_JSON, Problem
from portalkit.errors import InvalidInputError
from portalkit.locale import Msg

__all__ = ["json_body", "json_response", "json_schema", "request_body", "responses"]

T = TypeVar("T")

converter = cattrs.Converter(forbid_extra_keys=True)
converter.register_unstructure_hook(dt.date, lambda value: value.isoformat())
converter.register_unstructure_hook(dt.datetime, lambda value: value.isoformat())


def _strict(kind: type[Any]) -> Callable[[Any, type[Any]], Any]:
    def structure(value: Any, _: type[Any]) -> Any:
        # bool is an int in Python; JSON's true is not a number.
        if not isinstance(value, kind) or (kind is not bool and isinstance(value, bool)):
            raise TypeError(f"expected {kind.__name__}")
        return value

    return structure


for _kind in (str, int, bool):
    converter.register_structure_hook(_kind, _strict(_kind))


def _number(value: Any, _: type[Any]) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError("expected a number")
    return float(value)


converter.register_structure_hook(float, _number)


def _problems(error: BaseException, prefix: str = "") -> dict[str, Msg]:
    """``{field: message}`` for a cattrs error tree (nested fields as ``a.b``)."""
    out: dict[str, Msg] = {}
    if isinstance(error, ForbiddenExtraKeysError):
        for name in sorted(error.extra_fields):
            out[prefix + name] = Msg("field.not_allowed")
        return out
    if isinstance(error, ClassValidationError):
        with_notes, without_notes = error.group_exceptions()
        for sub, note in with_notes:
            name = prefix + str(note.name)
            if isinstance(sub, KeyError):
                out[name] = Msg("field.required")
            elif isinstance(sub, ClassValidationError | ForbiddenExtraKeysError):
                out.update(_problems(sub, name + "."))
            else:
                out[name] = Msg("field.wrong_type")
        for other in without_notes:  # errors of the object itself (extra keys)
            out.update(_problems(other, prefix))
        return out
    out[prefix.rstrip(".") or "body"] = Msg("field.wrong_type")
    return out


def structure(data: Any, cls: type[T]) -> T:
    """*data* (decoded JSON) as a *cls*; InvalidInputError naming each bad field."""
    if not isinstance(data, dict):
        raise InvalidInputError.for_field("body", Msg("field.wrong_type"))
    try:
        return converter.structure(data, cls)
    except (ClassValidationError, ForbiddenExtraKeysError, TypeError, ValueError) as exc:
        raise InvalidInputError(Msg("form.invalid"), fields=_problems(exc)) from exc


def _not_json(constant: str) -> Any:
    raise ValueError(f"{constant} is not JSON")


def json_body(cls: type[T]) -> Callable[[Request], Awaitable[T]]:
    """A dependency that reads the request's JSON body as a *cls* (strictly)."""

    async def read(request: Request) -> T:
        kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if kind != "application/json":
            raise InvalidInputError.for_field("body", Msg("field.wrong_type"))
        try:
            data = json.loads(await request.body(), parse_constant=_not_json)
        except ValueError as exc:  # malformed JSON or text, NaN, Infinity
            raise InvalidInputError.for_field("body", Msg("field.wrong_type")) from exc
        return structure(data, cls)

    return read


def json_response(value: Any, status: int = 200) -> Response:
    """*value* (an attrs instance or a list of them) as a JSON response."""
    body = json.dumps(converter.unstructure(value), ensure_ascii=False, separators=(",", ":"))
    return Response(body.encode("utf-8"), status_code=status, media_type="application/json")


# JSON Schema --------------------------------------------------------------------
_SCALARS: dict[Any, dict[str, Any]] = {
    str: {"type": "string"},
    int: {"type": "integer"},
    bool: {"type": "boolean"},
    float: {"type": "number"},
    type(None): {"type": "null"},
    dt.date: {"type": "string", "format": "date"},
    dt.datetime: {"type": "string", "format": "date-time"},
    Any: {},
}


def json_schema(tp: Any) -> dict[str, Any]:
    """The JSON Schema (2020-12, as OpenAPI 3.1 uses it) of an attrs class or a type."""
    if tp in _SCALARS:
        return dict(_SCALARS[tp])
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin in (typing.Union, types.UnionType):
        return {"anyOf": [json_schema(arg) for arg in args]}
    if origin is typing.Literal:
        return {"enum": list(args)}
    if origin in (list, tuple, frozenset, set):
        return {"type": "array", "items": json_schema(args[0]) if args else {}}
    if origin is dict:
        return {"type": "object", "additionalProperties": json_schema(args[1])}
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        return {"enum": [member.value for member in tp]}
    if isinstance(tp, type) and attrs.has(tp):
        hints = typing.get_type_hints(tp)
        fields = attrs.fields(tp)
        return {
            "title": tp.__name__,
            "type": "object",
            "properties": {f.name: json_schema(hints[f.name]) for f in fields},
            "required": [f.name for f in fields if f.default is attrs.NOTHING],
            "additionalProperties": False,
        }
    raise TypeError(f"No JSON Schema for {tp!r}")


def responses(ok: Any, *errors: int, status: int = 200) -> dict[int | str, dict[str, Any]]:
    """FastAPI's ``responses=``: the *ok* shape (none when None), and the problems.

    Declaring ``4XX`` also replaces FastAPI's 422 (a bad parameter is a 400 problem here).
    """
    out: dict[int | str, dict[str, Any]] = {}
    if ok is not None:
        schema = json_schema(ok)
        out[status] = {"description": "OK", "content": {"application/json": {"schema": schema}}}
    problem = {PROBLEM_JSON: {"schema": json_schema(Problem)}}
    for code in (*_ERRORS, *errors):
        out[code] = {"description": _PHRASES.get(code, "A problem"), "content": problem}
    return out


_ERRORS: tuple[int | str, ...] = (400, 401, 403, 404, 413, 429, "4XX", "5XX")
_PHRASES: dict[int | str, str] = {
    400: "Bad input (the fields that are wrong)",
    401: "Not signed in, or the token is not a live session",
    403: "Not allowed",
    404: "Not there, or not yours (the same answer)",
    413: "The body is too large",
    429: "Too many attempts (Retry-After)",
    "4XX": "Another client error",
    "5XX": "The portal is unavailable",
}


def request_body(cls: type[Any]) -> dict[str, Any]:
    """FastAPI's ``openapi_extra`` describing a JSON body of *cls*."""
    return {
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": json_schema(cls)}},
        }
    }
