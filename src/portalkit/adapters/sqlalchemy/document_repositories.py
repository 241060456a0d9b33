"""Repositories of the documents capability over SQLAlchemy Core.

Share links, the default account ledger (balances, contracts, items out) and
defects reuse the generic :class:`~portalkit.adapters.sqlalchemy.repositories.SqlRepository`
with their own :class:`~portalkit.adapters.sqlalchemy.repositories.TableMapping`.
:class:`ListedRepository` serves the customer lists (documents, jobs, assets,
defects) with cached statements.
"""

from __future__ import annotations

from typing import Any, Protocol, TypeVar, cast

from sqlalchemy import Table

from portalkit.adapters.sqlalchemy import document_tables as dtables
from portalkit.adapters.sqlalchemy.repositories import SqlRepository, TableMapping
from portalkit.domain.accounts import AccountBalance, Contract, Defect
from portalkit.domain.shares import ShareLink

__all__ = ["DOCUMENT_MAPPINGS", "ListedRepository", "ShareLinkRepository"]


class _Record(Protocol):
    @property
    def id(self) -> int: ...

    @property
    def tenant_id(self) -> int: ...


E = TypeVar("E", bound=_Record)


def _table(model: type[Any]) -> Table:
    return cast(Table, model.__table__)


DOCUMENT_MAPPINGS: dict[str, TableMapping[Any]] = {
    "share_links": TableMapping(ShareLink, _table(dtables.ShareLinkRow)),
    "account_balances": TableMapping(AccountBalance, _table(dtables.AccountBalanceRow)),
    "contracts": TableMapping(Contract, _table(dtables.ContractRow), path_field="scope_path"),
    "defects": TableMapping(Defect, _table(dtables.DefectRow), path_field="scope_path"),
}


class ShareLinkRepository(SqlRepository[ShareLink]):
    """Share links, found by the keyed hash of their secret."""

    def get_by_secret_hash(self, tenant_id: int, secret_hash: str) -> ShareLink | None:
        """The link whose secret hashes to *secret_hash*, or None."""
        table = self._m.table
        stmt = self._m.select_all.where(
            table.c.tenant_id == tenant_id, table.c.secret_hash == secret_hash
        )
        found = self._m.from_rows(self._execute(stmt))
        return found[0] if found else None


class ListedRepository(SqlRepository[E]):
    """The customer lists' repository (documents, jobs, assets, defects).

    Its ``find``/``count`` statements are built once per (filter shape, order,
    limit), as every :class:`~portalkit.adapters.sqlalchemy.repositories.SqlRepository`'s.
    """
