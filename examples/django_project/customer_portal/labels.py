"""Words for codes in the reader's language: ``in_progress`` is shown as "In progress".

Statuses and field names come from the host's systems, password rules from
portalkit's policy (by code and number); customers read them in their
language. A status with no label here is shown with its underscores as spaces.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

__all__ = [
    "FIELD_LABELS",
    "FROM_PORTALKIT",
    "PASSWORD_RULES",
    "STATUS_LABELS",
    "field_label",
    "rule_text",
    "status_label",
]

#: Status code → label, for jobs, documents, requests, appointments and contracts.
STATUS_LABELS = {
    "scheduled": _("Scheduled"),
    "in_progress": _("In progress"),
    "completed": _("Completed"),
    "unscheduled": _("Not scheduled yet"),
    "requested": _("Requested"),
    "draft": _("Draft"),
    "sent": _("Sent"),
    "accepted": _("Accepted"),
    "declined": _("Declined"),
    "awaiting_payment": _("Awaiting payment"),
    "paid": _("Paid"),
    "approved": _("Approved"),
    "issued": _("Issued"),
    "open": _("Open"),
    "closed": _("Closed"),
    "booked": _("Booked"),
    "cancelled": _("Cancelled"),
    "pending": _("Pending"),
    "accepted_invitation": _("Accepted"),
    "revoked": _("Revoked"),
    "expired": _("Expired"),
    "changes_requested": _("Changes requested"),
}


def status_label(code: object) -> str:
    """The customer's word for a status code."""
    text = str(getattr(code, "value", code) or "")
    label = STATUS_LABELS.get(text)
    return str(label) if label is not None else text.replace("_", " ").capitalize()


#: Field name → column or row label, for the fields a tenant shows.
FIELD_LABELS = {
    "number": _("Number"),
    "plate": _("Licence plate"),
    "region": _("Region"),
    "asset_type": _("Type"),
    "description": _("Description"),
    "model": _("Model"),
    "serial": _("Serial number"),
    "customer_ref": _("Your reference"),
    "last_test_number": _("Last test number"),
    "last_test_date": _("Last test date"),
    "status": _("Status"),
    "job_type": _("Job type"),
    "scheduled_on": _("Scheduled on"),
    "site_address": _("Site address"),
    "notes": _("Notes"),
    "po_number": _("PO number"),
    "created_at": _("Created"),
}


def field_label(name: str) -> str:
    """The label of a record's field."""
    label = FIELD_LABELS.get(name)
    return str(label) if label is not None else name.replace("_", " ").capitalize()


#: The password policy's rules by code (portalkit gives their English text and number).
PASSWORD_RULES = {
    "min_length": _("At least %(value)s characters."),
    "max_length": _("At most %(value)s characters."),
    "no_composition": _(
        "Any characters may be used, spaces included; no mix of kinds is required."
    ),
    "not_common": _("Not a commonly used password."),
    "not_repetitive": _("Not a repeated character or a plain sequence."),
    "not_context": _("Not built from your name, your email address or the portal's name."),
    "confirmation": _("Type the same password twice."),
}


def rule_text(rule: Any) -> str:
    """A password rule in the reader's language (portalkit's English text for unknown ones)."""
    text = PASSWORD_RULES.get(getattr(rule, "code", ""))
    if text is None:
        return str(getattr(rule, "text", rule))
    return str(text) % {"value": getattr(rule, "value", "")}


#: Texts from portalkit the templates translate as variables (``{% translate title %}``):
#: the asset page's section titles and the error pages' titles and messages.
#: Listed so that ``makemessages`` keeps them in the catalogue.
FROM_PORTALKIT = (
    gettext_noop("Identification"),
    gettext_noop("Outstanding Service Requests"),
    gettext_noop("Open and Pending Repairs"),
    gettext_noop("Appointments"),
    gettext_noop("Request Service"),
    gettext_noop("Add Meter Reading"),
    gettext_noop("Maintenance Schedule"),
    gettext_noop("The request could not be processed"),
    gettext_noop("Please sign in"),
    gettext_noop("You do not have access to this page"),
    gettext_noop("Page not found"),
    gettext_noop("Method not allowed"),
    gettext_noop("This has changed in the meantime"),
    gettext_noop("The request is too large"),
    gettext_noop("Too many attempts"),
    gettext_noop("Something went wrong"),
    gettext_noop("The portal is unavailable"),
    gettext_noop("Check what you entered and try again."),
    gettext_noop("Sign in to continue."),
    gettext_noop("Ask your administrator if you need access."),
    gettext_noop("The page you asked for does not exist or is not available to you."),
    gettext_noop("This address does not accept this kind of request."),
    gettext_noop("Reload the page and try again."),
    gettext_noop("The data sent was larger than this portal accepts."),
    gettext_noop("Wait a moment and try again."),
    gettext_noop("Please try again later."),
    gettext_noop("Please try again in a few minutes."),
)
