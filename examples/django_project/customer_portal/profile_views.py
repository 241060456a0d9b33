"""The signed-in user's pages: profile, password, "where you're signed in", organization switch."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from portalkit.contrib.django import auth
from portalkit.contrib.django.decorators import require
from portalkit.contrib.django.middleware import portal_request
from portalkit.errors import InvalidInputError, NotFoundError, PermissionDeniedError
from portalkit.web import safe_next

from .auth_views import password_rules
from .forms import NEW_PASSWORD_FIELDS, field_errors

#: The profile page's fields that show their own errors.
PROFILE_FIELDS = (
    "first_name", "last_name", "email", "phone", "current_password", *NEW_PASSWORD_FIELDS,
)


def _signed_in_only(request: HttpRequest) -> HttpResponse | None:
    if portal_request(request).signed_in:
        return None
    return HttpResponseRedirect(f"{reverse('login')}?next={request.path}")


@never_cache
@require_http_methods(["GET", "POST"])
@require()
def profile(request: HttpRequest) -> HttpResponse:
    """Edit name, email and phone; change the password; the sessions of the user."""
    stop = _signed_in_only(request)
    if stop is not None:
        return stop
    req = portal_request(request)
    errors: dict[str, str] = {}
    form = request.POST
    if request.method == "POST":
        try:
            if form.get("action") == "password":
                result = req.profile.change_password(
                    form.get("current_password", ""), form.get("password", ""),
                    form.get("password_again", ""),
                )
                auth.start_session(request, result)
                messages.success(
                    request, _("Your password was changed; other devices were signed out.")
                )
            else:
                req.profile.update(
                    first_name=form.get("first_name", ""), last_name=form.get("last_name", ""),
                    email=form.get("email", ""), phone=form.get("phone") or None,
                    current_password=form.get("current_password") or None,
                )
                messages.success(request, _("Your profile has been updated."))
        except InvalidInputError as exc:
            errors = field_errors(exc, shown=PROFILE_FIELDS)
        else:
            return HttpResponseRedirect(reverse("profile"))
    user = req.user
    assert user is not None
    first, _sep, last = user.name.partition(" ")
    shown = {"first_name": first, "last_name": last, "email": user.email, "phone": user.phone or ""}
    if form.get("action") == "profile":
        shown.update({k: form.get(k, "") for k in shown})  # what the user typed
    context = {
        "shown": shown, "errors": errors, "rules": password_rules(),
        "action": form.get("action", ""), "sessions": req.sessions(),
    }
    return render(request, "customer_portal/profile.html", context, status=400 if errors else 200)


@require_POST
@require()
def end_session(request: HttpRequest, session_id: int) -> HttpResponse:
    """End one of the user's sessions ("sign out that device"); 404 for any other."""
    stop = _signed_in_only(request)
    if stop is not None:
        return stop
    req = portal_request(request)
    req.end_session(session_id)
    if not req.signed_in:  # it was this browser's own session
        request.session.flush()
        return HttpResponseRedirect(reverse("login"))
    messages.success(request, _("That device was signed out."))
    return HttpResponseRedirect(reverse("profile") + "#sessions")


@require_POST
@require()
def switch_organization(request: HttpRequest) -> HttpResponse:
    """Show one organization's records only (or all again), then go back to the page."""
    stop = _signed_in_only(request)
    if stop is not None:
        return stop
    raw = request.POST.get("organization", "")
    if raw and not raw.isdigit():
        raise NotFoundError()
    try:
        auth.switch_organization(request, int(raw) if raw else None)
    except PermissionDeniedError:  # not one of theirs: the same answer as no such one
        raise NotFoundError() from None
    return HttpResponseRedirect(safe_next(request.POST.get("next")))


@never_cache
@require()
def choose_organization(request: HttpRequest) -> HttpResponse:
    """The organization switcher: the user's organizations, the chosen one marked."""
    stop = _signed_in_only(request)
    if stop is not None:
        return stop
    return render(request, "customer_portal/organizations.html")
