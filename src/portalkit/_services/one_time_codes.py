"""Storing a subject's one record of a kind: one algorithm for codes and factors.

Reset codes, email proofs, pending second-factor sign-ins and step-up marks
share one rule: at most one code per tenant, purpose and subject, a new one
replacing the old; a user's authenticator app follows the same rule. Adapters
only store (``add``, ``update``); the insert-or-replace, and what to do when a
concurrent request inserts the subject's first record between our read and our
insert, are decided here once.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import attrs

from portalkit.domain.identity import OneTimeCode
from portalkit.errors import ConflictError
from portalkit.ports import OneTimeCodeRepository

__all__ = ["insert_or_replace", "put_code"]

E = TypeVar("E", bound=Any)


def insert_or_replace(
    current: Callable[[], E | None], add: Callable[[E], E], update: Callable[[E], None], entity: E
) -> E:
    """Store *entity* as the one record of its kind for its subject; the stored copy.

    *current* reads the subject's record, if any, which is replaced in place
    (*entity*'s ``id`` is ignored). When a concurrent unit inserts the
    subject's first record after our read, our *add* conflicts (the unit stays
    usable) and replaces that one instead: the last writer wins, as with two
    replacements.
    """
    existing = current()
    if existing is None:
        try:
            return add(entity)
        except ConflictError:
            existing = current()
            if existing is None:  # inserted and deleted again meanwhile: give up loudly
                raise
    stored: E = attrs.evolve(entity, id=existing.id)
    update(stored)
    return stored


def put_code(codes: OneTimeCodeRepository, code: OneTimeCode) -> OneTimeCode:
    """Store *code* as its subject's only code (see :func:`insert_or_replace`)."""
    return insert_or_replace(
        lambda: codes.get_for(code.tenant_id, code.purpose, code.subject_id),
        codes.add, codes.update, code,
    )
