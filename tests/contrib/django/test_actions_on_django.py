"""``tests/services/test_actions.py`` unchanged, on a Portal over the Django ORM storage."""

from __future__ import annotations

from tests.contrib.django.services_on_django import adopt
from tests.services import test_actions

adopt(test_actions, globals())
