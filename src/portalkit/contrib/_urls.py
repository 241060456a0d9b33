"""Framework-free helpers for integrations: safe redirect targets."""

from __future__ import annotations

from urllib.parse import urlsplit

__all__ = ["is_safe_next", "safe_next"]

_MAX_NEXT = 2000


def is_safe_next(target: object) -> bool:
    """Whether *target* is a same-site path that is safe to redirect to after sign-in.

    Only a local absolute path is accepted: it starts with one ``/`` and is not
    followed by another ``/`` or a ``\\`` (``//evil.example`` and
    ``/\\evil.example`` are read by browsers as another host). Backslashes,
    control characters and whitespace anywhere (browsers strip or rewrite
    them), schemes (``javascript:``), hosts and over-long values are refused.
    """
    if not isinstance(target, str) or not target or len(target) > _MAX_NEXT:
        return False
    if not target.startswith("/") or target.startswith(("//", "/\\")):
        return False
    if any(ch == "\\" or ch.isspace() or ord(ch) < 0x20 or ord(ch) == 0x7F for ch in target):
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc and parts.path.startswith("/")


def safe_next(target: object, default: str = "/") -> str:
    """*target* when :func:`is_safe_next` accepts it, else *default*."""
    return target if is_safe_next(target) and isinstance(target, str) else default
