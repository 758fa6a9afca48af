"""The unassigned queue's row is written with one ``INSERT ... ON CONFLICT``, not a read, a
savepoint and a write."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from marlin import projections
from marlin.kernel import clock
from reviews.models import AwaitingReview
from tests.factories import import_tasks, make_project

pytestmark = pytest.mark.django_db


def test_the_awaiting_review_row_is_upserted_in_one_statement() -> None:
    (task_id,) = import_tasks(make_project(), 1)
    first, later = clock.now(), clock.now() + timedelta(minutes=5)

    with CaptureQueriesContext(connection) as inserted:
        projections.rows(AwaitingReview).upsert(task_id=task_id, layer=1, waiting_since=first)
    with CaptureQueriesContext(connection) as updated:
        projections.rows(AwaitingReview).upsert(task_id=task_id, layer=2, waiting_since=later)

    assert (len(inserted.captured_queries), len(updated.captured_queries)) == (1, 1)
    row = AwaitingReview.objects.get(task_id=task_id)
    assert (row.layer, row.waiting_since) == (2, later)
