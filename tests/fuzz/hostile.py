"""Shared settings of the fuzz tests: hostile input, typed errors only, bounded time.

Every fuzz test feeds outside input (text as typed, mutated tokens, arbitrary
objects) to a normalizer or parser and checks three things: it does not crash,
the only exceptions are portalkit's own (:class:`~portalkit.errors.PortalkitError`
subclasses), and each input is handled within :data:`DEADLINE` (generous, so a
shared CI machine does not flake, yet far below what a quadratic blow-up or a
hang would take).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any, TypeVar

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from portalkit.errors import PortalkitError

T = TypeVar("T")

#: Most time one input may take (Hypothesis fails the example beyond it). Inputs
#: run in micro- to milliseconds; the margin is for shared CI machines under load,
#: where one Argon2 sign-in alone can take a second.
DEADLINE = dt.timedelta(seconds=5)

#: The settings of every fuzz test.
FUZZ = settings(
    deadline=DEADLINE,
    max_examples=300,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)

#: Text as people (and attackers) type it: any code point, sometimes long.
HOSTILE_TEXT = (
    st.text()
    | st.text(max_size=5000)
    | st.text(alphabet=st.characters(codec="ascii"), min_size=60, max_size=400)
    | st.sampled_from(
        [
            "",
            " ",
            "\x00",
            "\r\n",
            "\u2028",
            "\ufeff",
            "\u200b" * 100,
            "ｱｲｳ",
            "ß" * 70,
            "ﬃ" * 40,
            "\U0001f600",
            "%_*\\",
            "'; DROP TABLE x; --",
            "<script>alert(1)</script>",
            "{contact_name}{{}}",
            "a" * 100_000,
        ]
    )
)

#: Anything a careless caller or a JSON body could hand over instead of text.
NON_TEXT: st.SearchStrategy[Any] = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(),
    st.binary(max_size=50),
    st.lists(st.text(max_size=5), max_size=3),
    st.dictionaries(st.text(max_size=5), st.text(max_size=5), max_size=3),
)

#: Outside input of any shape.
ANY_INPUT: st.SearchStrategy[Any] = HOSTILE_TEXT | NON_TEXT


def typed(call: Callable[..., T], *args: Any, **kwargs: Any) -> T | PortalkitError:
    """Run *call*; return its result or the PortalkitError it raised.

    Any other exception propagates and fails the test: that is the point.
    """
    try:
        return call(*args, **kwargs)
    except PortalkitError as exc:
        return exc
