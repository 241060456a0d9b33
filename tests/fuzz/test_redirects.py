"""Fuzzing the safe ``next`` redirect helper: it never lets a browser leave the site."""

from __future__ import annotations

from typing import Any
from urllib.parse import urljoin, urlsplit

from hypothesis import given
from hypothesis import strategies as st

from portalkit.web import is_safe_next, safe_next
from tests.fuzz.hostile import ANY_INPUT, FUZZ

BASE = "https://portal.example/account/profile"

# Building blocks of open-redirect tricks.
TRICKS = st.lists(
    st.sampled_from(
        ["/", "//", "\\", "/\\", "\\/", "evil.example", "javascript:", "http:", "https:", "@",
         "%2f", "%5c", "\t", "\n", "\x00", " ", "?next=//x", "#", ":", ".", "..", "\u3002",
         "\uff0f", "\u2215", "a"]
    ),
    max_size=8,
).map("".join)


@FUZZ
@given(ANY_INPUT | TRICKS)
def test_safe_next_never_leaves_the_site(target: Any) -> None:
    """Whatever the input, the chosen redirect resolves to the portal's own host
    and scheme; the helper never raises."""
    chosen = safe_next(target)
    assert isinstance(chosen, str)
    resolved = urlsplit(urljoin(BASE, chosen))
    assert resolved.scheme == "https"
    assert resolved.netloc == "portal.example"
    if is_safe_next(target):
        assert chosen == target
        assert not any(ch.isspace() or ch == "\\" for ch in chosen)


@FUZZ
@given(st.from_regex(r"\A/[a-z0-9/_\-?=&.]{0,60}\Z").filter(lambda s: not s.startswith("//")))
def test_ordinary_local_paths_are_kept(target: str) -> None:
    """Plain local paths (what the portal's own links look like) pass unchanged."""
    assert safe_next(target, default="/home") == target
