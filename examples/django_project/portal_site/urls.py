"""URLs: the customer portal at the root, Django's admin for staff."""

from __future__ import annotations

from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", include("customer_portal.urls")),
]
