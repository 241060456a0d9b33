"""Settings of the tutorial project: only what a portal needs.

The secret key and the database come from the environment
(``DJANGO_SECRET_KEY``, ``DJANGO_DB``); the defaults are for trying it out.
"""

import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "tutorial-only-secret-change-me-0123456789-abcdef")
DEBUG = os.environ.get("DJANGO_DEBUG") == "1"
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "testserver"]

INSTALLED_APPS = [
    "django.contrib.sessions",
    "portalkit.contrib.django",  # portalkit's tables and its start-up checks
]

MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "portalkit.contrib.django.middleware.PortalMiddleware",  # request.portalkit
]

ROOT_URLCONF = "mysite.urls"
TEMPLATES = [
    {"BACKEND": "django.template.backends.django.DjangoTemplates", "DIRS": [BASE_DIR / "templates"]}
]
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ.get("DJANGO_DB", str(BASE_DIR.parent / "db.sqlite3")),
    }
}
USE_TZ = True

PORTALKIT = {
    "STORAGE": "django",  # portal data in DATABASES["default"], through the Django ORM
    "TENANT": "default",  # the portal this site serves
    "LOGIN_URL": "/login/",  # where @require sends visitors who are not signed in
}
