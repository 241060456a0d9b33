"""The customer pages, the account pages and the staff invitation page."""

from __future__ import annotations

from django.urls import include, path

from . import (
    account_views,
    action_views,
    asset_views,
    auth_views,
    profile_views,
    quote_views,
    staff_views,
    views,
)

urlpatterns = [
    path("", views.home, name="home"),
    path("portal.css", views.portal_css, name="portal_css"),
    path("i18n/", include("django.conf.urls.i18n")),  # set_language: English / Español
    # Signing in, up and out
    path("login/", auth_views.login_view, name="login"),
    path("logout/", auth_views.logout_view, name="logout"),
    path("logout/everywhere/", auth_views.logout_everywhere, name="logout_everywhere"),
    # The address invitation emails link to (no trailing slash: the link's own).
    path("invitations/accept", auth_views.accept_invitation, name="accept_invitation"),
    path("register/", auth_views.register, name="register"),
    path("register/finish/", auth_views.register_finish, name="register_finish"),
    path("reset/", auth_views.reset, name="reset"),
    path("reset/finish/", auth_views.reset_finish, name="reset_finish"),
    # The signed-in user
    path("profile/", profile_views.profile, name="profile"),
    path("profile/sessions/<int:session_id>/end/", profile_views.end_session, name="end_session"),
    path("organizations/", profile_views.choose_organization, name="organizations"),
    path("organizations/switch/", profile_views.switch_organization, name="switch_organization"),
    # Assets and jobs
    path("lookup/", views.lookup, name="lookup"),
    path("assets/", views.my_assets, name="assets"),
    path("assets/<int:asset_id>/", asset_views.asset, name="asset"),
    path("assets/<int:asset_id>/request/", asset_views.request_service, name="request_service"),
    path("assets/<int:asset_id>/appointments/", asset_views.book, name="book"),
    path(
        "assets/<int:asset_id>/appointments/<int:appointment_id>/cancel/",
        asset_views.cancel, name="cancel_appointment",
    ),
    path("assets/<int:asset_id>/meters/", asset_views.meter_reading, name="meter_reading"),
    # Service requests, appointments and meter readings across the user's assets
    path("service-requests/", action_views.service_requests, name="service_requests"),
    path("appointments/", action_views.appointments, name="appointments"),
    path(
        "appointments/<int:appointment_id>/cancel/", action_views.cancel, name="cancel_booking"
    ),
    path("meters/", action_views.meters, name="meters"),
    path("jobs/", views.jobs, name="jobs"),
    path("jobs/<int:job_id>/", views.job, name="job"),
    # Documents, account, messages
    path("documents/<str:kind>/", account_views.documents, name="documents"),
    path("documents/<int:document_id>/download/", account_views.download, name="download"),
    path("quotes/<int:document_id>/", quote_views.quote, name="quote"),
    path("account/", account_views.account, name="account"),
    path("account/contracts/", account_views.contracts, name="contracts"),
    path("account/call-off/", account_views.call_off, name="call_off"),
    path("messages/", account_views.inbox, name="messages"),
    path("messages/<int:message_id>/read/", account_views.mark_read, name="mark_read"),
    # Staff
    path("staff/invitations/", staff_views.invitations, name="staff_invitations"),
]
