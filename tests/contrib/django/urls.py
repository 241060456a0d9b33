"""URLs of the test views (see ``views.py``) and the admin."""

from __future__ import annotations

from django.contrib import admin
from django.urls import path

from tests.contrib.django import views

urlpatterns = [
    path("admin/", admin.site.urls),
    path("whoami/", views.whoami),
    path("jobs/", views.jobs),
    path("jobs-cbv/", views.JobsView.as_view()),
    path("any/", views.signed_in_only),
    path("assets/<int:asset_id>/", views.asset),
    path("fail/<str:kind>/", views.fail),
    path("write/<str:outcome>/", views.write),
    path("login/", views.login_view),
    path("logout/", views.logout_view),
    path("logout-everywhere/", views.logout_everywhere_view),
]
