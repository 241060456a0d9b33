"""Safe redirect targets (portalkit.web.redirects): only local paths pass."""

from __future__ import annotations

from urllib.parse import unquote, urljoin, urlsplit

import pytest
from hypothesis import given
from hypothesis import strategies as st

from portalkit.web import is_safe_next, safe_next

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


@pytest.mark.parametrize(
    "target",
    [
        "/%2F%2Fevil.example", "/%2f%2fevil.example", "/%5Cevil", "/%5cevil.example",
        "/%2F%5Cevil.example", "/%5C%2Fevil.example", "/%252F%252Fevil.example",
        "/%25252F%25252Fevil.example", "/%09/evil.example", "/%0A/evil.example",
        "/%2F/evil.example", "/a/%5C..", "/a%2Fb", "/a%252Fb", "/docs/%5c",
    ],
)
def test_rejects_percent_encoded_slashes_and_backslashes(target: str) -> None:
    """An encoded slash or backslash anywhere in the path is refused (issue 20, finding 9).

    A server or proxy that decodes the path cannot turn it into another host,
    nor into another route than the one the browser is sent to.
    """
    assert not is_safe_next(target)
    assert safe_next(target, "/home") == "/home"


@pytest.mark.parametrize(
    "target", ["/lookup?q=AB%20123", "/a%2Cb", "/caf%C3%A9", "/jobs?next=%2F%2Fx", "/a%20b"]
)
def test_accepts_encoded_characters_that_stay_local(target: str) -> None:
    """Encoded characters that decode to a local path (or live in the query) are kept."""
    assert safe_next(target) == target


BASE = "https://portal.example/account"
OFF_SITE = st.lists(
    st.sampled_from(["/", "\\", "%2F", "%2f", "%5C", "%5c", "%25", "%09", "evil.example", "@",
                     ":", "https:", "?", "#", ".", "a", "%"]),
    max_size=10,
).map("".join)


@given(OFF_SITE | st.text(max_size=60))
def test_never_returns_an_off_site_target(target: str) -> None:
    """Whatever comes in, the result, decoded up to three times, stays on the portal's host."""
    chosen = safe_next(target)
    for _ in range(4):
        resolved = urlsplit(urljoin(BASE, chosen.replace("\\", "/")))
        assert resolved.scheme == "https"
        assert resolved.netloc == "portal.example"
        chosen = unquote(chosen)
