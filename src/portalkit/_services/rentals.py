"""Items out on rent and calling them off (seed 004)."""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from portalkit import perms
from portalkit._services.action_base import (
    ActionContext,
    ActionService,
    iso,
    merge_fields,
    timezone_of,
)
from portalkit.domain.actions import (
    CallOff,
    RentalItem,
    check_call_off,
    check_fields,
    check_pickup_date,
    clean_text,
    parse_date,
    parse_id,
    parse_quantity,
    remaining_quantity,
)
from portalkit.domain.filters import FALSE, Eq, In
from portalkit.domain.i18n import Msg
from portalkit.domain.policy import Policy
from portalkit.domain.principals import Principal
from portalkit.errors import (
    AlreadyUsedError,
    InvalidInputError,
    NotFoundError,
)

__all__ = [
    "Rentals",
]


class Rentals(ActionService):
    """Items out on rent and calling them off (seed 004)."""

    FIELDS = frozenset({"items", "pickup_on", "notes"})

    def items_out(
        self, principal: Principal, *, limit: int = 500, policy: Policy | None = None
    ) -> list[RentalItem]:
        """Items still out (not fully called off or returned) that the principal may see."""

        def body(ctx: ActionContext) -> list[RentalItem]:
            spec = ctx.policy.filter_for(principal, perms.ITEMS_OUT_VIEW)
            if spec == FALSE:
                return []
            found = ctx.uow.actions.rentals.find(
                ctx.tenant_id, spec, order_by=("contract_number", "item_number")
            )
            return [i for i in found if remaining_quantity(i) > 0][: max(1, min(limit, 5000))]

        return self._read(principal, body, policy)

    def call_off(
        self,
        principal: Principal,
        payload: Mapping[str, object] | None = None,
        /,
        *,
        idempotency_key: str | None = None,
        client_key: str | None = None,
        policy: Policy | None = None,
        **fields: object,
    ) -> list[CallOff]:
        """Ask for items to be picked up: ``items`` (``{item id: quantity}`` or a list
        of ``(item id, quantity)``), ``pickup_on`` (a date), optional ``notes``.

        Partial quantities are allowed; more than is still out is refused, and
        an item already called off or returned raises AlreadyUsedError. All
        lines are stored, or none.
        """
        data = merge_fields(payload, fields)
        check_fields(data, self.FIELDS)
        lines = _lines(data.get("items"))
        values = {"items": lines, "pickup_on": data.get("pickup_on"), "notes": data.get("notes")}
        return self._submit(
            principal,
            action="rental.call_off",
            values=values,
            idempotency_key=idempotency_key,
            client_key=client_key,
            policy=policy,
            perform=lambda ctx: self._call_off(ctx, lines, data),
            load=lambda uow, tid, ref: uow.actions.call_offs.find(
                tid, Eq("request_ref", ref.split(":", 1)[1])
            ),
        )

    def _call_off(
        self, ctx: ActionContext, lines: Sequence[tuple[int, int]], data: Mapping[str, object]
    ) -> tuple[list[CallOff], str]:
        s = ctx.settings
        pickup_on = parse_date("pickup_on", data.get("pickup_on"))
        today = ctx.now.astimezone(timezone_of(s.timezone)).date()
        check_pickup_date(pickup_on, today, s.pickup_horizon_days)
        notes = clean_text("notes", data.get("notes"), max_length=s.description_max_length)
        tid = ctx.tenant_id
        ref = secrets.token_hex(8)
        created: list[CallOff] = []
        for item_id, quantity in lines:
            item = ctx.uow.actions.rentals.get(tid, item_id)
            if item is None:
                raise NotFoundError()
            self._require(ctx, perms.CALL_OFF_RENT_REQUEST, item)
            check_call_off(item, quantity)
            if not ctx.uow.actions.rentals.call_off(tid, item.id, quantity):
                raise AlreadyUsedError(Msg("action.already_called_off"))
            created.append(
                ctx.uow.actions.call_offs.add(
                    CallOff(
                        id=0,
                        tenant_id=tid,
                        rental_item_id=item.id,
                        scope_path=item.scope_path,
                        request_ref=ref,
                        contract_number=item.contract_number,
                        quantity=quantity,
                        pickup_on=pickup_on,
                        notes=notes,
                        requested_by=ctx.principal.user_id,
                        created_at=ctx.now,
                    )
                )
            )
        ids = [c.rental_item_id for c in created]
        items = {i.id: i for i in ctx.uow.actions.rentals.find(tid, In("id", ids))}
        self._emit(
            ctx,
            "rental.call_off_requested",
            {
                "request_ref": ref,
                "pickup_on": iso(pickup_on),
                "notes": notes,
                "lines": [
                    {
                        "call_off_id": c.id,
                        "rental_item_id": c.rental_item_id,
                        "item_external_key": items[c.rental_item_id].external_key,
                        "contract_number": c.contract_number,
                        "item_number": items[c.rental_item_id].item_number,
                        "quantity": c.quantity,
                    }
                    for c in created
                ],
            },
            target=f"call_off:{ref}",
            scope_path=created[0].scope_path,
        )
        return created, f"call_off:{ref}"


def _lines(value: object) -> list[tuple[int, int]]:
    """``{item: quantity}`` or ``[(item, quantity)]`` or ``[{"item":…, "quantity":…}]``."""
    pairs: Iterable[Any]
    if isinstance(value, Mapping):
        pairs = value.items()
    elif isinstance(value, (list, tuple)):
        pairs = value
    else:
        raise InvalidInputError.for_field("items", Msg("action.no_items"))
    merged: dict[int, int] = {}
    for pair in pairs:
        if isinstance(pair, Mapping):
            check_fields(pair, {"item", "quantity"})
            item, quantity = pair.get("item"), pair.get("quantity")
        elif isinstance(pair, (list, tuple)) and len(pair) == 2:
            item, quantity = pair
        else:
            raise InvalidInputError.for_field("items", Msg("action.no_items"))
        item_id = parse_id("items", item)
        assert item_id is not None
        merged[item_id] = merged.get(item_id, 0) + parse_quantity("quantity", quantity)
    if not merged or len(merged) > 200:
        raise InvalidInputError.for_field("items", Msg("action.no_items"))
    return sorted(merged.items())
