"""The ops pages, outside the API."""

from __future__ import annotations

from django.urls import path

from dashboard.views import ops_dashboard

urlpatterns = [
    path("ops/", ops_dashboard, name="ops-dashboard"),
]
