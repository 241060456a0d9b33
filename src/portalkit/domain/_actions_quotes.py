"""Quote decisions: approving, declining or asking for changes to a quote.

:mod:`portalkit.domain.actions` re-exports the public names; import them from there.
"""

from __future__ import annotations

import datetime as dt
import enum
import re
from collections.abc import Sequence

import attrs

from portalkit.domain.i18n import Msg
from portalkit.errors import AlreadyUsedError, ConflictError


class QuoteDecisionKind(str, enum.Enum):
    """What the customer decided about a quote."""

    APPROVED = "approved"
    DECLINED = "declined"
    CHANGES_REQUESTED = "changes_requested"

    @property
    def is_final(self) -> bool:
        """Approvals and declines are final; change requests are not."""
        return self is not QuoteDecisionKind.CHANGES_REQUESTED


#: Document kinds a customer can decide on.
DECIDABLE_QUOTE_KINDS = frozenset({"quote", "proposal"})


#: Document statuses (normalized: lowercase, spaces as underscores) that allow a decision.
DECIDABLE_QUOTE_STATUSES = frozenset(
    {"sent", "open", "awaiting_acceptance", "awaiting_approval", "pending", "issued"}
)


@attrs.frozen(kw_only=True)
class QuoteDecision:
    """A customer's decision on a quote or proposal (the host owns the quote's state).

    ``final_key`` is the document id for approvals and declines and None for
    change requests, so storage allows one final decision per document.
    """

    id: int
    tenant_id: int
    document_id: int
    scope_path: str
    decision: str
    signer_name: str = ""
    signature: str = ""
    message: str = ""
    final_key: int | None = None
    decided_by: int | None = None
    decided_at: dt.datetime
    client_key: str | None = None


def _normalize_status(status: str) -> str:
    return re.sub(r"[\s-]+", "_", status.strip().lower())


def check_quote_decidable(
    kind: str,
    status: str,
    earlier: Sequence[QuoteDecision],
    *,
    statuses: frozenset[str] = DECIDABLE_QUOTE_STATUSES,
) -> None:
    """Refuse a decision on a document that is not a sent quote, or already decided."""
    if kind not in DECIDABLE_QUOTE_KINDS or _normalize_status(status) not in statuses:
        raise ConflictError(Msg("action.quote_not_decidable"))
    if any(QuoteDecisionKind(d.decision).is_final for d in earlier):
        raise AlreadyUsedError(Msg("action.quote_decided"))
