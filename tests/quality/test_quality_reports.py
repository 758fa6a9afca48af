"""``GET quality/contributors/`` and ``GET quality/reviewers/``: ops read each person's figures in
a project, as JSON or CSV, and they agree with a replay of the event log."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from django.core.management import call_command

from marlin.kernel import chance
from quality.reports import CONTRIBUTOR_COLUMNS, REVIEWER_COLUMNS
from tasks.commands import task_submit
from tasks.models import Project
from tests.factories import client_for, judgment, make_project, make_user
from tests.quality.brute_force import replay
from tests.quality.workday import Workday
from tests.support.settle import settle

pytestmark = pytest.mark.django_db


def report(kind: str, project: Project, **params: str) -> Any:
    ops = make_user("ops")
    return client_for(ops).get(f"/api/v1/quality/{kind}/", {"project": str(project.id), **params})


def test_contributors_report_counts_tasks_outcomes_first_pass_revisions_and_time() -> None:
    day = Workday()
    careful, sloppy = make_user("contributor", name="Careful"), make_user("contributor", name="Sloppy")
    sent_back = day.submit(careful, minutes=40)
    day.decide(sent_back, "approve")
    day.decide(sent_back, "request_changes")
    task_submit(contributor_id=careful.pk, task_id=sent_back, judgment=judgment(time_spent_minutes=10))
    settle()
    day.decide(sent_back, "approve")
    clean = day.submit(careful, minutes=55)
    day.decide(clean, "approve")
    day.decide(clean, "approve")
    rejected = day.submit(sloppy, minutes=3)
    day.decide(rejected, "reject")

    answer = report("contributors", day.project)

    assert answer.status_code == 200
    body = answer.json()
    assert body["project"] == str(day.project.id)
    assert body["agreement"] == {"items": 0, "percent": None, "alpha": None}  # no item with overlap
    rows = {row["name"]: row for row in body["rows"]}
    assert list(rows["Careful"]) == list(CONTRIBUTOR_COLUMNS)
    assert {key: rows["Careful"][key] for key in CONTRIBUTOR_COLUMNS[2:8]} == {
        "submitted": 2,
        "approved": 2,
        "rejected": 0,
        "first_pass_approval_rate": 0.5,
        "mean_revisions": 0.5,
        "mean_time_spent_minutes": 35.0,  # (40 + 10 + 55) / 3 versions
    }
    assert rows["Sloppy"]["rejected"] == 1
    assert rows["Sloppy"]["first_pass_approval_rate"] == 0.0
    assert (rows["Careful"]["appeals_filed"], rows["Careful"]["appeals_won"]) == (
        0,
        0,
    )  # none: zero, not null


def test_reviewers_report_counts_decisions_shares_and_approvals_a_later_layer_overturned() -> None:
    day = Workday()
    contributor = make_user("contributor")
    task = day.submit(contributor, minutes=30)
    first_layer = day.decide(task, "approve")
    second_layer = day.decide(task, "request_changes")

    rows = {row["reviewer"]: row for row in report("reviewers", day.project).json()["rows"]}

    assert list(rows[first_layer]) == list(REVIEWER_COLUMNS)
    assert rows[first_layer]["decisions"] == 1
    assert rows[first_layer]["approve_rate"] == 1.0
    assert rows[first_layer]["overturned_by_later_layer"] == 1
    assert rows[second_layer]["request_changes_rate"] == 1.0
    assert rows[second_layer]["overturned_by_later_layer"] == 0
    assert rows[second_layer]["median_decision_minutes"] >= 0
    assert (rows[second_layer]["calibration_seen"], rows[second_layer]["calibration_catch_rate"]) == (0, None)


def test_the_csv_has_the_json_columns_and_no_cell_starts_a_formula() -> None:
    day = Workday()
    day.submit(make_user("contributor", name='=HYPERLINK("http://evil.example","x")'), minutes=20)

    answer = report("contributors", day.project, format="csv")

    assert answer.status_code == 200
    assert answer["Content-Type"].startswith("text/csv")
    lines = list(csv.reader(io.StringIO(b"".join(answer.streaming_content).decode())))
    assert lines[0] == list(CONTRIBUTOR_COLUMNS)
    assert lines[1][1].startswith("'=HYPERLINK")
    assert lines[1][2] == "1"  # submitted


@pytest.mark.parametrize("kind", ["contributors", "reviewers"])
def test_a_report_needs_a_project_that_exists(kind: str) -> None:
    ops = client_for(make_user("ops"))
    missing = ops.get(f"/api/v1/quality/{kind}/")
    unknown = ops.get(f"/api/v1/quality/{kind}/", {"project": "7d0f4c9e-51c1-4a8a-9d61-3f0a2b1c9e11"})
    csv_missing = ops.get(f"/api/v1/quality/{kind}/", {"format": "csv"})

    assert missing.status_code == 400
    assert "project" in missing.json()["error"]["fields"]
    assert unknown.status_code == 404
    assert csv_missing.status_code == 400
    assert csv_missing["Content-Type"].startswith("application/json")


@pytest.mark.parametrize("role", ["contributor", "reviewer", "finance"])
def test_only_ops_read_the_quality_reports(role: str) -> None:
    project = make_project()
    answer = client_for(make_user(role)).get("/api/v1/quality/contributors/", {"project": str(project.id)})
    assert answer.status_code == 403


def test_the_reports_equal_a_replay_of_the_event_log_over_a_simulated_workload() -> None:
    with chance.pinned_coin(None):  # claims draw their order for real, as in production
        call_command(
            "simulate", here=True, tasks=30, contributors=6, reviewers=5, rounds=160, seed=5, no_progress=True
        )
    ops = client_for(make_user("ops"))

    for project in Project.objects.all():
        contributors, reviewers = replay(project.id)
        params = {"project": str(project.id)}
        by_contributor = {
            row["contributor"]: {key: row[key] for key in contributors.get(row["contributor"], {})}
            for row in ops.get("/api/v1/quality/contributors/", params).json()["rows"]
        }
        by_reviewer = {
            row["reviewer"]: {key: row[key] for key in reviewers.get(row["reviewer"], {})}
            for row in ops.get("/api/v1/quality/reviewers/", params).json()["rows"]
        }
        assert contributors
        assert reviewers
        assert by_contributor == contributors
        assert by_reviewer == reviewers
        # The workload has what the figures are about: rejections, revisions, overturned approvals.
        assert any(figures["rejected"] for figures in contributors.values())
        assert any(figures["mean_revisions"] for figures in contributors.values())
        assert any(figures["overturned_by_later_layer"] for figures in reviewers.values())
        assert any(
            figures["first_position_rate"] not in {None, 0.0, 1.0} for figures in contributors.values()
        )
