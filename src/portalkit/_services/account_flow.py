"""One account flow: how every path opens a portal account and gives it access.

Staff creation (``Portal.admin().create_user``), invitation acceptance and
registration by proof all go through these functions, so an account is made
one way whatever made it:

* :func:`account_details`: one validation of email (the normal form sign-in
  looks users up by), name, phone (E.164 when a normalizer is configured),
  username and external key.
* :func:`checked_password_hash`: one way to check and hash a first password;
  :func:`new_security_stamp`: one generator of security stamps.
* :func:`open_account` / :func:`activate_or_open`: create the user, or give
  a passwordless user its first password or create it (one write of the same
  shape either way); each writes one ``account.create``
  or ``account.activate`` audit entry of the same shape (actor, ``user:<id>``,
  ``detail={"via": ...}``).
* :func:`add_grant` and :func:`give_access`: the only places a grant or a
  membership is written for an account.
* :func:`may_give`: the no-escalation rule (:mod:`portalkit.domain.grants`)
  against current storage. Callers acting for a customer-side principal
  (invitations) ask it before storing or sending anything, and again when the
  access is finally given.
"""

from __future__ import annotations

from collections.abc import Iterable

import attrs

from portalkit._services.audit import record
from portalkit._services.policy import load_policy
from portalkit._services.stamps import new_security_stamp
from portalkit.domain.contact import PHONE_FIELD, PhoneNormalizer, normalize_email, normalize_name
from portalkit.domain.filters import Eq, In, all_of
from portalkit.domain.grants import Offer, group_offers, may_grant, role_offer
from portalkit.domain.passwords import PasswordPolicy, context_words_of, normalize_password
from portalkit.domain.policy import Policy
from portalkit.domain.principals import (
    Grant,
    Group,
    Membership,
    Principal,
    PrincipalKind,
    Role,
    User,
)
from portalkit.domain.scopes import ScopeNode
from portalkit.domain.tenants import Tenant
from portalkit.errors import ConflictError, InvalidInputError
from portalkit.perms import PermissionRegistry
from portalkit.ports import Clock, PasswordHasher, UnitOfWork

__all__ = [
    "Access",
    "AccountDetails",
    "account_details",
    "activate_or_open",
    "add_grant",
    "check_password",
    "checked_password_hash",
    "give_access",
    "hash_password",
    "is_staff",
    "may_give",
    "new_security_stamp",
    "open_account",
]


@attrs.frozen(kw_only=True)
class AccountDetails:
    """A new account's checked contact details (see :func:`account_details`)."""

    email: str
    name: str
    phone: str | None = None
    username: str | None = None
    external_key: str | None = None


@attrs.frozen
class Access:
    """What an account is given: roles at scope nodes, and groups to join."""

    grants: tuple[tuple[Role, ScopeNode], ...] = ()
    groups: tuple[Group, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.grants or self.groups)


def _short_text(field: str, value: object, max_length: int) -> str | None:
    if value is None:
        return None
    label = field.replace("_", " ").capitalize()
    if not isinstance(value, str):
        raise InvalidInputError.for_field(field, f"{label} must be text.")
    if "\x00" in value:
        raise InvalidInputError.for_field(field, f"{label} must not contain a NUL character.")
    text = value.strip()
    if len(text) > max_length:
        raise InvalidInputError.for_field(
            field, f"{label} is longer than {max_length} characters."
        )
    return text or None


def account_details(
    tenant: Tenant,
    *,
    email: object,
    name: object,
    phone: object = None,
    username: object = None,
    external_key: object = None,
    phones: PhoneNormalizer | None = None,
    region: str | None = None,
) -> AccountDetails:
    """The checked, normalized details of a new account.

    The phone number becomes E.164 (read as a number of *region*, the tenant's
    default region unless given) when a normalizer is configured; without one
    it is kept as typed.

    Raises:
        InvalidInputError: A field is not valid (``fields`` names it).
    """
    text = _short_text(PHONE_FIELD, phone, 32)
    if text is not None and phones is not None:
        text = phones.normalize(text, region or tenant.settings.default_region)
    return AccountDetails(
        email=normalize_email(email),
        name=normalize_name(name),
        phone=text,
        username=_short_text("username", username, 150),
        external_key=_short_text("external_key", external_key, 200),
    )


def checked_password_hash(
    password: str,
    confirmation: str | None,
    *,
    policy: PasswordPolicy,
    hasher: PasswordHasher,
    context: Iterable[str | None],
) -> str:
    """Check *password* against the policy and hash its NFKC form.

    *context* are the words the password must not be built from (the tenant's
    name, the account's email and name).

    Raises:
        InvalidInputError: ``fields`` names ``password`` and/or
            ``password_confirmation`` with the reason.
    """
    check_password(password, confirmation, policy=policy, context=context)
    return hash_password(password, hasher)


def check_password(
    password: str,
    confirmation: str | None,
    *,
    policy: PasswordPolicy,
    context: Iterable[str | None],
) -> None:
    """The policy half of :func:`checked_password_hash` (cheap: run it before a throttle)."""
    policy.check(password, confirmation, context_words_of(*context))


def hash_password(password: str, hasher: PasswordHasher) -> str:
    """The hashing half of :func:`checked_password_hash`, for a password already checked."""
    return hasher.hash(normalize_password(password))


def _audit(
    uow: UnitOfWork,
    clock: Clock,
    user: User,
    action: str,
    *,
    via: str,
    actor: int | None,
    client_key: str | None,
    detail: dict[str, str] | None,
) -> None:
    record(
        uow, clock, tenant_id=user.tenant_id, action=action, actor=actor,
        target=f"user:{user.id}", client_key=client_key, detail={"via": via, **(detail or {})},
    )


