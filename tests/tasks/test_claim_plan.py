"""The claim picks the next task from an index in queue order: no Sort of the open set, and
only narrow columns read to pick and lock it (never the task's large texts)."""

from __future__ import annotations

import json

import pytest
from django.db import connection

from tasks.commands import task_claim
from tasks.selectors import _CANDIDATE_ANYWHERE, _CANDIDATE_IN_PROJECT, _LOCK_CLAIMANT, claimable_tasks
from tests.factories import import_tasks, make_project, make_user

pytestmark = [pytest.mark.django_db, pytest.mark.postgres_only]


def explained(sql: str, params, *, analyze: bool = False) -> dict:
    """The statement's plan (run, with actual rows, when ``analyze``)."""
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN ({'ANALYZE, ' if analyze else ''}FORMAT JSON) {sql}", params)
        (plan,) = cursor.fetchone()
    return (json.loads(plan) if isinstance(plan, str) else plan)[0]["Plan"]


def plan_of(queryset) -> dict:
    return explained(*queryset.query.sql_with_params())


def nodes(plan: dict) -> list[dict]:
    found = [plan]
    for child in plan.get("Plans", []):
        found += nodes(child)
    return found


def claim_query(contributor, project_id=None):
    return claimable_tasks(contributor, project_id=project_id).select_for_update(
        skip_locked=True, of=("self",)
    )[:1]


@pytest.mark.parametrize("by_project", [True, False], ids=["one project", "any project"])
def test_the_claim_reads_the_open_queue_index_in_order_without_sorting(by_project: bool) -> None:
    project = make_project()
    import_tasks(project, 1200, priority=3)  # past the size after which an import analyzes
    contributor = make_user("contributor")
    with connection.cursor() as cursor:
        # The import analyzed the tasks; the projects' and people's statistics are whatever the
        # suite's earlier committed tests left (seen once: a hash join and a Sort chosen on them).
        cursor.execute("ANALYZE tasks_project, people_user")

    plan = plan_of(claim_query(contributor, project.id if by_project else None))

    kinds = [node["Node Type"] for node in nodes(plan)]
    assert not {"Sort", "Incremental Sort"} & set(kinds), kinds
    task_scans = [node for node in nodes(plan) if node.get("Relation Name") == "tasks_task"]
    assert len(task_scans) == 1, task_scans
    assert task_scans[0].get("Index Name") in {"task_open_queue", "task_open_queue_by_project"}, task_scans


def test_the_claim_selects_only_narrow_columns() -> None:
    sql = str(claim_query(make_user("contributor")).query)

    select_list = sql.split(" FROM ", 1)[0]
    for large in ("prompt", "response_a", "response_b", "context"):
        assert large not in select_list


TYPES = {"me": "integer", "skills": "text[]", "project": "uuid", "stream_prefix": "text"}


def generic_plan_of(sql: str, values: dict) -> dict:
    """The plan PostgreSQL keeps for a prepared statement it plans once for any parameters (what
    it may do once psycopg has prepared a statement that runs often)."""
    names = list(values)
    for number, name in enumerate(names, start=1):
        sql = sql.replace(f"%({name})s", f"${number}")
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL plan_cache_mode = force_generic_plan")
        types = ", ".join(TYPES[name] for name in names)
        cursor.execute(f"PREPARE claim_plan ({types}) AS {sql}")
        try:
            arguments = ", ".join(f"%s::{TYPES[name]}" for name in names)
            # EXPLAIN takes no bound parameters: the values are written into the statement.
            cursor.execute(
                connection.ops.compose_sql(
                    f"EXPLAIN (FORMAT JSON) EXECUTE claim_plan({arguments})", list(values.values())
                )
            )
            (plan,) = cursor.fetchone()
        finally:
            cursor.execute("DEALLOCATE claim_plan")
    return (json.loads(plan) if isinstance(plan, str) else plan)[0]["Plan"]


@pytest.mark.parametrize("by_project", [True, False], ids=["one project", "any project"])
def test_the_claim_statement_reads_the_index_even_in_a_generic_plan(by_project: bool) -> None:
    # With the status as a parameter, a generic plan cannot prove the partial index applies:
    # it scanned and sorted the open set (23 ms on 10,000 tasks).
    project = make_project()
    import_tasks(project, 1200, priority=3)
    contributor = make_user("contributor")
    values = {"me": contributor.pk, "skills": ["python"], "stream_prefix": "task-"}
    if by_project:
        values["project"] = project.id

    plan = generic_plan_of(_CANDIDATE_IN_PROJECT if by_project else _CANDIDATE_ANYWHERE, values)

    kinds = [node["Node Type"] for node in nodes(plan)]
    assert not {"Sort", "Incremental Sort"} & set(kinds), kinds
    task_scans = [node for node in nodes(plan) if node.get("Alias") == "t"]
    assert [scan.get("Index Name") for scan in task_scans] in (
        ["task_open_queue"],
        ["task_open_queue_by_project"],
    )


@pytest.mark.parametrize(
    ("statement", "alias"),
    [(_LOCK_CLAIMANT, "t"), (_CANDIDATE_IN_PROJECT, "h")],
    ids=["locking the claimant", "picking the candidate"],
)
def test_the_task_a_person_holds_is_probed_by_person_on_statistics_from_before_the_claims(
    statement: str, alias: str
) -> None:
    # The import analyzed the tasks when none was claimed. The claim expiry index, keyed on
    # status = 'claimed', then looked like a one-row scan for "the task this person holds": the
    # planner read every claim in force for it, twice a claim.
    project = make_project()
    import_tasks(project, 1200, priority=3)
    claimants = [make_user("contributor") for _ in range(40)]
    for claimant in claimants:
        assert task_claim(contributor_id=claimant.pk, project_id=project.id) is not None
    values = {"me": claimants[-1].pk, "skills": [], "project": project.id, "stream_prefix": "task-"}

    plan = explained(statement, values, analyze=True)

    (held,) = [node for node in nodes(plan) if node.get("Alias") == alias]
    assert held.get("Index Name") == "task_by_contributor", held
    assert "contributor_id" in held["Index Cond"], held
    assert "status" in held["Index Cond"], held
    assert held["Actual Rows"] == 1
