"""Configure Django once from ``tests/contrib/django/settings.py`` (shared by the e2e tests)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "django_project"


def configure_django() -> None:
    """Configure and set up Django with the test settings, once per process."""
    import django  # noqa: PLC0415
    from django.conf import settings  # noqa: PLC0415

    if settings.configured:
        return
    # Django refuses ORM calls in a thread with a running event loop; sync
    # Playwright (the Flask browser tests) keeps one running in the main thread.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    if str(EXAMPLE) not in sys.path:
        sys.path.insert(0, str(EXAMPLE))
    from tests.contrib.django import settings as test_settings  # noqa: PLC0415

    settings.configure(
        **{name: getattr(test_settings, name) for name in dir(test_settings) if name.isupper()}
    )
    django.setup()
