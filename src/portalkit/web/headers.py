"""The security headers every portal response carries by default.

One function decides them for both integrations, so a Flask and a Django
portal send the same set::

    >>> from portalkit.web import security_headers
    >>> headers = security_headers(authenticated=True)
    >>> headers["Cache-Control"], headers["Referrer-Policy"]
    ('no-store', 'same-origin')
    >>> security_headers(token_page=True)["Referrer-Policy"]
    'no-referrer'
"""

from __future__ import annotations

__all__ = ["DEFAULT_CONTENT_SECURITY_POLICY", "security_headers"]

#: Scripts, styles, fonts and frames only from the portal itself; no inline
#: script or style, no plugins, no framing by other sites. Images may also come
#: from ``https:`` (a tenant's logo is often hosted elsewhere) and ``data:``.
DEFAULT_CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data: https:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)


def security_headers(
    *,
    authenticated: bool = False,
    token_page: bool = False,
    content_security_policy: str = DEFAULT_CONTENT_SECURITY_POLICY,
) -> dict[str, str]:
    """The default security headers of a response.

    Args:
        authenticated: The page is shown to a signed-in user (it may hold
            personal data): ``Cache-Control: no-store``.
        token_page: The address carries a secret (an invitation, reset or
            download token): ``no-store`` too, and ``Referrer-Policy:
            no-referrer`` so the token never leaves in a ``Referer`` header.
        content_security_policy: The policy to send instead of
            :data:`DEFAULT_CONTENT_SECURITY_POLICY`; an empty string sends none.

    Every page gets ``X-Content-Type-Options: nosniff``, ``X-Frame-Options:
    DENY`` (for browsers that ignore CSP's ``frame-ancestors``) and
    ``Referrer-Policy: same-origin`` unless it is a token page.
    """
    headers: dict[str, str] = {}
    if content_security_policy:
        headers["Content-Security-Policy"] = content_security_policy
    headers["X-Content-Type-Options"] = "nosniff"
    headers["X-Frame-Options"] = "DENY"
    headers["Referrer-Policy"] = "no-referrer" if token_page else "same-origin"
    if authenticated or token_page:
        headers["Cache-Control"] = "no-store"
    return headers
