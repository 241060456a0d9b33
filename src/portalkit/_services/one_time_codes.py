"""Storing a subject's one-time code: one algorithm for every kind of code.

Reset codes, email proofs, pending second-factor sign-ins and step-up marks
share one rule: at most one code per tenant, purpose and subject, a new one
replacing the old. Adapters only store (``add``, ``update``); the
insert-or-replace, and what to do when a concurrent request inserts the
subject's first code between our read and our insert, are decided here once.
"""

from __future__ import annotations

import attrs

from portalkit.domain.identity import OneTimeCode
from portalkit.errors import ConflictError
from portalkit.ports import OneTimeCodeRepository

__all__ = ["put_code"]


def put_code(codes: OneTimeCodeRepository, code: OneTimeCode) -> OneTimeCode:
    """Store *code* as its subject's only code (its ``id`` is ignored); the stored copy.

    The subject's current code, if any, is replaced in place. When a
    concurrent unit inserts the subject's first code after our read, our
    insert conflicts (the unit stays usable) and replaces that one instead:
    the last writer wins, as with two renewals.
    """
    existing = codes.get_for(code.tenant_id, code.purpose, code.subject_id)
    if existing is None:
        try:
            return codes.add(code)
        except ConflictError:
            existing = codes.get_for(code.tenant_id, code.purpose, code.subject_id)
            if existing is None:  # inserted and deleted again meanwhile: give up loudly
                raise
    stored = attrs.evolve(code, id=existing.id)
    codes.update(stored)
    return stored
