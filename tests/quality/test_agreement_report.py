"""Agreement in the quality reports: over items with two or more approved judgments (project
``overlap``), percent agreement and Krippendorff's alpha per project, and each contributor's
agreement with the others on the same items, as JSON, CSV and on the dashboard's quality page."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest

from quality.reports import CONTRIBUTOR_COLUMNS
from tasks.commands import task_claim, task_submit
from tasks.importing import task_import
from tasks.models import Project
from tests.factories import client_for, judgment, make_project, make_user, task_row
from tests.quality.workday import decide
from tests.support.settle import settle

pytestmark = pytest.mark.django_db


class Overlapping:
    """A one-layer project of items judged by several contributors, each decision by whoever
    routing assigned."""

    def __init__(self, *items: str, overlap: int = 3, **project: Any) -> None:
        self.project = make_project(review_layers=1, overlap=overlap, **project)
        task_import(
            actor_id=None,
            project_id=self.project.id,
            rows=[(n, task_row(item)) for n, item in enumerate(items, 1)],
        )

    def judge(self, contributor: Any, preferences: dict[str, str], *, decision: str = "approve") -> str:
        """The contributor claims their next task and prefers what ``preferences`` says for its item."""
        task = task_claim(contributor_id=contributor.pk, project_id=self.project.id)
        assert task is not None, "no task left for this contributor"
        task_submit(
            contributor_id=contributor.pk,
            task_id=task.id,
            judgment=judgment(preference=preferences[task.item]),
        )
        settle()
        decide(task.id, decision, reason="wrong_preference")
        return task.item


def contributors_report(project: Project, **params: str) -> Any:
    ops = client_for(make_user("ops"))
    return ops.get("/api/v1/quality/contributors/", {"project": str(project.id), **params})


@pytest.fixture
def reviewer() -> Any:
    return make_user("reviewer")


def test_agreement_over_shared_items_per_project_and_per_contributor(reviewer) -> None:
    board = Overlapping("q1", "q2")
    a, b, c = (make_user("contributor", name=name) for name in ("Ann", "Bo", "Cy"))
    said = {a: {"q1": "A", "q2": "B"}, b: {"q1": "A", "q2": "B"}, c: {"q1": "B", "q2": "B"}}
    for _ in range(2):
        for person in (a, b, c):
            board.judge(person, said[person])

    body = contributors_report(board.project).json()

    # q1: A A B (1 of 3 pairs agree), q2: B B B (3 of 3): 4 of 6 pairs. Alpha, by hand from the
    # coincidences: n = 6 (A 2, B 4), sum o_cc = 1 + 3 = 4, so (5 * 4 - 14) / (30 - 14) = 0.375.
    assert body["agreement"] == {"items": 2, "percent": 0.6667, "alpha": 0.375}
    rates = {row["name"]: row["agreement_rate"] for row in body["rows"]}
    # Ann and Bo each agree with one of the two others on q1 and both on q2; Cy with nobody on q1.
    assert rates == {"Ann": 0.75, "Bo": 0.75, "Cy": 0.5}


def test_only_approved_judgments_count_and_an_item_needs_two_of_them(reviewer) -> None:
    board = Overlapping("q1", "q2", overlap=2)
    a, b = make_user("contributor", name="Ann"), make_user("contributor", name="Bo")
    board.judge(a, {"q1": "A", "q2": "A"})
    board.judge(b, {"q1": "B", "q2": "B"}, decision="reject")
    board.judge(a, {"q1": "A", "q2": "A"})
    board.judge(b, {"q1": "A", "q2": "A"})

    body = contributors_report(board.project).json()

    # One item has two approved judgments (both A); the other only one, after a rejection.
    assert body["agreement"]["items"] == 1
    assert body["agreement"]["percent"] == 1.0
    assert body["agreement"]["alpha"] is None  # every judgment the same: chance cannot be told apart
    assert {row["name"]: row["agreement_rate"] for row in body["rows"]} == {"Ann": 1.0, "Bo": 1.0}


def test_without_shared_items_agreement_is_empty_not_zero(reviewer) -> None:
    board = Overlapping("q1", overlap=1)
    board.judge(make_user("contributor"), {"q1": "A"})

    body = contributors_report(board.project).json()

    assert body["agreement"] == {"items": 0, "percent": None, "alpha": None}
    assert [row["agreement_rate"] for row in body["rows"]] == [None]


def test_gold_items_do_not_count_towards_agreement(reviewer) -> None:
    project = make_project(review_layers=1, overlap=2)
    gold = {"preference": "A", "explanation": "A handles the empty list; B raises on it."}
    task_import(actor_id=None, project_id=project.id, rows=[(1, task_row("g1", gold=gold))])
    for _ in range(2):
        contributor = make_user("contributor")
        task = task_claim(contributor_id=contributor.pk, project_id=project.id)
        task_submit(contributor_id=contributor.pk, task_id=task.id, judgment=judgment(preference="A"))
        settle()

    body = contributors_report(project).json()

    assert body["agreement"] == {"items": 0, "percent": None, "alpha": None}


def test_the_csv_report_carries_each_contributors_agreement_rate(reviewer) -> None:
    board = Overlapping("q1", overlap=2)
    a, b = make_user("contributor", name="Ann"), make_user("contributor", name="Bo")
    board.judge(a, {"q1": "A"})
    board.judge(b, {"q1": "B"})

    answer = contributors_report(board.project, format="csv")
    rows = list(csv.DictReader(io.StringIO(b"".join(answer.streaming_content).decode())))

    assert list(rows[0]) == list(CONTRIBUTOR_COLUMNS)
    assert {row["name"]: row["agreement_rate"] for row in rows} == {"Ann": "0.0", "Bo": "0.0"}


def test_the_quality_page_shows_agreement(client, reviewer) -> None:
    board = Overlapping("q1", overlap=2)
    a, b = make_user("contributor", name="Ann"), make_user("contributor", name="Bo")
    board.judge(a, {"q1": "A"})
    board.judge(b, {"q1": "A"})
    ops = make_user("ops")
    client.force_login(ops)

    page = client.get(f"/ops/projects/{board.project.id}/quality/").content.decode()

    assert "Agreement on <strong>1</strong> item with two or more approved judgments" in page
    assert "<strong>100.0%</strong> of pairs agree" in page
