"""The request size limit both integrations apply before a view runs."""

from __future__ import annotations

__all__ = ["DEFAULT_MAX_CONTENT_LENGTH", "body_too_large"]

#: The largest request body (bytes) a portal accepts when the host sets no limit.
DEFAULT_MAX_CONTENT_LENGTH = 1024 * 1024


def body_too_large(content_length: str | int | None, limit: int | None) -> bool:
    """Whether a request announcing *content_length* bytes exceeds *limit* (413).

    No limit, or no (or an unreadable) ``Content-Length``, is not too large
    here; the framework's own limits still apply while the body is read.
    """
    if limit is None or content_length is None or content_length == "":
        return False
    try:
        return int(content_length) > limit
    except ValueError:
        return False
