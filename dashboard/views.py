"""The ops dashboard: the queue overview as a page for people (the same data as ``GET queues/``)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from marlin.kernel.roles import Role, has_role
from reviews.queues import queue_overview


@login_required(login_url="/api/v1/login/")
def ops_dashboard(request: HttpRequest) -> HttpResponse:
    if not has_role(request.user, Role.OPS):
        raise PermissionDenied("The dashboard is for ops.")
    return render(request, "ops/dashboard.html", {"overview": queue_overview()})
