"""Account pages: sign-in and out, invitation sign-up, registration by proof, password reset.

Pages with a form are ``never_cache`` (not ``sensitive``: a no-referrer page
posts ``Origin: null``, which Django's CSRF check refuses). Invitation and
registration tokens wait in Django's session between steps, never in a form
or an address after the first request. Errors are shown next to their
fields in the user's language; what the user typed is kept, passwords never.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from portalkit import AlreadySignedUp
from portalkit.contrib.django import auth
from portalkit.contrib.django.conf import get_portal
from portalkit.contrib.django.decorators import require
from portalkit.contrib.django.middleware import portal_request
from portalkit.contrib.django.security import mark_token_page
from portalkit.errors import (
    AuthenticationError,
    InvalidInputError,
    InvalidTokenError,
    PortalkitError,
    ThrottledError,
)
from portalkit.web import safe_next

from .forms import NEW_PASSWORD_FIELDS, field_errors, message

#: Where the invitation token waits between the link's GET and the form's POST.
INVITATION_TOKEN = "invitation_token"
REGISTER_TICKET = "register_ticket"
RESET_EMAIL = "reset_email"


def password_rules() -> tuple[Any, ...]:
    """The password rules in force, to show next to every new-password field."""
    return get_portal().identity.password_rules()


def _form(
    request: HttpRequest, template: str, context: dict[str, Any], errors: dict[str, str]
) -> HttpResponse:
    context = {"errors": errors, "form": request.POST, "rules": password_rules(), **context}
    return render(request, template, context, status=400 if errors else 200)


@never_cache
@require_http_methods(["GET", "POST"])
def login_view(request: HttpRequest) -> HttpResponse:
    """The sign-in form; one answer for every wrong email/password combination."""
    target = safe_next(request.POST.get("next") or request.GET.get("next"))
    error = None
    status = 200
    if request.method == "POST":
        try:
            auth.login(request, request.POST.get("email", ""), request.POST.get("password", ""))
        except AuthenticationError as exc:
            error, status = message(exc), 401
        except ThrottledError as exc:
            error, status = message(exc), 429
        else:
            return HttpResponseRedirect(target)
    context = {"error": error, "next": target, "form": request.POST}
    return render(request, "customer_portal/login.html", context, status=status)


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    """Sign out of this browser."""
    auth.logout(request)
    messages.success(request, _("You are signed out."))
    return HttpResponseRedirect(reverse("login"))


@never_cache
@require_http_methods(["GET", "POST"])
def accept_invitation(request: HttpRequest) -> HttpResponse:
    """The sign-up form of an invitation link; on POST create the account and sign in.

    The link's token leaves the address at once: the first GET keeps it in
    the session and redirects to the bare page.
    """
    if request.method == "GET" and "token" in request.GET:
        mark_token_page(request)  # this answer's address held the token
        request.session[INVITATION_TOKEN] = request.GET["token"]
        return HttpResponseRedirect(reverse("accept_invitation"), status=303)
    token = request.session.get(INVITATION_TOKEN, "")
    invitations = portal_request(request).invitations
    try:
        shown = invitations.show(token)
    except InvalidTokenError as exc:
        return render(
            request, "customer_portal/signup_invalid.html", {"message": message(exc)}, status=400
        )
    if isinstance(shown, AlreadySignedUp):
        request.session.pop(INVITATION_TOKEN, None)
        return render(request, "customer_portal/signup_done.html")
    errors: dict[str, str] = {}
    if request.method == "POST":
        password = request.POST.get("password", "")
        try:
            invitations.accept(token, password, request.POST.get("password_again", ""))
        except InvalidInputError as exc:
            errors = field_errors(exc, "password", shown=NEW_PASSWORD_FIELDS)
        else:
            request.session.pop(INVITATION_TOKEN, None)
            try:
                auth.login(request, shown.email, password)
            except PortalkitError:  # signed up; signing in can wait (throttled)
                return HttpResponseRedirect(reverse("login"))
            messages.success(request, _("Welcome! Your account is ready and you are signed in."))
            return HttpResponseRedirect(reverse("home"))
    return _form(request, "customer_portal/signup.html", {"invitation": shown}, errors)


@never_cache
@require_http_methods(["GET", "POST"])
def register(request: HttpRequest) -> HttpResponse:
    """Registration step 1: prove the customer record with phone, email and ZIP/postal code."""
    errors: dict[str, str] = {}
    if request.method == "POST":
        form = request.POST
        try:
            ticket = portal_request(request).registration.claim(
                phone=form.get("phone", ""), email=form.get("email", ""),
                postal_code=form.get("postal_code", ""),
            )
        except InvalidInputError as exc:
            errors = field_errors(exc, shown=("phone", "email", "postal_code"))
        else:
            request.session[REGISTER_TICKET] = ticket.ticket
            return HttpResponseRedirect(reverse("register_finish"))
    return _form(request, "customer_portal/register.html", {}, errors)


@never_cache
@require_http_methods(["GET", "POST"])
def register_finish(request: HttpRequest) -> HttpResponse:
    """Registration step 2: the emailed code and a new password; signed in afterwards."""
    ticket = request.session.get(REGISTER_TICKET)
    if not isinstance(ticket, str):
        return HttpResponseRedirect(reverse("register"))
    errors: dict[str, str] = {}
    if request.method == "POST":
        form = request.POST
        try:
            result = portal_request(request).registration.complete_claim(
                ticket, code=form.get("code", ""), password=form.get("password", ""),
                confirmation=form.get("password_again", ""),
            )
        except (InvalidInputError, InvalidTokenError) as exc:  # a wrong code is the code's error
            errors = field_errors(exc, "code", shown=("code", *NEW_PASSWORD_FIELDS))
        else:
            auth.start_session(request, result)
            request.session.pop(REGISTER_TICKET, None)
            messages.success(request, _("You are registered and signed in."))
            return HttpResponseRedirect(reverse("home"))
    return _form(request, "customer_portal/register_finish.html", {}, errors)


@never_cache
@require_http_methods(["GET", "POST"])
def reset(request: HttpRequest) -> HttpResponse:
    """Ask for a reset code (the same answer for every address)."""
    errors: dict[str, str] = {}
    if request.method == "POST":
        email = request.POST.get("email", "")
        try:
            portal_request(request).password_reset.request(email)
        except InvalidInputError as exc:
            errors = field_errors(exc, "email", shown=("email",))
        else:
            request.session[RESET_EMAIL] = email
            return HttpResponseRedirect(reverse("reset_finish"))
    return _form(request, "customer_portal/reset.html", {}, errors)


@never_cache
@require_http_methods(["GET", "POST"])
def reset_finish(request: HttpRequest) -> HttpResponse:
    """Enter the emailed code and a new password."""
    email = request.session.get(RESET_EMAIL, "")
    errors: dict[str, str] = {}
    if request.method == "POST":
        form = request.POST
        email = form.get("email", email)
        try:
            portal_request(request).password_reset.complete(
                email, form.get("code", ""), form.get("password", ""),
                form.get("password_again", ""),
            )
        except (InvalidInputError, InvalidTokenError) as exc:  # a wrong code is the code's error
            errors = field_errors(exc, "code", shown=("email", "code", *NEW_PASSWORD_FIELDS))
        else:
            request.session.pop(RESET_EMAIL, None)
            messages.success(
                request, _("Your password was changed. Sign in with the new password.")
            )
            return HttpResponseRedirect(reverse("login"))
    return _form(request, "customer_portal/reset_finish.html", {"email": email}, errors)


@require_POST
@require()
def logout_everywhere(request: HttpRequest) -> HttpResponse:
    """Sign out of every browser."""
    auth.logout_everywhere(request)
    messages.success(request, _("You are signed out on every device."))
    return HttpResponseRedirect(reverse("login"))
