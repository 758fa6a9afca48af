"""A row of a statement written once becomes the same model instance a queryset would load."""

from __future__ import annotations

import pytest
from django.db import connection

from marlin.model_rows import ModelColumns
from tasks import commands
from tasks.models import Task
from tests.factories import import_tasks, make_project, make_user

pytestmark = pytest.mark.django_db


def test_a_row_read_through_model_columns_equals_the_orms_instance_field_for_field() -> None:
    project = make_project()
    import_tasks(project, 1)
    claimed = commands.task_claim(contributor_id=make_user("contributor").pk, project_id=project.id)
    columns = ModelColumns.of(Task, "t")
    key = Task._meta.pk.get_db_prep_value(claimed.pk, connection)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {columns.select_list('t')} FROM tasks_task t WHERE t.id = %s", [key])
        task = columns.instance(cursor.fetchone())

    loaded = Task.objects.get(pk=claimed.pk)
    for field in Task._meta.concrete_fields:
        assert getattr(task, field.attname) == getattr(loaded, field.attname), field.name
        assert type(getattr(task, field.attname)) is type(getattr(loaded, field.attname)), field.name
    assert task._state.adding is False
    assert task.claimed_at is not None
    assert task.contributor_id == claimed.contributor_id
