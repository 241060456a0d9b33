"""Your first portal in Django: sign-in, plate lookup and the document list."""

from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.views.decorators.cache import never_cache

from portalkit import Found, errors, perms
from portalkit.contrib.django import auth
from portalkit.contrib.django.decorators import require
from portalkit.web import safe_next


@never_cache
def login(request):
    try:
        if request.method == "POST":
            auth.login(request, request.POST["email"], request.POST["password"])
            return HttpResponseRedirect(safe_next(request.GET.get("next"), "/"))
    except errors.AuthenticationError as error:  # one answer for every wrong combination
        return render(request, "login.html", {"error": error.message}, status=401)
    return render(request, "login.html")


@require(perms.ASSET_VIEW)  # not signed in: to /login/?next=...
def lookup(request):
    plate = request.GET.get("plate", "")
    result = request.portalkit.assets.resolve(plate) if plate else None
    asset = result.asset if isinstance(result, Found) else None  # or NotFound, Ambiguous
    status = 404 if plate and asset is None else 200  # not yours = not there
    return render(request, "lookup.html", {"plate": plate, "asset": asset}, status=status)


@require()
def documents(request):
    page = request.portalkit.documents.list()  # only what this user may see
    return render(request, "documents.html", {"documents": page.items})
