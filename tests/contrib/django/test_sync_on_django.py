"""``tests/services/test_sync.py`` unchanged, on a Portal over the Django ORM storage
(its repositories take the assets as entities, the SQL adapter's as field dicts)."""

from __future__ import annotations

from tests.contrib.django.services_on_django import adopt
from tests.services import test_sync

adopt(test_sync, globals())
