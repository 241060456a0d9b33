"""The customer pages."""

from __future__ import annotations

from django.urls import path

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("portal.css", views.portal_css, name="portal_css"),
    path("login/", views.login_view, name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("lookup/", views.lookup, name="lookup"),
    path("assets/<int:asset_id>/", views.asset, name="asset"),
    path("jobs/", views.jobs, name="jobs"),
    path("documents/<str:kind>/", views.documents, name="documents"),
    path("documents/<int:document_id>/download/", views.download, name="download"),
]
