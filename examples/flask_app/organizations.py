"""The organization switcher, for users who act for several organizations.

The user's choice is kept in the session; account pages (summary, contracts,
items out, call-off) and the lookup use it. A user of one organization never
sees the switcher. The organizations offered are the policy's
(``req.policy.organizations``): a choice outside them is ignored.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, redirect, render_template, request, session
from flask.typing import ResponseReturnValue

from portalkit.contrib import flask as pk
from portalkit.domain.filters import And, Eq, In

__all__ = ["SESSION_KEY", "bp", "choices", "current", "for_account"]

#: Where the chosen organization's id is kept in the Flask session.
SESSION_KEY = "organization"

bp = Blueprint("organizations", __name__)


def _ids() -> list[int]:
    """The ids of the organizations this request's user can act in."""
    req = pk.request_from()
    if req.user is None:
        return []
    return [int(path[5 : path.index("/", 1)]) for path in req.policy.organizations(req.principal)]


def choices() -> list[tuple[int, str]]:
    """(id, name) of the user's organizations by name; empty for a user of one or none."""
    ids = _ids()
    if len(ids) < 2:
        return []
    portal, tenant = pk.portal_from(), pk.request_from().tenant
    with portal.storage.unit_of_work(read_only=True) as uow:
        nodes = uow.scopes.find(
            tenant.id, And((Eq("kind", "organization"), In("id", tuple(ids)))), order_by=("name",)
        )
    return [(node.id, node.name) for node in nodes]


def current() -> int | None:
    """The organization the user chose, if they have several and it is still theirs."""
    chosen = session.get(SESSION_KEY)
    if not isinstance(chosen, int):
        return None
    ids = _ids()
    return chosen if len(ids) > 1 and chosen in ids else None


@bp.post("/organization")
@pk.require()
def switch() -> ResponseReturnValue:
    """Act for another of the user's organizations (ignored if it is not theirs)."""
    text = request.form.get("organization", "")
    if text.isdigit() and int(text) in _ids():
        session[SESSION_KEY] = int(text)
    return redirect(pk.safe_next(request.form.get("next"), "/"))


def for_account(page: Callable[[int | None], ResponseReturnValue]) -> ResponseReturnValue:
    """*page* for the chosen organization; a user of several who chose none is asked first."""
    chosen = current()
    if chosen is None and len(_ids()) > 1:
        return render_template("choose_account.html")
    return page(chosen)
