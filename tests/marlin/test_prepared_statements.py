"""PostgreSQL parses and plans a statement a connection runs again and again only once (psycopg's
prepared statements), and a statement kept prepared survives a migration that adds a column."""

from __future__ import annotations

import runpy
from pathlib import Path

import psycopg
import pytest
from django.db import connection

from tasks import commands
from tests.factories import import_tasks, make_project, make_user
from tests.marlin.test_deploy_settings import SETTINGS_FILE, production_env

pytestmark = [pytest.mark.django_db, pytest.mark.postgres_only]

POSTGRES_URL = "postgres://postgres@127.0.0.1:5432/marlin"


def prepared_statements() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        return [statement for (statement,) in cursor.fetchall()]


def test_a_statement_run_five_times_is_prepared_on_the_server() -> None:
    project = make_project()
    import_tasks(project, 6)
    for _ in range(6):
        commands.task_claim(contributor_id=make_user("contributor").pk, project_id=project.id)

    assert any("FOR NO KEY UPDATE OF t SKIP LOCKED" in sql for sql in prepared_statements())


@pytest.mark.django_db(transaction=True)
def test_a_claim_answers_after_another_process_migrated_a_column_into_the_tasks_table() -> None:
    """The claim's response reads the task row with its columns named: a prepared ``SELECT *``
    would fail with "cached plan must not change result type" once a deploy's migration (another
    connection) added a column, until this connection closed."""
    project = make_project()
    import_tasks(project, 7)
    for _ in range(6):
        commands.task_claim(contributor_id=make_user("contributor").pk, project_id=project.id)
    try:
        from_another_process("ALTER TABLE tasks_task ADD COLUMN added_by_a_later_release integer")

        task = commands.task_claim(contributor_id=make_user("contributor").pk, project_id=project.id)

        assert task is not None
        assert task.status == "claimed"
    finally:
        from_another_process("ALTER TABLE tasks_task DROP COLUMN IF EXISTS added_by_a_later_release")


def from_another_process(sql: str) -> None:
    params = connection.get_connection_params()
    for django_only in ("cursor_factory", "context", "prepare_threshold"):
        params.pop(django_only, None)
    with psycopg.connect(**params, autocommit=True) as other:
        other.execute(sql)


@pytest.mark.parametrize(("setting", "threshold"), [(None, 5), ("2", 2), ("0", None)])
def test_prepared_statements_are_on_unless_a_pooler_needs_them_off(
    setting: str | None, threshold: int | None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    overrides = {"DATABASE_URL": POSTGRES_URL}
    if setting is not None:
        overrides["PG_PREPARE_THRESHOLD"] = setting
    for key, value in production_env(tmp_path, **overrides).items():
        monkeypatch.setenv(key, value)
    if setting is None:
        monkeypatch.delenv("PG_PREPARE_THRESHOLD", raising=False)
    settings = runpy.run_path(str(SETTINGS_FILE))

    assert settings["DATABASES"]["default"]["OPTIONS"]["prepare_threshold"] == threshold
