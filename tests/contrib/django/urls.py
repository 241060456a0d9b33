"""URLs of the test views (see ``views.py``)."""

from __future__ import annotations

urlpatterns: list[object] = []
