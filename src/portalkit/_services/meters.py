"""Meter readings recorded by customers (seed 000)."""

from __future__ import annotations

from collections.abc import Mapping

import attrs

from portalkit import perms
from portalkit._services.action_base import (
    ActionContext,
    ActionService,
    iso,
    load_one,
    merge_fields,
    timezone_of,
)
from portalkit.domain.actions import (
    Meter,
    MeterReading,
    check_fields,
    check_reading,
    clean_text,
    parse_bool,
    parse_datetime,
    parse_id,
    parse_number,
)
from portalkit.domain.filters import Eq
from portalkit.domain.policy import Policy
from portalkit.domain.principals import Principal
from portalkit.domain.records import Asset
from portalkit.errors import (
    ConflictError,
    NotFoundError,
)

__all__ = [
    "Meters",
]


class Meters(ActionService):
    """Record meter readings for assets in scope (seed 000: Meter Reading Add/Edit)."""

    FIELDS = frozenset({"meter", "value", "read_at", "unit", "is_replacement"})

    def meters(
        self, principal: Principal, asset: int | Asset, *, policy: Policy | None = None
    ) -> list[Meter]:
        """The meters of an asset the principal may record readings for."""

        def body(ctx: ActionContext) -> list[Meter]:
            found = self._asset(ctx, asset, perms.METER_READING_EDIT)
            return ctx.uow.actions.meters.find(
                ctx.tenant_id, Eq("asset_id", found.id), order_by=("name",)
            )

        return self._read(principal, body, policy)

    def record(
        self,
        principal: Principal,
        payload: Mapping[str, object] | None = None,
        /,
        *,
        idempotency_key: str | None = None,
        client_key: str | None = None,
        policy: Policy | None = None,
        **fields: object,
    ) -> MeterReading:
        """Record a reading (``meter``, ``value``, optional ``read_at`` (default now),
        ``unit`` (converted if it is another distance unit), ``is_replacement``).

        Raises:
            InvalidInputError: in the future, too old, below the last reading
                without ``is_replacement``, a unit the meter does not use, or a
                bad field.
            ConflictError: another reading was recorded at the same moment.
        """
        data = merge_fields(payload, fields)
        check_fields(data, self.FIELDS)
        raw = {k: data.get(k) for k in sorted(self.FIELDS)}
        return self._submit(
            principal,
            action="meter_reading.record",
            values=raw,
            idempotency_key=idempotency_key,
            client_key=client_key,
            policy=policy,
            perform=lambda ctx: self._record(ctx, raw),
            load=lambda uow, tid, ref: load_one(uow, uow.actions.readings.get, tid, ref),
        )

    def _record(self, ctx: ActionContext, data: Mapping[str, object]) -> tuple[MeterReading, str]:
        tid = ctx.tenant_id
        meter_id = parse_id("meter", data.get("meter"))
        value = parse_number("value", data.get("value"))
        read_at = (
            ctx.now
            if data.get("read_at") in (None, "")
            else parse_datetime("read_at", data.get("read_at"), timezone_of(ctx.settings.timezone))
        )
        is_replacement = parse_bool("is_replacement", data.get("is_replacement"))
        unit = clean_text("unit", data.get("unit"), max_length=16) or None
        meter = ctx.uow.actions.meters.get(tid, meter_id) if meter_id is not None else None
        if meter is None:
            raise NotFoundError()
        asset = ctx.uow.assets.get(tid, meter.asset_id)
        if asset is None:
            raise NotFoundError()
        self._require(ctx, perms.METER_READING_EDIT, asset)
        value = check_reading(
            meter,
            value=value,
            read_at=read_at,
            now=ctx.now,
            is_replacement=is_replacement,
            max_age_days=ctx.settings.reading_max_age_days,
            unit=unit,
            max_per_day=dict(ctx.settings.reading_max_per_day).get(meter.unit),
        )
        advanced = attrs.evolve(meter, last_value=value, last_read_at=read_at)
        if not ctx.uow.actions.meters.update_if_unchanged(meter, advanced):
            raise ConflictError()
        reading = ctx.uow.actions.readings.add(
            MeterReading(
                id=0,
                tenant_id=tid,
                meter_id=meter.id,
                asset_id=asset.id,
                scope_path=asset.scope_path,
                value=value,
                unit=meter.unit,
                read_at=read_at,
                is_replacement=is_replacement,
                recorded_by=ctx.principal.user_id,
                created_at=ctx.now,
            )
        )
        self._emit(
            ctx,
            "meter_reading.recorded",
            {
                "reading_id": reading.id,
                "meter_id": meter.id,
                "meter": meter.name,
                "meter_external_key": meter.external_key,
                "asset_id": asset.id,
                "asset_external_key": asset.external_key,
                "value": value,
                "unit": meter.unit,
                "read_at": iso(read_at),
                "is_replacement": is_replacement,
                "previous_value": meter.last_value,
            },
            target=f"meter_reading:{reading.id}",
            scope_path=asset.scope_path,
        )
        return reading, f"meter_reading:{reading.id}"

    def readings(
        self,
        principal: Principal,
        meter: int | Meter,
        *,
        limit: int = 20,
        policy: Policy | None = None,
    ) -> list[MeterReading]:
        """A meter's readings, newest first."""

        def body(ctx: ActionContext) -> list[MeterReading]:
            meter_id = parse_id("meter", meter)
            found = ctx.uow.actions.meters.get(ctx.tenant_id, meter_id) if meter_id else None
            if found is None:
                raise NotFoundError()
            self._asset(ctx, found.asset_id, perms.METER_READING_EDIT)
            return ctx.uow.actions.readings.find(
                ctx.tenant_id,
                Eq("meter_id", found.id),
                order_by=("-read_at", "-id"),
                limit=max(1, min(limit, 500)),
            )

        return self._read(principal, body, policy)
