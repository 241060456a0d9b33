"""Django settings for portalkit's Django tests (and the Django example's browser tests).

Loaded only by the conftests under ``tests/contrib/django`` and
``tests/e2e_django`` (``settings.configure``), so nothing else in the suite
sees Django configured. ``PORTALKIT_TEST_DATABASE_URL`` adds a ``postgres``
database alias for the PostgreSQL run of the storage contract.
"""

from __future__ import annotations

import os
from typing import Any
from urllib.parse import unquote, urlsplit

SECRET_KEY = "django-tests-secret-key-0123456789-abcdefghijklmnop"
DEBUG = False
ALLOWED_HOSTS = ["testserver", "localhost", "127.0.0.1"]
USE_TZ = True
TIME_ZONE = "UTC"
STATIC_URL = "/static/"
ROOT_URLCONF = "tests.contrib.django.urls"
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"  # portalkit's AppConfig overrides it

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "portalkit.contrib.django",
    "customer_portal",  # the example project's app (examples/django_project), for its tests
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "portalkit.contrib.django.middleware.PortalMiddleware",
]

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    }
]

DATABASES: dict[str, dict[str, Any]] = {
    "default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"},
}

PORTALKIT = {
    "STORAGE": "django",
    "TENANT": "acme",
    "LOGIN_URL": "/login/",
    "PORTAL": "tests.contrib.django.views.make_portal",
}

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast staff logins


def postgres_database(url: str) -> dict[str, Any]:
    """A DATABASES entry for a ``postgresql+psycopg://user:pass@host:port/db`` URL."""
    parts = urlsplit(url)
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": parts.path.lstrip("/"),
        "USER": unquote(parts.username or ""),
        "PASSWORD": unquote(parts.password or ""),
        "HOST": parts.hostname or "",
        "PORT": str(parts.port or ""),
        # A test database of this process's own: runs in parallel never meet.
        "TEST": {"NAME": f"test_portalkit_dj_{os.getpid()}"},
    }


_POSTGRES_URL = os.environ.get("PORTALKIT_TEST_DATABASE_URL")
if _POSTGRES_URL:
    DATABASES["postgres"] = postgres_database(_POSTGRES_URL)
