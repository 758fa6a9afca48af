"""Who stands out: the flagged people of every project, read in a fixed number of queries."""

from __future__ import annotations

import pytest

from quality import domain
from quality.selectors import reviewer_rows, standouts
from tests.factories import import_tasks, make_project, make_user
from tests.quality.workday import Workday, overturned_reviewer

pytestmark = pytest.mark.django_db


@pytest.fixture
def small_evidence(monkeypatch):
    """Two tasks are enough evidence here; the real thresholds are tested in the domain."""
    monkeypatch.setattr(domain, "MIN_APPROVALS_TO_JUDGE", 1)
    monkeypatch.setattr(domain, "MIN_OVERTURNED_TO_FLAG", 1)


def test_a_reviewer_overturned_more_than_the_median_stands_out_in_their_project(small_evidence) -> None:
    day = Workday()
    careless = overturned_reviewer(day)
    quiet = make_project()

    found = standouts([day.project.id, quiet.id])

    assert list(found) == [day.project.id]
    [person] = found[day.project.id]
    assert (person.kind, person.person, person.flags) == ("reviewer", careless, ("overturned_often",))


def test_nobody_stands_out_on_the_real_thresholds_after_two_tasks() -> None:
    day = Workday()
    overturned_reviewer(day)

    assert standouts([day.project.id]) == {}


def test_standouts_cost_the_same_queries_for_many_projects(
    small_evidence, django_assert_max_num_queries
) -> None:
    day = Workday()
    overturned_reviewer(day)
    with django_assert_max_num_queries(11) as one:  # 10, and one for calibration plants' scores
        standouts([day.project.id])
    others = [make_project() for _ in range(5)]
    for project in others:
        import_tasks(project, 1)
    with django_assert_max_num_queries(len(one.captured_queries)):
        standouts([day.project.id, *(project.id for project in others)])


def test_only_the_approval_a_later_layer_sent_back_counts_as_overturned(small_evidence) -> None:
    day = Workday()
    task = day.submit(make_user("contributor"), minutes=30)
    first = day.decide(task, "approve")
    day.decide(task, "request_changes")
    for _ in range(2):
        fine = day.submit(make_user("contributor"), minutes=30)
        day.decide(fine, "approve")
        day.decide(fine, "approve")

    rows = {row["reviewer"]: row for row in reviewer_rows(day.project.id)}

    assert rows[first]["overturned_by_later_layer"] == 1
    assert sum(row["overturned_by_later_layer"] for row in rows.values()) == 1
