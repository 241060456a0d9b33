"""The SQLAlchemy 2.x storage adapter: SQLite (embedded default) and PostgreSQL.

Importing this package imports SQLAlchemy; ``import portalkit`` does not.

>>> storage = SqlAlchemyStorage.from_url("sqlite:///portal.db")  # doctest: +SKIP
>>> storage.upgrade()                                              # doctest: +SKIP
"""

from portalkit.adapters.sqlalchemy.storage import SqlAlchemyStorage as SqlAlchemyStorage
from portalkit.adapters.sqlalchemy.unit_of_work import SqlAlchemyUnitOfWork as SqlAlchemyUnitOfWork

__all__ = ["SqlAlchemyStorage", "SqlAlchemyUnitOfWork"]
