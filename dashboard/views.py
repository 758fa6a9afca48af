"""The ops dashboard: the queue overview as a page for people (the same data as ``GET queues/``)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import get_resolver, get_urlconf

from marlin.kernel.roles import Role, has_role
from reviews.queues import queue_overview


@login_required(login_url="/api/v1/login/")
def ops_dashboard(request: HttpRequest) -> HttpResponse:
    if not has_role(request.user, Role.OPS):
        # Answered, not raised: Django logs a raised PermissionDenied with its traceback, and a
        # refusal is no error. The answer is the URLconf's own 403, as for any refusal.
        refused = get_resolver(get_urlconf()).resolve_error_handler(403)
        return refused(request, PermissionDenied("The dashboard is for ops."))
    return render(request, "ops/dashboard.html", {"overview": queue_overview()})
