"""Tests of the Django integration (pytest-django, settings from ``settings.py`` here)."""
