"""``{% load portal_extras %}``: status labels, money and field errors."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.html import format_html

from customer_portal.labels import field_label, rule_text, status_label

register = template.Library()


@register.filter(name="status")
def status_filter(code: object) -> str:
    """``{{ job.status|status }}``: "In progress" for ``in_progress``."""
    return status_label(code)


@register.filter(name="label")
def label_filter(name: str) -> str:
    """``{{ key|label }}``: "Licence plate" for ``plate``."""
    return field_label(name)


@register.filter
def cell(value: Any, key: str = "") -> Any:
    """A table cell: a status in words, a dash for nothing."""
    if value is None or value == "":
        return "\u2013"
    return status_label(value) if key == "status" else value


@register.filter(name="rule")
def rule_filter(rule: Any) -> str:
    """``{{ rule|rule }}``: a password rule in the reader's language."""
    return rule_text(rule)


@register.filter
def money(cents: int | None, currency: str | None = "USD") -> str:
    """``{{ d.total_cents|money:d.currency }}``: ``1,234.50 USD``, or a dash."""
    if cents is None:
        return "\u2013"
    return f"{cents / 100:,.2f} {currency or ''}".strip()


@register.simple_tag
def error_for(errors: Any, *names: str) -> str:
    """``{% error_for errors "email" %}``: the field's message under it, or nothing."""
    for name in names:
        text = errors.get(name) if errors else None
        if text:
            return format_html('<p class="field-error" role="alert">{}</p>', text)
    return ""


@register.filter
def get(mapping: Any, key: str) -> Any:
    """``{{ form|get:"email" }}``: what the user typed, or an empty string."""
    if not mapping:
        return ""
    return mapping.get(key, "")
