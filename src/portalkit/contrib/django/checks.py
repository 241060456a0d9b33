"""Django system checks: the portal is ready to serve (issue 21, item 3).

``manage.py runserver``, ``check`` and ``migrate`` report, before the first
page, what :meth:`Portal.problems <portalkit.Portal.problems>` finds: an
unreachable database, portalkit migrations not applied, the configured tenant
missing (without this every page answers 404). They are warnings, not errors.
``migrate`` runs the system checks before it migrates (Django passes it
``databases``): there the check says nothing, since "the schema is older, run
``migrate``" would only describe what the command is about to fix; the next
``check`` or ``runserver`` reports whatever is left.
"""

from __future__ import annotations

from typing import Any

from django.core.checks import CheckMessage, Warning, register

from portalkit.errors import PortalkitError

__all__ = ["portal_ready"]

#: The check's id, for ``SILENCED_SYSTEM_CHECKS``.
NOT_READY = "portalkit.W001"


@register("portalkit")
def portal_ready(
    app_configs: Any = None, databases: Any = None, **kwargs: Any
) -> list[CheckMessage]:
    """One warning per problem that would stop the configured portal from serving.

    Nothing while ``migrate`` runs (the checks then get *databases*).
    """
    if databases:
        return []
    from portalkit.contrib.django.conf import get_config, get_portal  # noqa: PLC0415

    try:
        problems = get_portal().problems(get_config().tenant)
    except PortalkitError as exc:  # e.g. a PORTALKIT setting that cannot work
        problems = [str(exc)]
    return [
        Warning(problem, hint=None, obj="settings.PORTALKIT", id=NOT_READY)
        for problem in problems
    ]
