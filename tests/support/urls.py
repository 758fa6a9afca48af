from django.urls import include, path

from tests.support.views import BoomApi, PingApi

urlpatterns = [
    path("test-support/ping/", PingApi.as_view()),
    path("test-support/boom/", BoomApi.as_view()),
    path("", include("marlin.urls")),
]

handler400 = "marlin.api.errors.bad_request"
handler403 = "marlin.api.errors.permission_denied"
handler404 = "marlin.api.errors.not_found"
handler500 = "marlin.api.errors.server_error"
