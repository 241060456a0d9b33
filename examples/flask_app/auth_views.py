"""Account pages: sign-in, sign-out, invitation sign-up, registration, reset, profile.

Every page here is ``pk.sensitive`` (no caching, no referrer): they carry
tokens or personal data.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue

from portalkit import AlreadySignedUp
from portalkit.contrib import flask as pk
from portalkit.errors import (
    AuthenticationError,
    ConflictError,
    InvalidInputError,
    InvalidTokenError,
)

from .i18n import form_errors, gettext

bp = Blueprint("auth", __name__)


def _rules() -> Any:
    return pk.portal_from().identity.password_rules()


@bp.route("/login", methods=["GET", "POST"])
@pk.sensitive
def login() -> ResponseReturnValue:
    """Sign in with email (or phone) and password."""
    target = pk.safe_next(request.values.get("next"), url_for("customer.home"))
    error = None
    if request.method == "POST":
        try:
            pk.login(request.form.get("identifier", ""), request.form.get("password", ""))
        except AuthenticationError as exc:
            error = form_errors(exc)["_"]
        else:
            return redirect(target)
    return render_template(
        "login.html", next=target, error=error, identifier=request.form.get("identifier", "")
    ), 401 if error else 200


@bp.post("/logout")
def logout() -> ResponseReturnValue:
    """Sign out of this browser."""
    pk.logout()
    flash(gettext("You are signed out."), "success")
    return redirect(url_for("auth.login"))


@bp.post("/logout-everywhere")
@pk.require()
def logout_everywhere() -> ResponseReturnValue:
    """Sign out of every browser."""
    pk.logout_everywhere()
    flash(gettext("You are signed out on every device."), "success")
    return redirect(url_for("auth.login"))


# Invitation sign-up (seed 003) -------------------------------------------------
#: Where the invitation token waits between the link's GET and the form's POST.
INVITATION_TOKEN = "invitation_token"


@bp.route("/invitations/accept", methods=["GET", "POST"])
@pk.sensitive
def accept_invitation() -> ResponseReturnValue:
    """Show the sign-up form for an invitation link; create the account on POST.

    The link's token leaves the URL at once: the first GET keeps it in the
    session and redirects to the bare page, so it never reaches the form's
    POST, the browser's history or an access log line after the first.
    """
    if request.method == "GET" and "token" in request.args:
        session[INVITATION_TOKEN] = request.args["token"]
        return redirect(url_for("auth.accept_invitation"), code=303)
    token = session.get(INVITATION_TOKEN, "")
    invitations = pk.request_from().invitations
    try:
        shown = invitations.show(token)
    except InvalidTokenError as exc:
        return render_template("signup_invalid.html", message=exc.message), 400
    if isinstance(shown, AlreadySignedUp):
        session.pop(INVITATION_TOKEN, None)
        return render_template("signup_done.html", already=True)
    errors: dict[str, str] = {}
    if request.method == "POST":
        password = request.form.get("password", "")
        try:
            signed_up = invitations.accept(token, password, request.form.get("password_again", ""))
        except InvalidInputError as exc:
            errors = form_errors(exc, "password")
        else:
            session.pop(INVITATION_TOKEN, None)
            pk.login(signed_up.user.email, password)  # signed in at once, in a fresh session
            flash(gettext("You are signed up and signed in."), "success")
            return redirect(url_for("customer.home"))
    return render_template(
        "signup.html", form=shown, rules=shown.password_rules, errors=errors
    ), 400 if errors else 200


# Registration by phone, email and ZIP (seed 004) -------------------------------
@bp.route("/register", methods=["GET", "POST"])
@pk.sensitive
def register() -> ResponseReturnValue:
    """Step 1: prove the customer record with phone, email and ZIP/postal code."""
    errors: dict[str, str] = {}
    if request.method == "POST":
        form = request.form
        try:
            ticket = pk.request_from().registration.claim(
                phone=form.get("phone", ""),
                email=form.get("email", ""),
                postal_code=form.get("postal_code", ""),
            )
        except (InvalidInputError, AuthenticationError) as exc:  # malformed, or no match
            errors = form_errors(exc)
        else:
            session["_register_ticket"] = ticket.ticket
            return redirect(url_for("auth.register_finish"))
    return render_template("register.html", errors=errors, form=request.form), (
        400 if errors else 200
    )


@bp.route("/register/finish", methods=["GET", "POST"])
@pk.sensitive
def register_finish() -> ResponseReturnValue:
    """Step 2: the emailed code and a new password."""
    ticket = session.get("_register_ticket")
    if not isinstance(ticket, str):
        return redirect(url_for("auth.register"))
    errors: dict[str, str] = {}
    if request.method == "POST":
        form, req = request.form, pk.request_from()
        try:
            result = req.registration.complete_claim(
                ticket,
                code=form.get("code", ""),
                password=form.get("password", ""),
                confirmation=form.get("password_again", ""),
            )
        except (InvalidInputError, InvalidTokenError, ConflictError) as exc:
            errors = form_errors(exc, "code")
        else:
            pk.start_session(result)  # a fresh Flask session for the new user
            flash(gettext("You are registered and signed in."), "success")
            return redirect(url_for("customer.home"))
    return render_template(
        "register_finish.html", rules=_rules(), errors=errors, form=request.form
    ), (400 if errors else 200)


# Password reset ------------------------------------------------------------------
@bp.route("/reset", methods=["GET", "POST"])
@pk.sensitive
def reset() -> ResponseReturnValue:
    """Ask for a reset code (the answer is the same for every address)."""
    email = request.form.get("email", "")
    if request.method == "POST":
        try:
            pk.request_from().password_reset.request(email)
        except InvalidInputError as exc:
            return render_template("reset.html", errors=form_errors(exc, "email"), email=email), 400
        session["_reset_email"] = email
        return redirect(url_for("auth.reset_finish"))
    return render_template("reset.html", errors={}, email=email)


@bp.route("/reset/finish", methods=["GET", "POST"])
@pk.sensitive
def reset_finish() -> ResponseReturnValue:
    """Enter the emailed code and a new password."""
    email = request.form.get("email") or session.get("_reset_email", "")
    errors: dict[str, str] = {}
    if request.method == "POST":
        form = request.form
        try:
            pk.request_from().password_reset.complete(
                form.get("email", email),
                form.get("code", ""),
                form.get("password", ""),
                form.get("password_again", ""),
            )
        except (InvalidInputError, InvalidTokenError) as exc:
            errors = form_errors(exc, "code")
        else:
            session.pop("_reset_email", None)
            flash(gettext("Your password was changed. Sign in with the new password."), "success")
            return redirect(url_for("auth.login"))
    return render_template(
        "reset_finish.html", email=email, rules=_rules(), errors=errors, form=request.form
    ), 400 if errors else 200


# Profile (seed 003) ------------------------------------------------------------------
@bp.route("/profile", methods=["GET", "POST"])
@pk.require()
@pk.sensitive
def profile() -> ResponseReturnValue:
    """Edit name, email and phone; change the password."""
    req = pk.request_from()
    user = req.user
    if user is None:
        return redirect(url_for("auth.login", next=request.path))
    errors: dict[str, str] = {}
    if request.method == "POST":
        form = request.form
        try:
            if form.get("action") == "password":
                result = req.profile.change_password(
                    form.get("current_password", ""),
                    form.get("password", ""),
                    form.get("password_again", ""),
                )
                pk.start_session(result)
                flash(
                    gettext("Your password was changed; other devices were signed out."),
                    "success",
                )
            else:
                req.profile.update(
                    first_name=form.get("first_name", ""),
                    last_name=form.get("last_name", ""),
                    email=form.get("email", ""),
                    phone=form.get("phone") or None,
                    current_password=form.get("current_password") or None,
                )
                flash(gettext("Your profile has been successfully updated."), "success")
        except InvalidInputError as exc:
            errors = form_errors(exc)
        else:
            return redirect(url_for("auth.profile"))
    first, _, last = user.name.partition(" ")
    typed: Mapping[str, str] = (
        request.form if errors and request.form.get("action") != "password" else {}
    )
    return render_template(
        "profile.html", user=user, first=typed.get("first_name", first),
        last=typed.get("last_name", last), email=typed.get("email", user.email),
        phone=typed.get("phone", user.phone or ""), rules=_rules(), errors=errors,
        sessions=req.sessions(),
    ), 400 if errors else 200


@bp.post("/profile/sessions/<int:session_id>/end")
@pk.require()
def end_session(session_id: int) -> ResponseReturnValue:
    """End one of the user's sessions ("where you're signed in"); ending this one signs out."""
    req = pk.request_from()
    req.end_session(session_id)
    if req.user is None:  # it was this browser's session
        session.clear()
        flash(gettext("You are signed out."), "success")
        return redirect(url_for("auth.login"))
    flash(gettext("That session was ended."), "success")
    return redirect(url_for("auth.profile"))