def _new_user(
    clock: Clock,
    tenant: Tenant,
    details: AccountDetails,
    password_hash: str | None,
    *,
    is_staff: bool = False,
) -> User:
    """A user to store from checked *details*, with a new security stamp."""
    return User(
        id=0,
        tenant_id=tenant.id,
        email=details.email,
        name=details.name,
        username=details.username,
        phone=details.phone,
        is_staff=is_staff,
        password_hash=password_hash,
        security_stamp=new_security_stamp(),
        external_key=details.external_key,
        created_at=clock.now(),
    )


def open_account(
    uow: UnitOfWork,
    clock: Clock,
    tenant: Tenant,
    details: AccountDetails,
    *,
    via: str,
    password_hash: str | None = None,
    is_staff: bool = False,
    actor: int | None = None,
    client_key: str | None = None,
    detail: dict[str, str] | None = None,
) -> User:
    """Create a user from checked *details* inside *uow* (the caller commits).

    The security stamp is new; ``account.create`` is audited with *via*
    (``"admin"``, ``"invitation"``, ``"registration"``) and *actor* (by
    default the new user when it signed up with a password, else nobody: the
    staff API has no principal).

    Raises:
        ConflictError: A user of the tenant has this email address. Callers
            facing customers check first and answer without telling.
    """
    if uow.users.get_by_email(tenant.id, details.email) is not None:
        raise ConflictError("A user with this email address already exists.")
    user = uow.users.add(_new_user(clock, tenant, details, password_hash, is_staff=is_staff))
    if actor is None and password_hash is not None:
        actor = user.id  # a self-service sign-up: the new user acted
    _audit(uow, clock, user, "account.create", via=via, actor=actor, client_key=client_key,
           detail=detail)
    return user


def activate_or_open(
    uow: UnitOfWork,
    clock: Clock,
    tenant: Tenant,
    details: AccountDetails,
    password_hash: str,
    *,
    existing: User | None,
    via: str,
    detail: dict[str, str] | None = None,
) -> User:
    """Give the passwordless user *existing* its first password (a new security
    stamp), or, when *existing* is None, create the user from *details* with it,
    inside *uow* (the caller commits).

    Either is the same single write (:meth:`UserRepository.add_or_activate`) and
    one ``account.activate`` or ``account.create`` audit entry by the user, so a
    customer-facing caller takes as long whichever it is (issue 20, finding 2).

    Raises:
        ConflictError: The address's user changed since *existing* was read (a
            user appeared, got a password or another address); nothing may be
            committed then.
    """
    if existing is not None:  # the row to insert must meet *existing* on its address
        details = attrs.evolve(details, email=existing.email)
    user = uow.users.add_or_activate(
        _new_user(clock, tenant, details, password_hash),
        existing.id if existing is not None else None,
    )
    if user is None or (existing is not None and user.id != existing.id):
        raise ConflictError("A user with this email address already exists.")
    action = "account.create" if existing is None else "account.activate"
    _audit(uow, clock, user, action, via=via, actor=user.id, client_key=None, detail=detail)
    return user


def add_grant(
    uow: UnitOfWork,
    tenant_id: int,
    role: Role,
    node: ScopeNode,
    *,
    user_id: int | None = None,
    group_id: int | None = None,
) -> Grant:
    """Store *role* at *node* for one user or one group."""
    return uow.grants.add(
        Grant(
            id=0,
            tenant_id=tenant_id,
            role_id=role.id,
            scope_id=node.id,
            scope_path=node.path,
            user_id=user_id,
            group_id=group_id,
        )
    )


def give_access(uow: UnitOfWork, user: User, access: Access) -> None:
    """Store *access* for *user*: each grant, and each group not joined yet."""
    tid = user.tenant_id
    for role, node in access.grants:
        add_grant(uow, tid, role, node, user_id=user.id)
    for group in access.groups:
        if not uow.memberships.count(tid, all_of(Eq("group_id", group.id), Eq("user_id", user.id))):
            uow.memberships.add(
                Membership(id=0, tenant_id=tid, group_id=group.id, user_id=user.id)
            )


def _offers(uow: UnitOfWork, tenant_id: int, access: Access) -> list[Offer]:
    offers = [role_offer(role, node.path) for role, node in access.grants]
    if access.groups:
        grants = uow.grants.find(tenant_id, In("group_id", [g.id for g in access.groups]))
        role_ids = sorted({g.role_id for g in grants})
        roles = {r.id: r for r in uow.roles.find(tenant_id, In("id", role_ids))} if role_ids else {}
        offers += group_offers(grants, roles)
    return offers


def is_staff(uow: UnitOfWork, principal: Principal) -> bool:
    """Whether *principal* is an active staff user (read from storage now)."""
    if principal.kind is not PrincipalKind.USER or principal.user_id is None:
        return False
    user = uow.users.get(principal.tenant_id, principal.user_id)
    return user is not None and user.is_active and user.is_staff


def may_give(
    uow: UnitOfWork,
    actor: Principal,
    access: Access,
    *,
    registry: PermissionRegistry | None = None,
    policy: Policy | None = None,
) -> bool:
    """Whether *actor* may give *access* to an account now (the no-escalation rule).

    Read from current storage: the actor's user (staff-side when active and
    ``is_staff``), its compiled policy (or *policy*, the actor's, just loaded
    in this unit, when asking about many), and the grants and roles the
    groups carry. See :func:`portalkit.domain.grants.may_grant`.
    """
    if not access:
        return True
    if is_staff(uow, actor):
        return True
    if policy is None:
        policy = load_policy(uow, actor, registry=registry)
    kpi_keys = frozenset().union(*(g.kpi_keys for g in access.groups))
    return may_grant(policy, actor, _offers(uow, actor.tenant_id, access), kpi_keys=kpi_keys)
