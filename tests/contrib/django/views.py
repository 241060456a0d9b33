"""Small views over the Django integration, for the tests with Django's test client."""

from __future__ import annotations

import attrs
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.views import View
from django.views.decorators.http import require_POST

from portalkit import Portal, perms
from portalkit.adapters.crypto import Argon2idHasher
from portalkit.contrib.django import auth
from portalkit.contrib.django.conf import DjangoPortalConfig, get_portal
from portalkit.contrib.django.decorators import require
from portalkit.contrib.django.middleware import portal_request
from portalkit.contrib.django.mixins import PortalPermissionMixin
from portalkit.contrib.django.storage import DjangoStorage
from portalkit.errors import (
    ConflictError,
    InvalidInputError,
    NotFoundError,
    PermissionDeniedError,
    StorageError,
    ThrottledError,
)

#: The cheapest Argon2id parameters allowed (the OWASP floor): the tests sign in often.
FAST_HASHER = Argon2idHasher(time_cost=2, memory_kib=19 * 1024, parallelism=1)


def make_portal(config: DjangoPortalConfig) -> Portal:
    """The tests' Portal factory (``PORTALKIT["PORTAL"]``): Django storage, fast hashing."""
    return Portal(
        DjangoStorage(config.database),
        secret_key=config.secret_key,
        config=attrs.evolve(config.portal_config, hasher=FAST_HASHER),
    )


def whoami(request: HttpRequest) -> HttpResponse:
    """Who the request runs as: ``user:<id>``, ``guest`` or ``anonymous``."""
    state = portal_request(request)
    if state.user is not None:
        return HttpResponse(f"user:{state.user.id}")
    return HttpResponse("anonymous" if state.must_sign_in else "guest")


@require(perms.JOB_VIEW)
def jobs(request: HttpRequest) -> HttpResponse:
    """A page for principals that may see jobs somewhere."""
    return HttpResponse("jobs")


@require()
def signed_in_only(request: HttpRequest) -> HttpResponse:
    """A page for any principal."""
    return HttpResponse(f"principal:{request.principal.kind.value}")  # type: ignore[attr-defined]


class JobsView(PortalPermissionMixin, View):
    """The class-based twin of :func:`jobs`."""

    portal_permission = perms.JOB_VIEW

    def get(self, request: HttpRequest) -> HttpResponse:
        """Answer when allowed."""
        return HttpResponse("jobs-cbv")


def asset(request: HttpRequest, asset_id: int) -> HttpResponse:
    """The asset page: NotFoundError alike for "not yours" and "not there"."""
    found = portal_request(request).assets.get(asset_id)
    return HttpResponse(f"asset:{found.number}")


_ERRORS = {
    "not-found": NotFoundError(),
    "denied": PermissionDeniedError("You may not see invoice 42 of Acme."),
    "invalid": InvalidInputError.for_field("email", "Enter a valid email address."),
    "conflict": ConflictError("Someone changed this meanwhile."),
    "throttled": ThrottledError(7.5),
    "storage": StorageError(),
}


def fail(request: HttpRequest, kind: str) -> HttpResponse:
    """Raise the portalkit error named *kind* (mapped by the middleware)."""
    raise _ERRORS[kind]


def login_view(request: HttpRequest) -> HttpResponse:
    """POST identifier + password: sign in (errors mapped by the middleware)."""
    if request.method != "POST":
        return HttpResponse("<form method=post></form>")
    auth.login(request, request.POST.get("identifier", ""), request.POST.get("password", ""))
    return HttpResponseRedirect("/whoami/")


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    """End this session."""
    auth.logout(request)
    return HttpResponseRedirect("/whoami/")


@require_POST
def logout_everywhere_view(request: HttpRequest) -> HttpResponse:
    """End every session of the user."""
    auth.logout_everywhere(request)
    return HttpResponseRedirect("/whoami/")


def write(request: HttpRequest, outcome: str) -> HttpResponse:
    """Add an organization inside the request's unit of work, then answer or fail."""
    req = portal_request(request)
    with get_portal().admin(req.tenant.slug) as admin:
        admin.add_organization(f"Written by {outcome}", external_key=f"written-{outcome}")
    if outcome == "fail":
        raise InvalidInputError.for_field("notes", "Something else was wrong.")
    return HttpResponse("written")
