"""Shared plumbing of the customer-facing lists: policies, keys, keyset pages.

Every list (documents, jobs, assets, defects) runs as ONE query per page: the
visibility filter, the caller's filters and the keyset condition of the
cursor are combined into one filter specification and handed to the
repository's ``find`` with ``limit = size + 1`` (the extra row says whether
there is a next page). A total, when asked for, is one ``count`` more.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
from collections.abc import Callable, Iterable, Sequence
from typing import Any, Protocol, TypeVar

from portalkit.domain.filters import Filter, all_of
from portalkit.domain.pagination import CursorCodec, Page, Sorting, after_filter, check_page_size
from portalkit.domain.policy import Policy
from portalkit.domain.principals import Principal
from portalkit.errors import ConfigurationError, InvalidInputError
from portalkit.ports import UnitOfWork

__all__ = [
    "MAX_SEARCH_CHOICES",
    "MAX_SEARCH_LENGTH",
    "PolicyProvider",
    "derive_key",
    "list_context",
    "page_of",
    "policy_in",
    "search_choices",
    "search_text",
]

T = TypeVar("T")

#: Longest text a list may be searched for (a number, a status), in characters.
MAX_SEARCH_LENGTH = 100
#: Most values one multiple-choice filter (statuses, kinds) may name.
MAX_SEARCH_CHOICES = 20


def search_text(field: str, value: object, message: str) -> str:
    """*value* stripped, if it is non-empty text of at most MAX_SEARCH_LENGTH characters.

    Raises:
        InvalidInputError: for *field*, with *message* (or a length message).
    """
    if not isinstance(value, str) or not value.strip():
        raise InvalidInputError.for_field(field, message)
    if len(value) > MAX_SEARCH_LENGTH:
        raise InvalidInputError.for_field(
            field, f"Enter at most {MAX_SEARCH_LENGTH} characters."
        )
    return value.strip()


def search_choices(field: str, value: str | Iterable[str], message: str) -> tuple[str, ...]:
    """One value or at most MAX_SEARCH_CHOICES of them, each text of bounded length.

    An endless iterable is refused after MAX_SEARCH_CHOICES + 1 items.

    Raises:
        InvalidInputError: for *field*, with *message* (or a limit message).
    """
    try:
        values = (value,) if isinstance(value, str) else tuple(
            itertools.islice(value, MAX_SEARCH_CHOICES + 1)
        )
    except TypeError:  # not iterable
        raise InvalidInputError.for_field(field, message) from None
    if not values or not all(isinstance(v, str) for v in values):
        raise InvalidInputError.for_field(field, message)
    if len(values) > MAX_SEARCH_CHOICES:
        raise InvalidInputError.for_field(
            field, f"Choose at most {MAX_SEARCH_CHOICES} values."
        )
    if any(len(v) > MAX_SEARCH_LENGTH for v in values):
        raise InvalidInputError.for_field(
            field, f"Enter at most {MAX_SEARCH_LENGTH} characters."
        )
    return values

#: How a service loads a principal's compiled policy inside a unit of work
#: (the facade passes :func:`portalkit._services.policy.load_policy`). Every
#: read method also takes ``policy=``: a request that loaded its policy once
#: passes it, and a list page is then ONE statement.
PolicyProvider = Callable[[UnitOfWork, Principal], Policy]


def policy_in(
    uow: UnitOfWork, principal: Principal, policy: Policy | None, provider: PolicyProvider
) -> Policy:
    """*policy* if given (it must be for the principal's tenant), else a fresh one."""
    if policy is None:
        return provider(uow, principal)
    if policy.tenant_id != principal.tenant_id:
        raise ConfigurationError("The policy passed belongs to another tenant.")
    return policy


class _Finder(Protocol[T]):  # the part of a repository a page needs
    def find(
        self,
        tenant_id: int,
        where: Filter = ...,
        *,
        order_by: Sequence[str] = ...,
        limit: int | None = ...,
    ) -> list[T]: ...

    def count(self, tenant_id: int, where: Filter = ...) -> int: ...


def derive_key(secret_keys: Sequence[bytes], purpose: str) -> bytes:
    """A sub-key of the portal's (newest) secret for one *purpose* (HMAC-SHA256)."""
    return hmac.new(secret_keys[0], b"portalkit." + purpose.encode(), hashlib.sha256).digest()


def list_context(principal: Principal, name: str, *parts: Any) -> str:
    """What a cursor is bound to: the list, the principal and the caller's filters."""
    who = f"{principal.tenant_id}|{principal.kind.value}|{principal.user_id}"
    return "|".join([name, who, str(principal.active_organization), *map(repr, parts)])


def page_of(
    repository: _Finder[T],
    tenant_id: int,
    where: Filter,
    *,
    sorting: Sorting,
    size: int,
    cursor: str | None,
    codec: CursorCodec,
    context: str,
    with_total: bool = False,
) -> Page[T]:
    """One page of *repository*'s records matching *where*: one query (+1 for the total)."""
    check_page_size(size)
    page_where = where
    if cursor is not None:
        page_where = all_of(where, after_filter(sorting, codec.decode(cursor, sorting, context)))
    found = repository.find(tenant_id, page_where, order_by=sorting.order_by, limit=size + 1)
    items = found[:size]
    next_cursor = codec.encode(sorting, items[-1], context) if len(found) > size else None
    total = repository.count(tenant_id, where) if with_total else None
    return Page(tuple(items), next_cursor, total)
