"""Broadcast messages (seed 001, "Message Management").

Staff push a message to every portal user of the tenant, or to chosen user
groups, shown between a start and an optional end time. Each user's list
holds the messages that apply to them now, newest first, with their own read
state. The rules here are pure; the service stores and lists.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import attrs

from portalkit.errors import InvalidInputError

__all__ = [
    "MAX_BODY_LENGTH",
    "MAX_TITLE_LENGTH",
    "BroadcastMessage",
    "MessageRead",
    "applies_to",
    "is_live",
    "newest_first",
    "validate_message",
]

#: Longest title (the "message name" of seed 001).
MAX_TITLE_LENGTH = 200
#: Longest message text.
MAX_BODY_LENGTH = 10_000


@attrs.frozen(kw_only=True)
class BroadcastMessage:
    """A message shown to portal users in a time window.

    Attributes:
        title: A short name (shown as the heading).
        body: The text (plain text; a host renders it escaped).
        to_everyone: Every user of the tenant sees it ("Global" in seed 001);
            otherwise only members of :attr:`group_ids`.
        group_ids: The chosen groups when not to everyone.
        starts_at: Shown from this time on.
        ends_at: Shown until this time (exclusive), or forever when None.
    """

    id: int
    tenant_id: int
    title: str
    body: str
    to_everyone: bool = True
    group_ids: frozenset[int] = frozenset()
    starts_at: dt.datetime
    ends_at: dt.datetime | None = None
    created_at: dt.datetime
    created_by_user_id: int | None = None


@attrs.frozen(kw_only=True)
class MessageRead:
    """A user has read a message (at most one per user and message)."""

    id: int
    tenant_id: int
    message_id: int
    user_id: int
    read_at: dt.datetime


def _text(field: str, value: object, max_length: int) -> str:
    label = field.capitalize()
    if not isinstance(value, str):
        raise InvalidInputError.for_field(field, f"{label} must be text.")
    text = value.strip()
    if not text:
        raise InvalidInputError.for_field(field, f"{label} is required.")
    if len(text) > max_length:
        raise InvalidInputError.for_field(field, f"{label} is longer than {max_length} characters.")
    if "\x00" in text:
        raise InvalidInputError.for_field(field, f"{label} contains a NUL character.")
    return text


def validate_message(message: BroadcastMessage) -> BroadcastMessage:
    """*message* with its texts trimmed, or InvalidInputError naming the bad field.

    Checks: a title of at most 200 characters on one line, a body of at most
    10,000, at least one group unless to everyone, an end after the start, and
    aware datetimes.
    """
    title = _text("title", message.title, MAX_TITLE_LENGTH)
    if any(ch in "\r\n" for ch in title):
        raise InvalidInputError.for_field("title", "Title must be on one line.")
    body = _text("body", message.body, MAX_BODY_LENGTH)
    if not message.to_everyone and not message.group_ids:
        raise InvalidInputError.for_field(
            "group_ids", "Choose at least one group, or send the message to everyone."
        )
    for field in ("starts_at", "ends_at"):
        value = getattr(message, field)
        if value is not None and (not isinstance(value, dt.datetime) or value.tzinfo is None):
            raise InvalidInputError.for_field(field, "Give a date and time with a time zone.")
    if message.ends_at is not None and message.ends_at <= message.starts_at:
        raise InvalidInputError.for_field("ends_at", "The end must be after the start.")
    return attrs.evolve(
        message,
        title=title,
        body=body,
        group_ids=frozenset() if message.to_everyone else frozenset(message.group_ids),
    )


def is_live(message: BroadcastMessage, now: dt.datetime) -> bool:
    """The message is inside its time window at *now* (start inclusive, end exclusive)."""
    return message.starts_at <= now and (message.ends_at is None or now < message.ends_at)


def applies_to(
    message: BroadcastMessage, group_ids: Iterable[int], now: dt.datetime
) -> bool:
    """A user in *group_ids* should see *message* at *now*."""
    if not is_live(message, now):
        return False
    return message.to_everyone or not message.group_ids.isdisjoint(group_ids)


def newest_first(messages: Iterable[BroadcastMessage]) -> list[BroadcastMessage]:
    """Messages by start time, newest first (then by id, newest first)."""
    return sorted(messages, key=lambda m: (m.starts_at, m.id), reverse=True)
