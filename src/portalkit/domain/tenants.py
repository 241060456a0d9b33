"""Tenants (the businesses that run a portal) and their settings."""

from __future__ import annotations

import enum
import re

import attrs

from portalkit.domain.fields import FieldOverride
from portalkit.errors import InvalidInputError, PortalClosedError

__all__ = [
    "DEFAULT_SENDER",
    "MfaPolicy",
    "Tenant",
    "TenantSettings",
    "require_open",
    "validate_slug",
]

#: The From address of a portal's emails when neither the tenant
#: (:attr:`TenantSettings.sender_email`) nor the portal's configuration
#: (:attr:`portalkit.config.PortalConfig.sender_email`) sets one.
DEFAULT_SENDER = "no-reply@localhost"

_SLUG_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")


class MfaPolicy(str, enum.Enum):
    """Who must sign in with a second factor (:attr:`TenantSettings.mfa`)."""

    #: Nobody is asked for one, even a user who enrolled.
    OFF = "off"
    #: Users who enrolled a factor are asked for it; nobody has to enrol.
    OPTIONAL = "optional"
    #: Staff must enrol; everyone who enrolled is asked.
    STAFF = "staff"
    #: Everyone must enrol.
    EVERYONE = "everyone"


def validate_slug(slug: str) -> str:
    """Return *slug* if it is a valid tenant URL slug, else raise InvalidInputError."""
    if not isinstance(slug, str) or not _SLUG_RE.match(slug):
        raise InvalidInputError.for_field(
            "slug",
            "Use 1-63 lowercase letters, digits and dashes, not starting or ending with a dash.",
        )
    return slug


@attrs.frozen(kw_only=True)
class TenantSettings:
    """Per-tenant switches that gate the whole portal.

    Attributes:
        portal_enabled: The business switched the portal on.
        licensed: The portal licence is valid (seed 004: the portal needs a licence).
        login_required: False runs anonymous requests as :attr:`guest_user_id`.
        guest_user_id: The user whose grants a guest gets when no login is required.
        served_organization_ids: The organizations the portal serves at all;
            None serves every organization of the tenant.
        disabled_features: Feature or document-kind switches turned off, e.g.
            ``{"invoice", "report"}``.
        portal_name, logo_url, primary_color: Branding.
        base_url: The portal's public address; links in emails are built from it.
        sender_email: The From address of the portal's emails; when empty, the
            portal's configured default (``PortalConfig.sender_email``).
        locale: The language of the portal's emails (``"es"``; English when
            portalkit has no catalogue for it), see :mod:`portalkit.locale`.
        default_region: ISO country code used to read local phone numbers.
        field_overrides: Show/hide and rename of asset and job fields (seed 002);
            see :mod:`portalkit.domain.fields`.
        lookup_plates: Asset lookup also matches licence plates.
        lookup_fold_similar: Asset lookup treats O and 0, and I, L and 1, alike on plates.
        lookup_rate: Asset lookups allowed per minute for one principal, and
            for one client address; 0 leaves rate limiting to the host.
        mfa: Second factors at sign-in (:class:`MfaPolicy`): off, optional,
            required for staff, required for everyone.
    """

    portal_enabled: bool = True
    licensed: bool = True
    login_required: bool = True
    guest_user_id: int | None = None
    served_organization_ids: frozenset[int] | None = None
    disabled_features: frozenset[str] = frozenset()
    portal_name: str = "Customer Portal"
    logo_url: str | None = None
    primary_color: str = "#1f6feb"
    base_url: str | None = None
    sender_email: str | None = None
    locale: str = "en"
    default_region: str = "US"
    field_overrides: tuple[FieldOverride, ...] = ()
    lookup_plates: bool = True
    lookup_fold_similar: bool = False
    lookup_rate: int = 30
    mfa: MfaPolicy = MfaPolicy.OFF

    @property
    def is_open(self) -> bool:
        """Whether customers may get in: the portal is switched on and licensed."""
        return self.portal_enabled and self.licensed


@attrs.frozen(kw_only=True)
class Tenant:
    """A business that runs a portal for its customers."""

    id: int
    slug: str
    name: str
    settings: TenantSettings = TenantSettings()


def require_open(tenant: Tenant, *, staff: bool = False) -> None:
    """The one gate of every customer-side entry point: the portal must be open.

    Staff (``staff=True``) pass whatever the switch says.

    Raises:
        PortalClosedError: The portal is switched off or not licensed.
    """
    if not staff and not tenant.settings.is_open:
        raise PortalClosedError()
