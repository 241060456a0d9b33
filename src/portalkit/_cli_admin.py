"""``portalkit tenant|role|user ...``: set a portal up from the shell.

Every command is one :meth:`Portal.admin` session (committed when it
succeeds, rolled back on any error) or :meth:`Portal.create_tenant`: the same
calls a host makes from Python.
"""

from __future__ import annotations

import argparse
import getpass
import sys
import typing
from collections.abc import Callable

import attrs

from portalkit._cli_support import open_portal
from portalkit._services.admin import AdminSession
from portalkit.config import PortalConfig
from portalkit.domain.invitations import normalize_email
from portalkit.domain.principals import User
from portalkit.domain.tenants import TenantSettings
from portalkit.errors import InvalidInputError, NotFoundError

__all__ = [
    "role_create",
    "role_permissions",
    "tenant_create",
    "tenant_settings",
    "user_create",
    "user_disable",
    "user_set_password",
]


# Tenants ------------------------------------------------------------------------------
def tenant_create(args: argparse.Namespace) -> int:
    """``portalkit tenant create SLUG [NAME]``."""
    with open_portal(args) as portal:
        try:
            tenant = portal.create_tenant(args.slug, args.name or args.slug)
        except InvalidInputError as exc:
            message = exc.message[:1].lower() + exc.message[1:]
            raise InvalidInputError(f"Tenant slug {args.slug[:64]!r}: {message}") from None
    print(
        f"Created tenant {tenant.slug!r} ({tenant.name}). Next: "
        f"portalkit tenant settings --tenant {tenant.slug} base_url=https://... "
        "sender_email=..."
    )
    return 0


#: Settings the command line cannot express (the Python API sets them).
_NOT_FROM_THE_SHELL = frozenset({"field_overrides", "served_organization_ids"})


def _setting_value(admin: AdminSession, name: str, text: str) -> object:
    """The typed value of setting *name* written as *text* on the command line."""
    hint = typing.get_type_hints(TenantSettings)[name]
    optional = type(None) in typing.get_args(hint)
    if text == "" and optional:
        return None
    if name == "guest_user_id":
        return _user(admin, text).id if "@" in text else _number(name, text)
    if hint is bool:
        lowered = text.strip().lower()
        if lowered in {"true", "yes", "on", "1"}:
            return True
        if lowered in {"false", "no", "off", "0"}:
            return False
        raise InvalidInputError(f"{name}: {text[:40]!r} is not true or false.")
    if hint is int:
        return _number(name, text)
    if name == "disabled_features":
        return frozenset(part.strip() for part in text.split(",") if part.strip())
    return text


def _number(name: str, text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise InvalidInputError(f"{name}: {text[:40]!r} is not a whole number.") from None


def _show(value: object) -> str:
    if isinstance(value, frozenset):
        return ",".join(sorted(map(str, value)))
    return "" if value is None else str(value)


def tenant_settings(args: argparse.Namespace) -> int:
    """``portalkit tenant settings [NAME=VALUE ...]``: show, or change then show."""
    names = [field.name for field in attrs.fields(TenantSettings)]
    changes: dict[str, str] = {}
    for item in args.changes:
        name, equals, text = item.partition("=")
        name = name.strip()
        if not equals:
            raise InvalidInputError(f"{item[:60]!r}: write NAME=VALUE, e.g. portal_name=Acme.")
        if name not in names or name in _NOT_FROM_THE_SHELL:
            settable = ", ".join(n for n in names if n not in _NOT_FROM_THE_SHELL)
            raise InvalidInputError(f"Unknown setting {name[:40]!r}; settings: {settable}.")
        changes[name] = text
    with open_portal(args) as portal:
        if changes:
            with portal.admin(args.tenant) as admin:
                settings = admin.update_settings(
                    **{name: _setting_value(admin, name, text) for name, text in changes.items()}
                )
            print(f"Updated {', '.join(changes)}.")
        else:
            settings = portal.tenant(args.tenant).settings
    for name in names:
        print(f"  {name:24} {_show(getattr(settings, name))}")
    return 0


# Roles --------------------------------------------------------------------------------
def role_create(args: argparse.Namespace) -> int:
    """``portalkit role create NAME PERM...``."""
    with open_portal(args) as portal, portal.admin(args.tenant) as admin:
        role = admin.define_role(args.name, args.permissions)
    print(f"Role {role.name!r}: {', '.join(sorted(role.permissions))}.")
    return 0


def role_permissions(args: argparse.Namespace) -> int:
    """``portalkit role permissions``: the catalogue a role's permissions come from."""
    del args
    for permission in sorted(PortalConfig().permissions, key=lambda p: p.name):
        print(f"  {permission.name:28} {permission.description or permission.label}")
    return 0


# Users --------------------------------------------------------------------------------
def _user(admin: AdminSession, email: str) -> User:
    """The tenant's user with this address."""
    try:
        address = normalize_email(email)
    except InvalidInputError:
        raise InvalidInputError(f"{email[:100]!r} is not an email address.") from None
    user = admin.uow.users.get_by_email(admin.tenant.id, address)
    if user is None:
        raise NotFoundError(f"No portal user {address} in tenant {admin.tenant.slug!r}.")
    return user


def user_create(args: argparse.Namespace) -> int:
    """``portalkit user create EMAIL NAME [--staff] [--phone P] [--role ROLE SCOPE]...``."""
    with open_portal(args) as portal, portal.admin(args.tenant) as admin:
        user = admin.create_user(args.email, args.name, phone=args.phone, is_staff=args.staff)
        for role, scope in args.role:
            admin.grant(user, admin.role(role), scope=admin.scope_by_key(scope))
    grants = "; ".join(f"{role} at {scope}" for role, scope in args.role)
    print(f"Created user {user.email}" + (f" ({grants})" if grants else "") + ".")
    return 0


def _read_password(prompt: Callable[[str], str] = getpass.getpass) -> str:
    """The new password: typed twice at a terminal, else the first line of standard input."""
    if sys.stdin.isatty():
        password = prompt("New password: ")
        if prompt("Repeat it: ") != password:
            raise InvalidInputError("The two passwords differ; nothing was changed.")
        return password
    password = sys.stdin.readline().rstrip("\r\n")
    if not password:
        raise InvalidInputError("No password on standard input; nothing was changed.")
    return password


def user_set_password(args: argparse.Namespace) -> int:
    """``portalkit user set-password EMAIL``: the password never passes through argv."""
    password = _read_password()
    with open_portal(args) as portal, portal.admin(args.tenant) as admin:
        user = admin.set_password(_user(admin, args.email), password)
    print(f"Password set for {user.email}; their other sessions ended.")
    return 0


def user_disable(args: argparse.Namespace) -> int:
    """``portalkit user disable EMAIL [--enable]``."""
    with open_portal(args) as portal, portal.admin(args.tenant) as admin:
        user = admin.set_user_active(_user(admin, args.email), args.enable)
    if args.enable:
        print(f"Enabled {user.email}.")
    else:
        print(f"Disabled {user.email}; their sessions ended.")
    return 0
