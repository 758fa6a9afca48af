"""Accruals by real Celery workers: one entry per task, even across a worker killed mid-batch."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from payments.models import PayoutEntry
from tests.factories import make_project, make_user
from tests.support import services
from tests.support.approvals import given_approved

pytestmark = [pytest.mark.worker, pytest.mark.postgres_only]


def test_a_worker_killed_mid_batch_leaves_exactly_one_accrual_per_task(start_worker) -> None:
    project = make_project()
    contributors = [make_user("contributor") for _ in range(10)]
    task_ids = given_approved(project, 300, contributors)  # the wake-ups wait in Redis

    worker = start_worker(concurrency=1)
    services.wait_until(lambda: PayoutEntry.objects.count() >= 5, timeout=30, what="the first accruals")
    worker.kill()
    done_before_the_crash = PayoutEntry.objects.count()
    assert 0 < done_before_the_crash < 300, "the crash should land mid-batch"

    start_worker(concurrency=2, beat=True)
    services.wait_until(lambda: PayoutEntry.objects.count() >= 300, timeout=120, what="every accrual")

    per_task = PayoutEntry.objects.values_list("task_id", flat=True)
    assert sorted(per_task) == sorted(task_ids)
    call_command("reconcile")
