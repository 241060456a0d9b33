"""Django models of second factors: authenticator apps and recovery codes.

Column for column they mirror ``portalkit_totp_factors`` and
``portalkit_recovery_codes`` of the SQLAlchemy schema.
"""

from __future__ import annotations

from typing import Any

from django.db import models

from portalkit.contrib.django.models import _field, _tenant, _text

__all__ = ["RecoveryCodeModel", "TotpFactorModel"]


def _user() -> Any:
    # A real foreign key: the factor and its codes go when the user does.
    return _field(models.ForeignKey(
        "UserModel", on_delete=models.CASCADE, db_column="user_id", related_name="+"
    ))


class TotpFactorModel(models.Model):
    """A user's authenticator app (``portalkit_dj_totp_factors``), its secret sealed."""

    tenant = _tenant()
    user = _user()
    secret = _text()
    created_at = _field(models.DateTimeField())
    confirmed_at = _field(models.DateTimeField(null=True, blank=True))
    last_step = _field(models.BigIntegerField(default=0))

    class Meta:
        db_table = "portalkit_dj_totp_factors"
        verbose_name = "authenticator app"
        constraints = [  # noqa: RUF012
            models.UniqueConstraint(fields=["tenant", "user"], name="pk_dj_totp_factors_u1"),
        ]


class RecoveryCodeModel(models.Model):
    """One recovery code (``portalkit_dj_recovery_codes``), as its keyed digest."""

    tenant = _tenant()
    user = _user()
    digest = _text()
    created_at = _field(models.DateTimeField())
    used_at = _field(models.DateTimeField(null=True, blank=True))

    class Meta:
        db_table = "portalkit_dj_recovery_codes"
        verbose_name = "recovery code"
        indexes = [  # noqa: RUF012
            models.Index(fields=["tenant", "user"], name="pk_dj_recovery_codes_i1"),
        ]
