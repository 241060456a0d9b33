"""Jobs for customers (seed 002): search by date range, site and asset; keyset pages.

The same visibility machinery as documents: the policy's scope filter for
:data:`~portalkit.perms.JOB_VIEW` (which is empty when the tenant switched the
``job`` feature off), combined with the caller's criteria into one filter, so
a page is ONE SQL statement (plus one for a total) and a job is visible in
detail exactly when it is in the list. :meth:`JobService.project` gives plain
dicts of only the fields the tenant shows (seed 002's field settings).
"""

from __future__ import annotations

import builtins
import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

from portalkit._services.listing import (
    PolicyProvider,
    derive_key,
    list_context,
    page_of,
    policy_in,
    search_choices,
    search_text,
)
from portalkit.domain.field_access import project_for
from portalkit.domain.fields import JOB
from portalkit.domain.filters import Eq, Filter, In, Range, all_of
from portalkit.domain.pagination import (
    DEFAULT_PAGE_SIZE,
    CursorCodec,
    Page,
    SortField,
    Sorting,
    check_page_size,
)
from portalkit.domain.policy import Policy
from portalkit.domain.principals import Principal
from portalkit.domain.records import Job
from portalkit.errors import ConfigurationError, InvalidInputError, NotFoundError
from portalkit.perms import JOB_VIEW
from portalkit.ports import Storage

__all__ = ["JOB_SORTS", "JobService"]

#: The fields a job list may be sorted on.
JOB_SORTS: tuple[SortField, ...] = (
    SortField("scheduled_on", nullable=True),
    SortField("number"),
    SortField("status"),
    SortField("created_at", nullable=True),
    SortField("id"),
)


def _check_id(name: str, value: object) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise InvalidInputError.for_field(name, "Choose one from the list.")
    return value


def _check_date(name: str, value: object) -> None:
    if value is not None and (not isinstance(value, dt.date) or isinstance(value, dt.datetime)):
        raise InvalidInputError.for_field(name, "Enter a date.")


class JobService:
    """Use cases on jobs for one portal.

    Args:
        storage: Where the jobs are.
        policies: Loads a principal's compiled policy inside a unit of work.
        secret_keys: The portal's secret keys (a sub-key signs cursors).
    """

    def __init__(
        self, storage: Storage, *, policies: PolicyProvider, secret_keys: Sequence[bytes]
    ) -> None:
        if not secret_keys:
            raise ConfigurationError("A secret key is required.")
        self._storage = storage
        self._policies = policies
        self._codec = CursorCodec(derive_key(secret_keys, "cursor.jobs"))

    @staticmethod
    def criteria(
        *,
        scheduled_from: dt.date | None = None,
        scheduled_to: dt.date | None = None,
        site: int | None = None,
        asset: int | None = None,
        status: str | Iterable[str] | None = None,
        number: str | None = None,
    ) -> Filter:
        """The caller's search as a filter (validated); dates include both ends."""
        parts: list[Filter] = []
        _check_date("scheduled_from", scheduled_from)
        _check_date("scheduled_to", scheduled_to)
        both = scheduled_from is not None and scheduled_to is not None
        if both and scheduled_from > scheduled_to:  # type: ignore[operator]
            raise InvalidInputError.for_field("scheduled_to", "The end date is before the start.")
        if scheduled_from is not None or scheduled_to is not None:
            parts.append(Range("scheduled_on", scheduled_from, scheduled_to, include_high=True))
        if site is not None:
            parts.append(Eq("scope_id", _check_id("site", site)))
        if asset is not None:
            parts.append(Eq("asset_id", _check_id("asset", asset)))
        if status is not None:
            statuses = search_choices("status", status, "Name at least one status.")
            parts.append(In("status", tuple(s.lower() for s in statuses)))
        if number is not None:
            parts.append(Eq("number", search_text("number", number, "Enter a job number.")))
        return all_of(*parts)

    def list(
        self,
        principal: Principal,
        *,
        scheduled_from: dt.date | None = None,
        scheduled_to: dt.date | None = None,
        site: int | None = None,
        asset: int | None = None,
        status: str | Iterable[str] | None = None,
        number: str | None = None,
        sort: str = "-scheduled_on",
        size: int = DEFAULT_PAGE_SIZE,
        cursor: str | None = None,
        with_total: bool = False,
        policy: Policy | None = None,
    ) -> Page[Job]:
        """A page of the jobs *principal* may see, matching the search.

        *site* is a site's scope node id, *asset* an asset id. ONE SQL
        statement per page, plus one for the total.

        Raises:
            InvalidInputError: bad dates or ids, page size outside 1-200, a
                non-allowlisted sort, a malformed or foreign cursor.
        """
        criteria = self.criteria(
            scheduled_from=scheduled_from, scheduled_to=scheduled_to, site=site,
            asset=asset, status=status, number=number,
        )
        sorting = Sorting.parse(sort, JOB_SORTS)
        check_page_size(size)
        context = list_context(principal, "jobs", criteria, sorting.key)
        with self._storage.unit_of_work(read_only=True) as uow:
            the_policy = policy_in(uow, principal, policy, self._policies)
            where = all_of(the_policy.filter_for(principal, JOB_VIEW), criteria)
            return page_of(
                uow.jobs, principal.tenant_id, where, sorting=sorting, size=size,
                cursor=cursor, codec=self._codec, context=context, with_total=with_total,
            )

    search = list

    def get(self, principal: Principal, job_id: int, *, policy: Policy | None = None) -> Job:
        """The job if *principal* may see it (exactly when it is in their list).

        Raises:
            NotFoundError: no such job, or not visible to *principal*.
        """
        if not isinstance(job_id, int) or isinstance(job_id, bool) or job_id < 1:
            raise NotFoundError()
        with self._storage.unit_of_work(read_only=True) as uow:
            the_policy = policy_in(uow, principal, policy, self._policies)
            where = all_of(Eq("id", job_id), the_policy.filter_for(principal, JOB_VIEW))
            found = uow.jobs.find(principal.tenant_id, where, limit=1)
        if not found:
            raise NotFoundError()
        return found[0]

    def project(
        self, principal: Principal, jobs: Iterable[Job], *, policy: Policy | None = None
    ) -> builtins.list[dict[str, Any]]:
        """Plain dicts of *jobs* with ``id`` and the fields *principal* may see of each.

        One rule (:func:`~portalkit.domain.field_access.fields_for`): the tenant
        shows the field and the principal holds its permission, if it needs one.
        """
        items = builtins.list(jobs)
        if policy is None:
            with self._storage.unit_of_work(read_only=True) as uow:
                policy = policy_in(uow, principal, None, self._policies)
        return project_for(policy, principal, JOB, items)
