"""Django integration: an app, the Django ORM storage, middleware, admin.

::

    INSTALLED_APPS = [..., "portalkit.contrib.django"]
    MIDDLEWARE = [..., "portalkit.contrib.django.middleware.PortalMiddleware"]
    PORTALKIT = {"STORAGE": "django", "TENANT": "acme"}

See ``docs/integrations/django.md``. Importing this package imports nothing of
Django; the submodules do.
"""
