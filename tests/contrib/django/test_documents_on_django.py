"""``tests/services/test_documents.py`` unchanged, on a Portal over the Django ORM storage."""

from __future__ import annotations

from tests.contrib.django.services_on_django import adopt
from tests.services import test_documents

adopt(test_documents, globals())
