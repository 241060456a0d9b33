"""The default security headers (portalkit.web.headers) and the size limit."""

from __future__ import annotations

import pytest

from portalkit.web import (
    DEFAULT_CONTENT_SECURITY_POLICY,
    DEFAULT_MAX_CONTENT_LENGTH,
    body_too_large,
    security_headers,
)

ALWAYS = {
    "Content-Security-Policy": DEFAULT_CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
}


def test_public_page() -> None:
    """A public page: CSP, nosniff, no framing, same-origin referrer, cacheable."""
    assert security_headers() == {**ALWAYS, "Referrer-Policy": "same-origin"}


def test_authenticated_page_is_never_stored() -> None:
    """A signed-in page may hold personal data: no-store."""
    assert security_headers(authenticated=True) == {
        **ALWAYS, "Referrer-Policy": "same-origin", "Cache-Control": "no-store",
    }


@pytest.mark.parametrize("authenticated", [False, True])
def test_token_page_sends_no_referrer(authenticated: bool) -> None:
    """A token in the address never leaves in a Referer header, nor stays in a cache."""
    assert security_headers(authenticated=authenticated, token_page=True) == {
        **ALWAYS, "Referrer-Policy": "no-referrer", "Cache-Control": "no-store",
    }


def test_policy_is_restrictive() -> None:
    """No inline script or style, no plugins, no framing, no foreign base or forms."""
    directives = dict(
        part.strip().split(" ", 1) for part in DEFAULT_CONTENT_SECURITY_POLICY.split(";")
    )
    assert directives["default-src"] == "'self'"
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    assert directives["object-src"] == "'none'"
    assert directives["base-uri"] == "'none'"
    assert directives["form-action"] == "'self'"
    assert "unsafe" not in DEFAULT_CONTENT_SECURITY_POLICY


def test_policy_can_be_replaced_or_dropped() -> None:
    """A host may send its own policy, or none (it sets it elsewhere)."""
    assert security_headers(content_security_policy="default-src 'none'")[
        "Content-Security-Policy"
    ] == "default-src 'none'"
    assert "Content-Security-Policy" not in security_headers(content_security_policy="")


@pytest.mark.parametrize(
    ("length", "limit", "too_large"),
    [
        (None, 10, False), ("", 10, False), ("abc", 10, False), ("10", 10, False),
        ("11", 10, True), (11, 10, True), ("999999999", None, False),
        (str(DEFAULT_MAX_CONTENT_LENGTH + 1), DEFAULT_MAX_CONTENT_LENGTH, True),
    ],
)
def test_body_too_large(length: str | int | None, limit: int | None, too_large: bool) -> None:
    """Only an announced length over a set limit is refused up front."""
    assert body_too_large(length, limit) is too_large
