"""The embedded ticker runs the same periodic jobs Celery beat would."""

from __future__ import annotations

import pytest
from django.conf import settings

from marlin.schedule import periodic_jobs


def test_beat_and_the_embedded_ticker_share_one_schedule() -> None:
    assert set(settings.CELERY_BEAT_SCHEDULE) == set(settings.MARLIN_PERIODIC_JOBS)


@pytest.mark.django_db
def test_the_ticker_resolves_and_can_run_every_periodic_job() -> None:
    jobs = periodic_jobs()

    assert set(jobs) == set(settings.MARLIN_PERIODIC_JOBS)
    for job, interval in jobs.values():
        assert interval > 0
        job()
