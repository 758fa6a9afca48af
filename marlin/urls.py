"""URLs: the API under /api/v1/, its schema and docs, the admin, /healthz and the ops pages."""

from __future__ import annotations

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from marlin.api.auth import LogoutApi, TokenApi
from marlin.api.events import EventListApi
from marlin.api.health import healthz
from marlin.api.root import ApiRootApi

api_v1 = [
    path("", ApiRootApi.as_view(), name="api-root"),
    path("auth/token/", TokenApi.as_view(), name="auth-token"),
    path("auth/logout/", LogoutApi.as_view(), name="auth-logout"),
    path("events/", EventListApi.as_view(), name="events"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="docs"),
    path("", include("people.urls")),
    path("", include("tasks.urls")),
    path("", include("reviews.urls")),
    path("", include("payments.urls")),
    path("", include("quality.urls")),
    path("", include("webhooks.urls")),
    path("", include("rest_framework.urls")),
]

urlpatterns = [
    path("api/v1/", include(api_v1)),
    path("admin/", admin.site.urls),
    path("healthz", healthz, name="healthz"),
    path("", include("dashboard.urls")),
]

handler400 = "marlin.api.errors.bad_request"
handler403 = "marlin.api.errors.permission_denied"
handler404 = "marlin.api.errors.not_found"
handler500 = "marlin.api.errors.server_error"
