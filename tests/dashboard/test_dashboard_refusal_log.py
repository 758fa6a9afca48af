"""A signed-in person who is not ops opening ``/ops/`` gets a 403 and the log a warning line with
the request id, never a traceback."""

from __future__ import annotations

import logging

import pytest

from marlin.api.middleware import RequestIdLogFilter
from tests.factories import make_user

pytestmark = pytest.mark.django_db


def test_a_refused_dashboard_is_a_403_logged_without_a_traceback(client, caplog) -> None:
    caplog.handler.addFilter(RequestIdLogFilter())
    caplog.set_level(logging.INFO)
    client.force_login(make_user("reviewer"))

    page = client.get("/ops/", HTTP_X_REQUEST_ID="trace-ops-refused")

    assert page.status_code == 403
    assert [r.exc_info for r in caplog.records if r.exc_info] == []
    [warning] = [r for r in caplog.records if r.name == "django.request"]
    assert (warning.levelno, warning.request_id) == (logging.WARNING, "trace-ops-refused")
