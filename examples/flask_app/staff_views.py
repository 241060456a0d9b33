"""Staff pages: send portal invitations in bulk (seed 003) and follow them up.

Who may send is the invitation service's decision (``invitation.send`` at a
scope covering the invitation's scope); this page only collects the contacts.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from portalkit import perms
from portalkit.contrib import flask as pk
from portalkit.errors import InvalidInputError

from .i18n import form_errors, gettext

bp = Blueprint("staff", __name__, url_prefix="/staff")


def _contacts(text: str) -> list[dict[str, str]]:
    """One contact a line: ``Name, email`` or ``Name <email>``."""
    contacts = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            continue
        if "<" in line and line.endswith(">"):
            name, _, email = line[:-1].partition("<")
        else:
            name, _, email = line.rpartition(",")
        contacts.append({"name": name.strip(" ,") or email.strip(), "email": email.strip()})
    return contacts


def _choices() -> tuple[list[Any], list[Any]]:
    """The staff member's organizations and the tenant's roles, by name."""
    req = pk.request_from()
    with pk.portal_from().admin(req.tenant) as admin:
        roles = admin.roles()
    return req.organizations(), roles


@bp.route("/invitations", methods=["GET", "POST"])
@pk.require(perms.INVITATION_SEND)
def invitations() -> ResponseReturnValue:
    """Paste contacts, choose organization and role, send one email each."""
    req = pk.request_from()  # invitations go out as this request's principal
    orgs, roles = _choices()
    errors: dict[str, str] = {}
    if request.method == "POST":
        form = request.form
        contacts = _contacts(form.get("contacts", ""))
        try:
            if not contacts:
                raise InvalidInputError.for_field("contacts", "Enter at least one contact.")
            report = req.invitations.send(
                contacts, scope_id=int(form.get("organization") or 0) or None,
                role=form.get("role") or None,
            )
        except InvalidInputError as exc:
            errors = form_errors(exc, "contacts")
        else:
            flash(gettext(
                "Sent %(sent)s, skipped %(skipped)s, failed %(failed)s.",
                sent=report.sent, skipped=report.skipped, failed=report.failed,
            ), "success")
            return redirect(url_for("staff.invitations"))
    recent = req.invitations.find(limit=25)
    return render_template(
        "staff_invitations.html", orgs=orgs, roles=roles, recent=recent, errors=errors,
        form=request.form,
    ), 400 if errors else 200
