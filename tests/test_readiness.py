"""Configuration problems are reported at start-up, with the fix (issue 21, item 3).

A missing tenant used to be a silent 404 on every page, in Flask and Django
alike; an unreachable database or an outdated schema showed up as a 503 on the
first page. ``Portal.problems()`` finds them, Flask's ``init_app`` refuses to
start with them, and Django's system checks warn about them.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import portalkit
from portalkit.errors import ConfigurationError

SECRET = "readiness-secret-key-0123456789-abcdefghij"


def test_a_missing_tenant_is_named_with_the_fix() -> None:
    """The default tenant, or the one asked for, must exist."""
    with portalkit.Portal.from_url("memory://", secret_key=SECRET) as portal:
        (problem,) = portal.problems()
        assert problem.startswith("No tenant 'default': every page would answer 404.")
        assert "portal.create_tenant('default'" in problem
        portal.create_tenant("acme", "Acme")
        assert portal.problems("acme") == []
        assert "No tenant 'default'" in portal.problems()[0]
        with pytest.raises(ConfigurationError, match="No tenant 'nope'"):
            portal.check_ready("nope")
        portal.check_ready(portal.tenant("acme"))


def test_an_unmigrated_database_says_how_to_upgrade(tmp_path: Path) -> None:
    """A new SQLite file without the schema: run the upgrade (and then it is ready)."""
    url = f"sqlite:///{tmp_path / 'portal.db'}"
    with portalkit.Portal.from_url(url, secret_key=SECRET) as portal:
        (problem,) = portal.problems()
        assert "portalkit db upgrade" in problem
        portal.upgrade()
        portal.create_tenant("default", "Default")
        assert portal.problems() == []


@pytest.mark.postgres
def test_an_unreachable_database_is_named() -> None:
    """Nothing listens on the port: the database cannot be reached, and nothing else is said."""
    url = "postgresql+psycopg://nobody@127.0.0.1:9/none?connect_timeout=2"
    with portalkit.Portal.from_url(url, secret_key=SECRET) as portal:
        (problem,) = portal.problems()
    assert problem.startswith("The database cannot be reached:")
    assert problem.endswith("Start it, or fix the database URL.")


def test_flask_refuses_to_start_without_its_tenant() -> None:
    """init_app raises with the fix; the check can be put off for apps that create it later."""
    flask = pytest.importorskip("flask")
    from portalkit.contrib import flask as pk  # noqa: PLC0415

    with portalkit.Portal.from_url("memory://", secret_key=SECRET) as portal:
        app = flask.Flask(__name__)
        app.config.update(SECRET_KEY=SECRET, PORTALKIT_TENANT="acme")
        with pytest.raises(ConfigurationError, match="No tenant 'acme'"):
            pk.init_app(app, portal=portal)
        later = flask.Flask(__name__)
        later.config.update(
            SECRET_KEY=SECRET, PORTALKIT_TENANT="acme", PORTALKIT_CHECK_ON_START=False
        )
        pk.init_app(later, portal=portal)
        portal.create_tenant("acme", "Acme")
        pk.init_app(app, portal=portal)
