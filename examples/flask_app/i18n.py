"""English and Spanish for the example portal: one gettext catalogue, chosen by the user.

The example's own texts (templates, flashes) and portalkit's messages (errors,
field errors) come from the same chain of catalogues: the example's
``translations/<lang>/LC_MESSAGES/portalkit.mo`` first (a host catalogue, as
docs/i18n.md describes), then portalkit's own. Templates write ``_("...")``
(Jinja's i18n extension); views write :func:`gettext`.

The language is the user's choice (the language switcher stores it in a
cookie, so signing in or out keeps it), else the browser's
``Accept-Language``, else English.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Blueprint, Flask, g, make_response, redirect, request
from flask.typing import ResponseReturnValue

from portalkit.contrib import flask as pk
from portalkit.errors import PortalkitError
from portalkit.locale import MESSAGES, Msg, Translator, negotiate, translator

__all__ = [
    "COOKIE",
    "DIRECTORY",
    "LANGUAGES",
    "STATUS_LABELS",
    "form_errors",
    "gettext",
    "install",
    "language",
    "localize",
    "status_label",
]

#: The example's host catalogues (``es/LC_MESSAGES/portalkit.po`` and its ``.mo``).
DIRECTORY = Path(__file__).parent / "translations"
#: The languages offered, each named in itself.
LANGUAGES = {"en": "English", "es": "Español"}
#: The cookie keeping the user's choice (outside the session: sign-in clears that).
COOKIE = "portal_lang"
_ONE_YEAR = 365 * 24 * 3600
#: English text → code of portalkit's messages, for texts that arrive without
#: their code (the error page's message is plain text).
_CODES = {text: code for code, text in MESSAGES.items()}

bp = Blueprint("i18n", __name__)


def language() -> str:
    """This request's language: the user's choice, else the browser's, else English."""
    chosen = request.cookies.get(COOKIE, "")
    if chosen in LANGUAGES:
        return chosen
    return negotiate(request.headers.get("Accept-Language"), LANGUAGES)


def _translator() -> Translator:
    current: Translator | None = g.get("_translator")
    if current is None:
        current = g._translator = translator(language(), directories=[DIRECTORY])
    return current


def gettext(text: str, **values: Any) -> str:
    """*text* (an English sentence of the example) in the request's language.

    ``%(name)s`` placeholders are filled from *values*, as Jinja's ``_()`` does.
    """
    translated = _translator().catalog.gettext(text)
    return translated % values if values else translated


def localize(text: str) -> str:
    """Any text a page shows: a portalkit message by its code, else the example's own."""
    t = _translator()
    if isinstance(text, Msg) or text in MESSAGES:
        return t.text(text)
    if text in _CODES:
        return t.text(_CODES[text])
    return t.catalog.gettext(text)


def form_errors(error: PortalkitError, default_field: str = "_") -> dict[str, str]:
    """Field name → message in the user's language; a whole-form message under *default_field*.

    Messages the example wrote itself are looked up in its catalogue; portalkit's
    by their codes (an uncoded text becomes its error class's generic message).
    """
    fields: dict[str, str] = dict(getattr(error, "fields", {}) or {})
    if not fields:
        return {default_field: _one(error, error.message)}
    return {name: _one(error, text) for name, text in fields.items()}


def _one(error: PortalkitError, text: str) -> str:
    t = _translator()
    if isinstance(text, Msg) or text in MESSAGES or text in _CODES:
        return localize(text)
    own = t.catalog.gettext(text)
    if own != text or t.language == "en":
        return own
    return t.error(error).message


@bp.post("/language")
def choose() -> ResponseReturnValue:
    """Keep the chosen language in a cookie and go back to the page it was chosen on."""
    chosen = request.form.get("lang", "")
    response = make_response(redirect(pk.safe_next(request.form.get("next"), "/")))
    if chosen in LANGUAGES:
        response.set_cookie(
            COOKIE, chosen, max_age=_ONE_YEAR, httponly=True, samesite="Lax",
            secure=request.is_secure,
        )
    return response


def install(app: Flask) -> None:
    """Give *app* the language switcher, ``_()`` in templates and ``lang`` in their context."""
    app.register_blueprint(bp)
    app.jinja_env.add_extension("jinja2.ext.i18n")
    app.jinja_env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=gettext, ngettext=_ngettext, newstyle=True
    )
    app.jinja_env.globals["localize"] = localize
    app.jinja_env.filters["status"] = status_label
    app.context_processor(lambda: {"lang": language(), "languages": LANGUAGES})


def _ngettext(singular: str, plural: str, n: int, **values: Any) -> str:
    translated = _translator().catalog.ngettext(singular, plural, n)
    return translated % {"num": n, **values}


#: Human labels of the statuses records carry (jobs, documents, requests, appointments).
STATUS_LABELS = {
    "requested": "Requested",
    "unscheduled": "Not yet scheduled",
    "scheduled": "Scheduled",
    "in_progress": "In progress",
    "on_hold": "On hold",
    "completed": "Completed",
    "cancelled": "Cancelled",
    "open": "Open",
    "sent": "Sent",
    "issued": "Issued",
    "pending": "Pending",
    "awaiting_approval": "Awaiting approval",
    "awaiting_acceptance": "Awaiting acceptance",
    "approved": "Approved",
    "declined": "Declined",
    "changes_requested": "Changes requested",
    "paid": "Paid",
    "overdue": "Overdue",
    "draft": "Draft",
    "booked": "Booked",
    "active": "Active",
    "closed": "Closed",
    "new": "New",
    "accepted": "Accepted",
    "revoked": "Revoked",
    "expired": "Expired",
}


def status_label(status: str | None) -> str:
    """A status as people say it, in the user's language: ``in_progress`` → "In progress"."""
    if not status:
        return "-"
    english = STATUS_LABELS.get(status, status.replace("_", " ").capitalize())
    return gettext(english)
