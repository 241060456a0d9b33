"""The tutorial's three pages."""

from django.urls import path

from mysite.views import documents, login, lookup

urlpatterns = [path("login/", login), path("lookup/", lookup), path("", documents)]
