"""Safe redirect targets (portalkit.contrib._urls): only local paths pass."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from hypothesis import given
from hypothesis import strategies as st

from portalkit.contrib._urls import is_safe_next, safe_next

HOSTS = st.from_regex(r"[a-z0-9][a-z0-9.-]{0,30}(:[0-9]{1,5})?", fullmatch=True)


@pytest.mark.parametrize(
    "target",
    [
        "//evil.example", "/\\evil.example", "\\/evil.example", "\\\\evil.example",
        "javascript:alert(1)", "JavaScript:alert(1)", "https://evil.example/", "http:/evil",
        "evil.example", "", " /x", "/x\n", "/\tx", "/ /evil", "///evil.example", "/\\/evil",
        "data:text/html,x", None, 42, "/" + "a" * 3000,
    ],
)
def test_rejects_known_open_redirects(target: object) -> None:
    """Protocol-relative, backslash, scheme and whitespace tricks are all refused."""
    assert not is_safe_next(target)
    assert safe_next(target, "/home") == "/home"


@pytest.mark.parametrize("target", ["/", "/jobs", "/jobs?status=open&from=2026-01-01", "/a/b#c"])
def test_accepts_local_paths(target: str) -> None:
    """Ordinary same-site paths with queries and fragments are kept."""
    assert is_safe_next(target)
    assert safe_next(target) == target


@given(HOSTS, st.sampled_from(["//", "/\\", "\\/", "\\\\", "https://", "javascript:", "//\\"]))
def test_no_prefix_reaches_another_host(host: str, prefix: str) -> None:
    """Any host behind a protocol-relative, backslashed or scheme prefix is refused."""
    assert not is_safe_next(prefix + host)


@given(st.text(max_size=200))
def test_accepted_targets_are_local_paths(target: str) -> None:
    """Whatever is accepted has no scheme, no host, and starts with exactly one slash."""
    if is_safe_next(target):
        parts = urlsplit(target)
        assert not parts.scheme
        assert not parts.netloc
        assert target.startswith("/")
        assert not target.startswith(("//", "/\\"))
        assert "\\" not in target
        assert not any(ch.isspace() for ch in target)
        assert safe_next(target) == target
    else:
        assert safe_next(target, "/fallback") == "/fallback"
