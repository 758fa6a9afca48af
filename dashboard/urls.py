"""The pages for people, outside the API: home, API tokens, the ops queues and people tables."""

from __future__ import annotations

from django.urls import path

from dashboard.pages import HomePage, TokenRevokePage, TokensPage
from dashboard.people_pages import contributors_page, reviewers_page
from dashboard.views import ops_dashboard

urlpatterns = [
    path("", HomePage.as_view(), name="home"),
    path("tokens/", TokensPage.as_view(), name="tokens"),
    path("tokens/<str:token_key>/revoke/", TokenRevokePage.as_view(), name="token-revoke"),
    path("ops/", ops_dashboard, name="ops-dashboard"),
    path("ops/reviewers/", reviewers_page, name="ops-reviewers"),
    path("ops/contributors/", contributors_page, name="ops-contributors"),
]
