"""Where outside input enters: every public call checks its arguments first.

The request's capabilities (``req.assets`` …), the request itself and the
staff session are decorated with :func:`guard_inputs`: before a method runs,
each argument is checked against its annotation (a ``bool`` is not an id,
text is not a date) and against the storable-value rules of
:mod:`portalkit.domain.scalars` (64-bit ids, storable text, finite numbers,
dates within range). A new public method is covered by being defined.

An argument that names a record (``*_id``, a record's name such as ``asset``,
or annotated with a record type) and is an ``int`` beyond 64 bits names no
record: the same :class:`~portalkit.errors.NotFoundError` as for any id that
does not exist.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import enum
import functools
import inspect
import types
import typing
from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar

import attrs

from portalkit.domain.i18n import Msg
from portalkit.domain.scalars import check_value, names_record, storable_text
from portalkit.errors import InvalidInputError

__all__ = ["check_record_fields", "guard_inputs", "guarded", "guarded_leniently"]

T = TypeVar("T", bound=type)
F = TypeVar("F", bound=Callable[..., Any])

_BUILTIN_SCALARS = (bool, int, float, str, bytes, dt.date, dt.datetime, dt.timedelta, type(None))


class _Parameter:
    """How one parameter's arguments are checked."""

    __slots__ = ("classes", "exact", "lenient", "lookup", "message", "name")

    def __init__(self, name: str, hint: object, *, lenient: bool = False) -> None:
        self.name = name
        self.lenient = lenient  # the kind is checked; the value is the method's to judge
        self.classes = _plain_classes(hint)
        classes = self.classes or ()
        # The types that conform without a closer look (the common case, fast).
        self.exact = frozenset(classes) if self.classes is not None else frozenset()
        records = [c for c in classes if c not in _BUILTIN_SCALARS and not _is_enum(c)]
        self.lookup = names_record(name) or (int in classes and bool(records))
        self.message = _wrong_type_message(classes, lookup=self.lookup)

    def check(self, value: object) -> None:
        if value is None and type(None) in self.exact:
            return
        classes = self.classes
        if type(value) not in self.exact and classes is not None and not _conforms(value, classes):
            raise InvalidInputError.for_field(self.name, self.message)
        if not self.lenient:
            check_value(self.name, value, lookup=self.lookup)


def _is_enum(cls: type) -> bool:
    return issubclass(cls, enum.Enum)


def _plain_classes(hint: object) -> tuple[type, ...] | None:
    """The classes a value must be one of, or None when the hint is not that simple."""
    if hint is inspect.Parameter.empty:
        return None
    members = typing.get_args(hint) if _is_union(hint) else (hint,)
    classes: list[type] = []
    for member in members:
        # ``Iterable[str]`` is checked as an Iterable (the items by check_value).
        cls = type(None) if member is None else (typing.get_origin(member) or member)
        if not isinstance(cls, type) or cls is object:
            return None  # Any, a Literal …: the service checks it
        classes.append(cls)
    return tuple(classes)


def _is_union(hint: object) -> bool:
    return typing.get_origin(hint) in (typing.Union, types.UnionType)


def _conforms(value: object, classes: tuple[type, ...]) -> bool:
    if isinstance(value, bool):
        return bool in classes or object in classes
    if isinstance(value, classes):
        return True
    if isinstance(value, int) and float in classes:
        return True
    # A str-valued enum also takes its value as text (``status="pending"``).
    return isinstance(value, str) and any(_is_enum(c) and issubclass(c, str) for c in classes)


def _wrong_type_message(classes: tuple[type, ...], *, lookup: bool) -> str:
    if lookup:
        return Msg("field.not_an_id")
    for cls, code in (
        (str, "field.not_text"),
        (dt.datetime, "field.not_a_datetime"),
        (dt.date, "field.not_a_date"),
        (bool, "field.not_a_flag"),
        (int, "field.not_a_number"),
        (float, "field.not_a_number"),
    ):
        if cls in classes:
            return Msg(code)
    return Msg("field.wrong_type")


