"""Alembic environment for portalkit's own migrations.

portalkit runs these through :meth:`SqlAlchemyStorage.upgrade`, which passes its
connection in ``config.attributes["connection"]``. Hosts can do the same with
their own connection (Alembic cookbook: "Sharing a Connection across one or
more programmatic migration commands"). The version is kept in
``portalkit_alembic_version``, never in the host's ``alembic_version``.
"""

from __future__ import annotations

from typing import Any

from alembic import context
from sqlalchemy import Connection, create_engine

from portalkit.adapters.sqlalchemy.storage import VERSION_TABLE
from portalkit.adapters.sqlalchemy.tables import Base

target_metadata = Base.metadata


def include_name(name: str | None, type_: str, _parent: Any) -> bool:
    """Look only at portalkit's tables when comparing (a host may share the db)."""
    if type_ == "table":
        return bool(name and name.startswith("portalkit_"))
    return True


def _configure(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        version_table=VERSION_TABLE,
        include_name=include_name,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )


def run_offline() -> None:
    """Emit SQL for ``alembic upgrade --sql`` (needs ``sqlalchemy.url``)."""
    context.configure(
        url=context.config.get_main_option("sqlalchemy.url"),
        target_metadata=target_metadata,
        version_table=VERSION_TABLE,
        literal_binds=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    """Migrate through the given connection, or one made from ``sqlalchemy.url``."""
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _configure(connection)
        with context.begin_transaction():
            context.run_migrations()
        return
    url = context.config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("portalkit migrations need a connection or sqlalchemy.url")
    engine = create_engine(url)
    try:
        with engine.begin() as own:
            _configure(own)
            with context.begin_transaction():
                context.run_migrations()
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
