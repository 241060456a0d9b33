"""The security stamp: one value whose change voids every outstanding proof of a user.

A user's sessions, emailed password-reset codes and set-password links are all
bound to the user's security stamp. Whatever must end them all (a password
change or reset, "sign out everywhere", disabling the user) goes through
:func:`rotate_security_stamp`:

* sessions record the stamp they were issued under and end when it differs
  (:meth:`portalkit.domain.sessions.Session.ended_by_stamp`);
* a reset code's stored digest is keyed with the stamp
  (:func:`portalkit.domain.identity.code_digest`), so no code issued before
  the change matches afterwards;
* a pending set-password link (an ``account`` invitation of the user) gets a
  fresh nonce, so the token in the email stops working (staff may send a new
  one).
"""

from __future__ import annotations

import secrets
from typing import Any

import attrs

from portalkit.domain.filters import Eq, all_of
from portalkit.domain.invitations import InvitationStatus
from portalkit.domain.principals import User
from portalkit.ports import UnitOfWork

__all__ = ["new_security_stamp", "rotate_security_stamp", "set_user_active"]


def new_security_stamp() -> str:
    """A fresh random security stamp (changing it ends every session of the user)."""
    return secrets.token_hex(16)


def rotate_security_stamp(uow: UnitOfWork, user: User, **changes: Any) -> User:
    """Store *user* with *changes* and a fresh stamp, voiding everything bound to the old one.

    Runs inside *uow* (the caller commits, so the change and the voiding are
    atomic). Returns the stored user.
    """
    rotated = attrs.evolve(user, **changes, security_stamp=new_security_stamp())
    uow.users.update(rotated)
    pending = all_of(Eq("user_id", user.id), Eq("status", InvitationStatus.PENDING))
    for link in uow.invitations.find(user.tenant_id, pending):
        # The same nonce shape as a freshly sent invitation's.
        uow.invitations.update(attrs.evolve(link, nonce=secrets.token_urlsafe(12)))
    return rotated


def set_user_active(uow: UnitOfWork, user: User, active: bool) -> User:
    """Enable or disable *user* inside *uow*; disabling rotates the stamp.

    The one way a user is switched off or on (the staff API and customer
    self-administration): a disabled user's sessions, reset codes and
    set-password links all end with the same write.
    """
    if not active:
        return rotate_security_stamp(uow, user, is_active=False)
    enabled = attrs.evolve(user, is_active=True)
    uow.users.update(enabled)
    return enabled
