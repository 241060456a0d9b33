"""One permission rule for both example portals: what each demo user's sections answer.

The Flask example (tests/examples/test_flask_pages.py) and the Django example
(tests/contrib/django/test_example_pages.py) both check this table, so a page
cannot answer 200 in one and 403 in the other. Paths are the Flask ones; the
Django example adds a trailing slash.
"""

from __future__ import annotations

#: user → {section path: HTTP status when opened signed in as that user}.
STATUSES: dict[str, dict[str, int]] = {
    "ann@cityfleet.example": {
        "/": 200, "/assets": 200, "/lookup": 200, "/jobs": 200, "/documents/quotes": 200,
        "/documents/invoices": 200, "/documents/reports": 200, "/messages": 200,
        "/profile": 200, "/account": 403, "/account/contracts": 403,
        "/account/call-off": 403, "/documents/statements": 403, "/staff/invitations": 403,
        "/service-requests": 200, "/appointments": 200, "/meters": 200,
    },
    "bob@greenacres.example": {
        "/jobs": 200, "/assets": 200, "/documents/quotes": 200, "/account": 403,
        "/account/contracts": 403, "/account/call-off": 403, "/documents/statements": 403,
        "/staff/invitations": 403, "/service-requests": 403, "/appointments": 403,
        "/meters": 403,
    },
    "carol@rentall.example": {
        "/account": 200, "/account/contracts": 200, "/account/call-off": 200,
        "/documents/statements": 200, "/jobs": 200, "/documents/invoices": 200,
        "/assets": 403, "/lookup": 403, "/documents/reports": 403, "/staff/invitations": 403,
        "/service-requests": 403, "/appointments": 403, "/meters": 403,
    },
    "dave@consultant.example": {
        "/assets": 200, "/jobs": 200, "/documents/invoices": 200, "/account": 403,
        "/account/contracts": 403, "/documents/statements": 403, "/staff/invitations": 403,
        "/service-requests": 200, "/appointments": 200, "/meters": 200,
    },
    "eve@cityfleet.example": {
        "/": 200, "/assets": 200, "/lookup": 200, "/messages": 200, "/jobs": 403,
        "/documents/quotes": 403, "/documents/invoices": 403, "/documents/reports": 403,
        "/documents/statements": 403, "/account": 403, "/account/call-off": 403,
        "/service-requests": 403, "/appointments": 403, "/meters": 403,
    },
    # Staff of several organizations who chose none: contracts ask which one (200).
    "admin@northwind.example": {
        "/staff/invitations": 200, "/account/contracts": 200, "/documents/statements": 200,
        "/assets": 200, "/jobs": 200, "/account": 403, "/service-requests": 200,
        "/appointments": 200, "/meters": 200,
    },
}
#: Pages a visitor who is not signed in is sent to sign in from (302), in both examples.
SIGN_IN_FIRST = (
    "/", "/assets", "/jobs", "/lookup", "/account", "/staff/invitations", "/service-requests",
    "/appointments", "/meters",
)
