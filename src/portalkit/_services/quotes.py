"""Quote decisions: approve with a typed signature, decline, ask for changes."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from portalkit import perms
from portalkit._services.action_base import (
    ActionContext,
    ActionService,
    iso,
    load_one,
)
from portalkit.domain.actions import (
    DECIDABLE_QUOTE_KINDS,
    QuoteDecision,
    QuoteDecisionKind,
    check_quote_decidable,
    clean_text,
    parse_id,
)
from portalkit.domain.documents import KindRegistry, default_kinds, visibility_filter
from portalkit.domain.filters import Eq, evaluate
from portalkit.domain.i18n import Msg
from portalkit.domain.policy import Policy
from portalkit.domain.principals import Principal
from portalkit.domain.records import Document
from portalkit.errors import (
    AlreadyUsedError,
    ConflictError,
    InvalidInputError,
    NotFoundError,
    PermissionDeniedError,
)
from portalkit.ports import Clock, Storage

__all__ = [
    "Quotes",
]


_QUOTE_ACTIONS = {
    QuoteDecisionKind.APPROVED: "quote.approve",
    QuoteDecisionKind.DECLINED: "quote.decline",
    QuoteDecisionKind.CHANGES_REQUESTED: "quote.request_changes",
}


class Quotes(ActionService):
    """Approve, decline or ask for changes to a sent quote or proposal.

    Only for documents the principal can see (the document visibility rule of
    :mod:`portalkit.domain.documents`: not a draft, the kind's view permission at
    its scope, the kind switched on) and may decide on (Approve or Decline
    Quotes). The decision is recorded with its time and client key, and sent to
    the host as an event: the host owns the quote and changes its status.

    Args:
        kinds: The document kinds (the built-ins by default), as for documents.
        options: As for :class:`~portalkit._services.action_base.ActionService`.
    """

    def __init__(
        self,
        storage: Storage,
        clock: Clock,
        *,
        kinds: KindRegistry = default_kinds,
        **options: Any,
    ) -> None:
        super().__init__(storage, clock, **options)
        self._kinds = kinds

    def approve(
        self,
        principal: Principal,
        document: int | Document,
        *,
        signer_name: str,
        signature: str,
        idempotency_key: str | None = None,
        client_key: str | None = None,
        policy: Policy | None = None,
    ) -> QuoteDecision:
        """Approve with a typed signature and the signer's name (both required)."""
        return self._decide(
            principal,
            document,
            decision=QuoteDecisionKind.APPROVED,
            text={"signer_name": signer_name, "signature": signature},
            idempotency_key=idempotency_key,
            client_key=client_key,
            policy=policy,
        )

    def decline(
        self,
        principal: Principal,
        document: int | Document,
        *,
        reason: str,
        idempotency_key: str | None = None,
        client_key: str | None = None,
        policy: Policy | None = None,
    ) -> QuoteDecision:
        """Decline with a reason (required)."""
        return self._decide(
            principal,
            document,
            decision=QuoteDecisionKind.DECLINED,
            text={"message": reason},
            idempotency_key=idempotency_key,
            client_key=client_key,
            policy=policy,
        )

    def request_changes(
        self,
        principal: Principal,
        document: int | Document,
        *,
        message: str,
        idempotency_key: str | None = None,
        client_key: str | None = None,
        policy: Policy | None = None,
    ) -> QuoteDecision:
        """Ask for changes with a message (required); the quote stays open."""
        return self._decide(
            principal,
            document,
            decision=QuoteDecisionKind.CHANGES_REQUESTED,
            text={"message": message},
            idempotency_key=idempotency_key,
            client_key=client_key,
            policy=policy,
        )

    def _decide(
        self,
        principal: Principal,
        document: object,
        *,
        decision: QuoteDecisionKind,
        text: Mapping[str, object],
        idempotency_key: str | None,
        client_key: str | None,
        policy: Policy | None,
    ) -> QuoteDecision:
        document_id = parse_id("document", document)
        return self._submit(
            principal,
            action=_QUOTE_ACTIONS[decision],
            values={"document": document_id, **text},
            idempotency_key=idempotency_key,
            client_key=client_key,
            policy=policy,
            perform=lambda ctx: self._record(ctx, document_id, decision, text),
            load=lambda uow, tid, ref: load_one(uow, uow.actions.quote_decisions.get, tid, ref),
        )

    def _visible(self, ctx: ActionContext, document_id: int | None) -> Document:
        """The quote or proposal if the principal can see it (the documents rule) and
        may decide on it; NotFound / PermissionDenied otherwise."""
        doc = ctx.uow.documents.get(ctx.tenant_id, document_id) if document_id else None
        if doc is None or not self._can_see(ctx, doc):
            raise NotFoundError()
        if not ctx.policy.decide(ctx.principal, perms.QUOTE_DECIDE, doc).allowed:
            raise PermissionDeniedError()
        return doc

    def _can_see(self, ctx: ActionContext, doc: Document) -> bool:
        if doc.kind not in DECIDABLE_QUOTE_KINDS or doc.kind not in self._kinds:
            return False
        rule = visibility_filter(
            [self._kinds.get(doc.kind)],
            ctx.policy.settings.disabled_features,
            lambda kind: ctx.policy.filter_for(ctx.principal, kind.permission),
        )
        return evaluate(rule, doc)

    def _record(
        self,
        ctx: ActionContext,
        document_id: int | None,
        decision: QuoteDecisionKind,
        text: Mapping[str, object],
    ) -> tuple[QuoteDecision, str]:
        limit = ctx.settings.description_max_length
        signer_name = signature = message = ""
        if decision is QuoteDecisionKind.APPROVED:
            errors: dict[str, str] = {}
            for name in ("signer_name", "signature"):
                try:
                    value = clean_text(name, text.get(name), max_length=200, required=True)
                except InvalidInputError as exc:
                    errors.update(exc.fields)
                else:
                    if name == "signer_name":
                        signer_name = value
                    else:
                        signature = value
            if errors:
                raise InvalidInputError(fields=errors)
        else:
            field = "reason" if decision is QuoteDecisionKind.DECLINED else "message"
            message = clean_text(field, text.get("message"), max_length=limit, required=True)
        doc = self._visible(ctx, document_id)
        earlier = ctx.uow.actions.quote_decisions.find(ctx.tenant_id, Eq("document_id", doc.id))
        check_quote_decidable(doc.kind, doc.status, earlier)
        try:
            stored = ctx.uow.actions.quote_decisions.add(
                QuoteDecision(
                    id=0,
                    tenant_id=ctx.tenant_id,
                    document_id=doc.id,
                    scope_path=doc.scope_path,
                    decision=decision.value,
                    signer_name=signer_name,
                    signature=signature,
                    message=message,
                    final_key=doc.id if decision.is_final else None,
                    decided_by=ctx.principal.user_id,
                    decided_at=ctx.now,
                    client_key=(ctx.client_key or "")[:100] or None,
                )
            )
        except ConflictError:
            raise AlreadyUsedError(Msg("action.quote_decided")) from None
        self._emit(
            ctx,
            f"quote.{decision.value}",
            {
                "decision_id": stored.id,
                "document_id": doc.id,
                "document_external_key": doc.external_key,
                "kind": doc.kind,
                "number": doc.number,
                "decision": decision.value,
                "signer_name": signer_name,
                "signature": signature,
                "message": message,
                "decided_at": iso(ctx.now),
            },
            target=f"document:{doc.id}",
            scope_path=doc.scope_path,
        )
        return stored, f"quote_decision:{stored.id}"

    def decisions(
        self, principal: Principal, document: int | Document, *, policy: Policy | None = None
    ) -> list[QuoteDecision]:
        """The decisions recorded on a quote the principal can see, oldest first."""

        def body(ctx: ActionContext) -> list[QuoteDecision]:
            doc = ctx.uow.documents.get(ctx.tenant_id, parse_id("document", document) or 0)
            if doc is None or not self._can_see(ctx, doc):
                raise NotFoundError()
            return ctx.uow.actions.quote_decisions.find(
                ctx.tenant_id, Eq("document_id", doc.id), order_by=("decided_at",)
            )

        return self._read(principal, body, policy)
