"""The organization switcher, for users who act for several organizations.

The choice is the Flask integration's (``pk.switch_organization``): kept in
the session and applied to every later request, so lists, the lookup and the
account pages show that organization's records. A user of one organization
never sees the switcher; an organization that is not the user's gets the
same 404 as one that does not exist (the Django example answers alike).
"""

from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, current_app, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from portalkit.contrib import flask as pk
from portalkit.errors import NotFoundError, PermissionDeniedError

__all__ = ["bp", "choices", "for_account"]

bp = Blueprint("organizations", __name__)


def choices() -> list[tuple[int, str]]:
    """(id, name) of the user's organizations by name; empty for a user of one or none."""
    req = pk.request_from()
    # Names are read only for a user of several (the ids come with the policy).
    if req.user is None or len(req.policy.organization_ids(req.principal)) < 2:
        return []
    return [(node.id, node.name) for node in req.organizations()]


@bp.get("/organizations")
@pk.require()
def choose() -> ResponseReturnValue:
    """The switcher as a page (the Django example's ``/organizations/``): one button each."""
    if pk.request_from().user is None:  # a guest acts for no organization
        return redirect(url_for(current_app.config["PORTALKIT_LOGIN_VIEW"]))
    return render_template("organizations.html")


@bp.post("/organization")
@pk.require()
def switch() -> ResponseReturnValue:
    """Act for another of the user's organizations (empty: all of them again)."""
    raw = request.form.get("organization", "")
    if raw and not raw.isdigit():
        raise NotFoundError()
    try:
        pk.switch_organization(int(raw) if raw else None)
    except PermissionDeniedError:  # not one of theirs: the same answer as no such one
        raise NotFoundError() from None
    return redirect(pk.safe_next(request.form.get("next"), "/"))


def for_account(page: Callable[[int | None], ResponseReturnValue]) -> ResponseReturnValue:
    """*page* for the chosen organization; a user of several who chose none is asked first."""
    req = pk.request_from()
    if req.organization is None and len(choices()) > 1:
        return render_template("choose_account.html")
    return page(req.organization)
