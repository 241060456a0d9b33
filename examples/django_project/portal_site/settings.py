"""Settings of the example project (development values; see docs/integrations/django.md).

Environment:
    PORTALKIT_SECRET_KEY: signs sessions, tokens and links (at least 32 bytes).
    PORTALKIT_STORAGE: where portal data lives: ``django`` (default: the
        Django ORM storage in ``DATABASES["default"]``) or a SQLAlchemy URL.
    PORTALKIT_DJANGO_DB: the SQLite file of Django's own tables (sessions,
        admin, and the Django ORM storage); default ``db.sqlite3`` here.
    PORTALKIT_DEBUG: ``1`` for Django's debug pages.
"""

from __future__ import annotations

import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent

SECRET_KEY = os.environ.get(
    "PORTALKIT_SECRET_KEY", "example-only-secret-key-change-me-0123456789-abcdef"
)
DEBUG = os.environ.get("PORTALKIT_DEBUG") == "1"
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "testserver"]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "portalkit.contrib.django",
    "customer_portal",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # The user's language (set_language keeps the choice in a cookie); before
    # PortalMiddleware, so portalkit's messages and emails use it too.
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "portalkit.contrib.django.middleware.PortalMiddleware",
]

ROOT_URLCONF = "portal_site.urls"
WSGI_APPLICATION = "portal_site.wsgi.application"

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
                "customer_portal.context.portal_layout",
            ]
        },
    }
]

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ.get("PORTALKIT_DJANGO_DB", str(BASE_DIR / "db.sqlite3")),
    },
}

USE_I18N = True
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("es", "Español")]

USE_TZ = True
TIME_ZONE = "UTC"
STATIC_URL = "/static/"
LOGIN_URL = "/login/"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
# A refused form gets the same 400 page as in the Flask integration.
CSRF_FAILURE_VIEW = "portalkit.contrib.django.errors.csrf_failure"

PORTALKIT = {
    "TENANT": "demo",
    "STORAGE": os.environ.get("PORTALKIT_STORAGE", "django"),
    "LOGIN_URL": "/login/",
    "ERROR_TEMPLATE": "customer_portal/error.html",
    "PORTAL": "customer_portal.portal.make_portal",
}
