"""Safe redirect targets: where a sign-in may send the browser next."""

from __future__ import annotations

import re
from urllib.parse import unquote, urlsplit

__all__ = ["is_safe_next", "safe_next"]

_MAX_NEXT = 2000
#: Decoding rounds for the path: a path encoded twice (``%252F``) is decoded twice.
_DECODE_ROUNDS = 3
#: An encoded slash or backslash: a path never needs one, and servers and
#: proxies disagree on whether to decode it before routing.
_ENCODED_SEPARATOR = re.compile(r"%(?:2f|5c)", re.IGNORECASE)


def _is_control(ch: str) -> bool:
    return ord(ch) < 0x20 or ord(ch) == 0x7F


def _local_path_start(path: str) -> bool:
    # "//host" and "/\host" are read by browsers as another host.
    return path.startswith("/") and not path.startswith(("//", "/\\"))


def _decoded_path_is_local(path: str) -> bool:
    current = path
    for _ in range(_DECODE_ROUNDS):
        if "%" not in current:
            return True
        if _ENCODED_SEPARATOR.search(current):
            return False
        current = unquote(current, errors="replace")
        if not _local_path_start(current) or any(ch == "\\" or _is_control(ch) for ch in current):
            return False
    return "%" not in current


def is_safe_next(target: object) -> bool:
    """Whether *target* is a same-site path that is safe to redirect to after sign-in.

    Only a local absolute path is accepted: it starts with one ``/`` and is not
    followed by another ``/`` or a ``\\`` (``//evil.example`` and
    ``/\\evil.example`` are read by browsers as another host). Backslashes,
    control characters and whitespace anywhere (browsers strip or rewrite
    them), schemes (``javascript:``), hosts and over-long values are refused.
    The same holds for the percent-decoded path (``/%09/evil.example``), in
    case a server or proxy on the way decodes it before the browser sees it;
    an encoded slash or backslash (``%2F``, ``%5C``, also encoded twice) is
    refused anywhere in the path.
    """
    if not isinstance(target, str) or not target or len(target) > _MAX_NEXT:
        return False
    if not _local_path_start(target):
        return False
    if any(ch == "\\" or ch.isspace() or _is_control(ch) for ch in target):
        return False
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not parts.path.startswith("/"):
        return False
    return _decoded_path_is_local(parts.path)


def safe_next(target: object, default: str = "/") -> str:
    """*target* when :func:`is_safe_next` accepts it, else *default*."""
    return target if is_safe_next(target) and isinstance(target, str) else default
