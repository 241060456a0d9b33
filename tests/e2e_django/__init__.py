"""Real-browser tests of the Django example project (examples/django_project)."""
