"""Every log line written while handling a request carries its request id, the ``django.request``
warnings of 4xx answers (logged once the middleware has finished) included."""

from __future__ import annotations

import logging

import pytest

from marlin.api.middleware import RequestIdLogFilter
from tests.factories import client_for, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def logged(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    """Captured records, stamped by the filter the console handler uses, when they are written."""
    caplog.handler.addFilter(RequestIdLogFilter())
    caplog.set_level(logging.INFO)
    return caplog


def test_the_warning_of_a_4xx_answer_carries_the_request_id(logged: pytest.LogCaptureFixture) -> None:
    contributor = client_for(make_user("contributor"))

    response = contributor.get("/api/v1/events/", HTTP_X_REQUEST_ID="trace-forbidden-4xx")

    assert response.status_code == 403
    [warning] = [r for r in logged.records if r.name == "django.request"]
    assert warning.levelno == logging.WARNING
    assert warning.request_id == "trace-forbidden-4xx"


def test_a_404_warning_carries_a_generated_request_id_the_answer_names(logged) -> None:
    response = client_for(make_user("ops")).get("/api/v1/nowhere/")

    [warning] = [r for r in logged.records if r.name == "django.request"]
    assert warning.request_id == response["X-Request-ID"] != "-"


def test_log_lines_outside_a_request_show_a_dash(logged: pytest.LogCaptureFixture) -> None:
    logging.getLogger("marlin.test").warning("no request here")

    [record] = logged.records
    assert record.request_id == "-"
