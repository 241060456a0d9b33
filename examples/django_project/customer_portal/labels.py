"""Words for the codes records carry: ``in_progress`` is shown as "In progress".

The codes come from the host's systems; customers read them in their language.
A code with no label here is shown with its underscores as spaces.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

__all__ = ["FIELD_LABELS", "STATUS_LABELS", "field_label", "status_label"]

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
