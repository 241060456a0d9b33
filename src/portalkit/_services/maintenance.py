"""The maintenance schedule of an asset: PMs and SAs (seed 000)."""

from __future__ import annotations

from portalkit import perms
from portalkit._services.action_base import (
    ActionContext,
    ActionService,
    timezone_of,
)
from portalkit.domain.actions import (
    MaintenanceKind,
    Schedule,
    parse_id,
    split_schedule,
)
from portalkit.domain.filters import Eq, In, all_of
from portalkit.domain.policy import Policy
from portalkit.domain.principals import Principal
from portalkit.domain.records import Asset
from portalkit.domain.scalars import MAX_DURATION, check_int
from portalkit.errors import (
    NotFoundError,
)

__all__ = [
    "Maintenance",
]


class Maintenance(ActionService):
    """An asset's upcoming and overdue PMs and SAs, each kind behind its permission."""

    def schedule(
        self,
        principal: Principal,
        asset: int | Asset,
        *,
        horizon_days: int | None = None,
        policy: Policy | None = None,
    ) -> Schedule:
        """The schedule of *asset*: PMs if PMs View is allowed, SAs if SAs View is.

        Raises:
            NotFoundError: the asset is not the principal's.
            PermissionDeniedError: neither kind may be viewed.
        """

        def body(ctx: ActionContext) -> Schedule:
            asset_id = parse_id("asset", asset)
            found = ctx.uow.assets.get(ctx.tenant_id, asset_id) if asset_id else None
            if found is None:
                raise NotFoundError()
            kinds = frozenset(
                kind.value
                for kind, name in (
                    (MaintenanceKind.PM, perms.PM_VIEW),
                    (MaintenanceKind.SA, perms.SA_VIEW),
                )
                if ctx.policy.decide(principal, name, found).allowed
            )
            if not kinds:
                self._require(ctx, perms.PM_VIEW, found)
            items = ctx.uow.actions.maintenance.find(
                ctx.tenant_id, all_of(Eq("asset_id", found.id), In("kind", tuple(sorted(kinds))))
            )
            return split_schedule(
                items,
                today=ctx.now.astimezone(timezone_of(ctx.settings.timezone)).date(),
                horizon_days=ctx.settings.schedule_horizon_days
                if horizon_days is None
                else check_int("horizon_days", horizon_days, minimum=1, maximum=MAX_DURATION.days),
                kinds=kinds,
            )

        return self._read(principal, body, policy)
