"""Throttling several keys at once, on top of the :class:`~portalkit.ports.Throttle` port.

A use case that must limit failures (sign-in, registration by proof, lookups)
names its limits as (key, rule) pairs and calls :func:`acquire_all` before the
expensive or sensitive step. Every key counts the attempt as a failure from
that moment, so parallel attempts never get past a limit; when the attempt
succeeds, :meth:`Attempt.succeeded` takes the count back (or resets the keys
that a success should clear).

Keys are plain strings; build them with :func:`throttle_key` so they carry the
tenant and stay short.

Failures against one account (a login identifier, a phone number claimed, an
address asking for reset codes) are limited by :func:`account_limits`: per
account *and client*, so one client's failures never lock the account for
another, plus a slower limit per account from all clients together, which
stops a distributed guesser. The account is named by its normalized text
whether or not it exists, so what the throttle does never tells.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable, Sequence

import attrs

from portalkit.domain.identity import ThrottleRule
from portalkit.ports import Throttle

__all__ = ["Attempt", "Limit", "account_limits", "acquire_all", "throttle_key"]

_MAX_KEY = 200


def throttle_key(scope: str, tenant_id: int, kind: str, value: str | int) -> str:
    """A throttle key such as ``"login:3:user:42"``; long or free-form values are hashed."""
    text = str(value)
    if len(text) > 64 or not text.isascii() or not text.isprintable():
        text = "h" + hashlib.sha256(text.encode()).hexdigest()[:40]
    return f"{scope}:{tenant_id}:{kind}:{text}"[:_MAX_KEY]


@attrs.frozen
class Limit:
    """One key and the rule that limits it."""

    key: str
    rule: ThrottleRule


def account_limits(
    scope: str,
    tenant_id: int,
    account: str,
    client_key: str | None,
    *,
    per_client: ThrottleRule,
    overall: ThrottleRule,
    client: ThrottleRule | None = None,
) -> list[Limit]:
    """The limits of one attempt on *account* (normalized text, existing or not) from a client.

    In key order of acquisition: the client's own limit (when *client* and a
    *client_key* are given), the (account, client) limit and the account's
    overall limit. Without a *client_key* every caller is the same client.
    """
    limits = [
        Limit(throttle_key(scope, tenant_id, "acctc", f"{account}|{client_key or '-'}"),
              per_client),
        Limit(throttle_key(scope, tenant_id, "acct", account), overall),
    ]
    if client is not None and client_key:
        limits.insert(0, Limit(throttle_key(scope, tenant_id, "client", client_key), client))
    return limits


class Attempt:
    """Attempts counted against several keys; settle it with :meth:`succeeded` if it worked.

    A failed attempt needs nothing more: it was counted when acquired.
    """

    def __init__(self, throttle: Throttle, limits: Sequence[Limit], now: dt.datetime) -> None:
        self._throttle = throttle
        self._limits = tuple(limits)
        self._now = now

    @property
    def limits(self) -> tuple[Limit, ...]:
        """The limits this attempt was counted against."""
        return self._limits

    def succeeded(self, *, reset: Iterable[str] = ()) -> None:
        """The attempt worked: forget the keys in *reset*, take the count back on the others."""
        to_reset = set(reset)
        self._throttle.settle(
            reset=[limit.key for limit in self._limits if limit.key in to_reset],
            forgive=[(limit.key, limit.rule) for limit in self._limits
                     if limit.key not in to_reset],
            now=self._now,
        )

    def forgive(self, keys: Iterable[str]) -> None:
        """Take the count back on some keys only (the rest stay counted as failures)."""
        wanted = set(keys)
        self._throttle.settle(
            forgive=[(limit.key, limit.rule) for limit in self._limits if limit.key in wanted],
            now=self._now,
        )


def acquire_all(throttle: Throttle, limits: Iterable[Limit], now: dt.datetime) -> Attempt:
    """Count one attempt against every limit, or none of them (one round trip).

    Raises:
        ThrottledError: A key is blocked; nothing was counted, and
            ``retry_after`` is the longest wait among the blocked keys.
    """
    taken = list(limits)
    throttle.acquire_many([(limit.key, limit.rule) for limit in taken], now)
    return Attempt(throttle, taken, now)