def _hints(func: Callable[..., Any]) -> dict[str, object]:
    """The resolved annotations of *func*'s parameters (those that cannot be resolved: none)."""
    out: dict[str, object] = {}
    for name, annotation in inspect.get_annotations(func).items():
        if name == "return":
            continue
        if not isinstance(annotation, str):
            out[name] = annotation
            continue
        # One annotation at a time, through the standard library's resolver, so a
        # name imported only for type checking leaves just that parameter unchecked.
        def holder() -> None: ...
        holder.__annotations__ = {name: annotation}
        with contextlib.suppress(Exception):
            out[name] = inspect.get_annotations(
                holder, globals=func.__globals__, eval_str=True
            )[name]
    return out


def guarded(func: F, *, lenient: frozenset[str] = frozenset()) -> F:
    """*func* (a method) with every argument checked first.

    The parameters named in *lenient* are checked for their kind only (text
    is text); what the text says is left to the method.
    """
    signature = inspect.signature(func)
    hints = _hints(func)
    positional: list[_Parameter | None] = []
    named: dict[str, _Parameter | None] = {}
    rest: _Parameter | None = None  # for ``*args`` and ``**fields``
    for index, parameter in enumerate(signature.parameters.values()):
        if index == 0 and parameter.name in ("self", "cls"):
            continue
        rule = _Parameter(
            parameter.name,
            hints.get(parameter.name, inspect.Parameter.empty),
            lenient=parameter.name in lenient,
        )
        if parameter.kind in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD):
            rest = rule
            continue
        if parameter.kind is not parameter.KEYWORD_ONLY:
            positional.append(rule)
        if parameter.kind is not parameter.POSITIONAL_ONLY:
            named[parameter.name] = rule

    @functools.wraps(func)
    def checked(self: object, *args: Any, **kwargs: Any) -> Any:
        for index, value in enumerate(args):
            rule = positional[index] if index < len(positional) else rest
            if rule is not None:
                rule.check(value)
        for name, value in kwargs.items():
            rule = named[name] if name in named else _rest_rule(name, rest)
            if rule is not None:
                rule.check(value)
        return func(self, *args, **kwargs)

    return typing.cast(F, checked)


def guarded_leniently(*names: str) -> Callable[[F], F]:
    """A decorator: :func:`guarded`, with the parameters *names* checked for their kind only."""

    def decorate(func: F) -> F:
        return guarded(func, lenient=frozenset(names))

    return decorate


def _rest_rule(name: str, rest: _Parameter | None) -> _Parameter | None:
    """The rule for a ``**fields`` argument: the storable-value rules, under its own name.

    Such a field is a value to store, not a lookup: an id beyond 64 bits is
    an InvalidInputError, as the service says for any id that is not a choice.
    """
    if rest is None:
        return None
    rule = _Parameter(name, inspect.Parameter.empty)
    rule.lookup = False
    return rule


def guard_inputs(cls: T) -> T:
    """Check the arguments of every public method *cls* defines (see the module docstring)."""
    done: dict[int, Callable[..., Any]] = {}
    for name, attribute in list(vars(cls).items()):
        if name.startswith("_") or not inspect.isfunction(attribute):
            continue
        if id(attribute) not in done:  # an alias (``search = list``) shares the wrapper
            done[id(attribute)] = guarded(attribute)
        setattr(cls, name, done[id(attribute)])
    return cls


@functools.cache
def _record_rules(record: type) -> dict[str, _Parameter]:
    """A rule per field of an attrs record class, from its annotations."""
    hints = typing.get_type_hints(record)
    rules = {f.name: _Parameter(f.name, hints.get(f.name, object)) for f in attrs.fields(record)}
    for rule in rules.values():
        rule.lookup = False  # a value to store, not a record to look up
    return rules


def check_record_fields(record: type, fields: Mapping[str, Any], *, fixed: Iterable[str]) -> None:
    """Check the extra keyword *fields* for a new *record* (an attrs class).

    Each must be a field of *record* that the caller may set (not one of
    *fixed*, which the method sets itself) with a value of the field's type
    that every database can store.
    """
    rules = _record_rules(record)
    fixed = frozenset(fixed)
    for name, value in fields.items():
        rule = rules.get(name)
        if rule is None or name in fixed:
            shown = name[:64] if storable_text(name) else "field"
            raise InvalidInputError.for_field(shown, Msg("field.not_allowed"))
        rule.check(value)
