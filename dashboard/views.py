"""The ops dashboard: the queue overview as a page for people (the same data as ``GET queues/``)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from marlin.api.errors import permission_denied
from marlin.kernel.roles import Role, has_role
from reviews.queues import queue_overview


@login_required  # strangers go to settings.LOGIN_URL
def ops_dashboard(request: HttpRequest) -> HttpResponse:
    if not has_role(request.user, Role.OPS):
        # Answered, not raised: Django logs a raised PermissionDenied with its traceback, and a
        # refusal is no error. The answer is the site's 403 (the URLconf's handler403).
        return permission_denied(request)
    return render(request, "ops/dashboard.html", {"overview": queue_overview()})
