"""The "People" page: a customer organization's administrator manages its own users.

Everything is ``req.people``'s decision (``people.manage``, never above the
administrator's own access, never their own grants, an organization keeps an
administrator); this page only shows the list and posts the forms. A refusal
is shown on the page; an id that is not one of the organization's users is
the 404 page, as it is for one that does not exist.
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from portalkit import perms
from portalkit.contrib import flask as pk
from portalkit.errors import InvalidInputError, NotFoundError, PermissionDeniedError

from .i18n import form_errors, gettext

bp = Blueprint("people", __name__, url_prefix="/people")


def _id(name: str) -> int:
    raw = request.form.get(name, "")
    if not raw.isdigit():
        raise NotFoundError()
    return int(raw)


@bp.get("")
@pk.require(perms.PEOPLE_MANAGE)
def people() -> ResponseReturnValue:
    """The organization's users, their access and last sign-in, and the invitation form."""
    req = pk.request_from()
    colleagues = req.people.list()
    me = next((c for c in colleagues if c.is_you), None)
    scopes = list({a.scope_id: a.scope_name for a in (me.access if me else ())}.items())
    # The roles this administrator may give at each scope shown: a grant whose
    # role is not among them is theirs to look at, not to change.
    roles = {
        scope_id: [role.name for role in req.people.assignable_roles(scope_id)]
        for scope_id in {a.scope_id for c in colleagues for a in c.access}
    }
    return render_template("people.html", colleagues=colleagues, scopes=scopes, roles=roles,
                           errors={}, form={})


@bp.post("/<any(invite, role, remove, disable, enable):action>")
@pk.require(perms.PEOPLE_MANAGE)
def change(action: str) -> ResponseReturnValue:
    """One change; a refusal comes back as a message, the change as a confirmation."""
    people = pk.request_from().people
    form = request.form
    try:
        if action == "invite":
            people.invite({"email": form.get("email", ""), "name": form.get("name", "")},
                          scope_id=_id("scope"), role=form.get("role", ""))
        elif action == "role":
            people.change_role(_id("grant"), form.get("role", ""))
        elif action == "remove":
            people.remove_access(_id("grant"))
        elif action == "disable":
            people.disable(_id("user"))
        else:
            people.enable(_id("user"))
    except (InvalidInputError, PermissionDeniedError) as exc:
        for message in form_errors(exc).values():
            flash(message, "error")
    else:
        flash(gettext("Saved. The person has been told by email."), "success")
    return redirect(url_for("people.people"))
