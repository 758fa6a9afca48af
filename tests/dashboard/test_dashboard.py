"""The ops pages: the queues across projects with their SLA levels and trends, a project's late
items, a task's rounds, and steering through the API's own commands and permission."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse

from dashboard.selectors import ops_overview, review_trends, sla_level
from marlin.kernel import chance, clock
from reviews.commands import review_decide
from reviews.models import ReviewAssignment
from tasks.commands import task_claim
from tasks.models import Project, Task
from tests.factories import client_for, import_tasks, make_project, make_user, pending_review, submitted_task
from tests.support.settle import settle

pytestmark = pytest.mark.django_db


@pytest.fixture
def ops_client(client):
    client.force_login(make_user("ops", username="opal"))
    return client


def approve(task_id) -> None:
    review = pending_review(task_id)
    review_decide(reviewer_id=review.reviewer_id, assignment_id=review.id, decision="approve")
    settle()


def test_sla_levels_compare_an_age_with_the_limit() -> None:
    assert sla_level(None, 60) is None
    assert sla_level(100, None) is None
    assert sla_level(44 * 60, 60) == "ok"
    assert sla_level(45 * 60, 60) == "warn"
    assert sla_level(60 * 60, 60) == "late"


def test_the_queues_page_shows_totals_across_projects_and_a_row_per_project(ops_client) -> None:
    first, second = make_project(name="First project"), make_project(name="Second project")
    import_tasks(first, 3)
    import_tasks(second, 2)
    make_user("reviewer", username="rev-dash")
    submitted_task(first)
    settle()

    page = ops_client.get("/ops/")

    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="total-open">4<' in html
    assert 'id="total-in-review">1<' in html
    assert "First project" in html
    assert "Second project" in html
    assert reverse("ops-project", args=[first.id]) in html
    assert page.context["overview"]["totals"]["live"] == {
        "open": 4,
        "claimed": 0,
        "in_review": 1,
        "changes_requested": 0,
    }


def test_finished_states_show_counts_and_no_ages() -> None:
    project = make_project(review_layers=1)
    import_tasks(project, 1)
    make_user("reviewer")
    task_id, _ = submitted_task(project)
    settle()
    approve(task_id)

    [entry] = [p for p in ops_overview()["projects"] if p["id"] == project.id]

    assert entry["finished"] == {"approved": 1, "rejected": 0, "cancelled": 0}
    assert "approved" not in entry["live"]


def test_an_old_claim_is_late_against_the_projects_claim_timeout() -> None:
    project = make_project(claim_timeout_minutes=60)
    import_tasks(project, 1)
    contributor = make_user("contributor")
    start = clock.now()
    with clock.pinned_at(start):
        task_claim(contributor_id=contributor.pk, project_id=project.id)

    with clock.pinned_at(start + timedelta(minutes=50)):
        [warn] = [p for p in ops_overview()["projects"] if p["id"] == project.id]
    with clock.pinned_at(start + timedelta(minutes=61)):
        [late] = [p for p in ops_overview()["projects"] if p["id"] == project.id]

    assert warn["live"]["claimed"]["level"] == "warn"
    assert late["live"]["claimed"]["level"] == "late"
    assert late["overdue_claims"] == 1


def test_a_project_nobody_can_claim_or_review_is_flagged(ops_client) -> None:
    project = make_project(name="Rust only", required_skills=["rust"])
    import_tasks(project, 1)

    html = ops_client.get("/ops/").content.decode()

    assert "no contributor has rust: nobody can claim" in html
    assert "no reviewer can take layer 1, 2" in html


def test_the_project_page_lists_overdue_reviews_linked_to_their_tasks(ops_client) -> None:
    project = make_project(name="Late reviews", review_timeout_minutes=60)
    import_tasks(project, 1)
    make_user("reviewer", username="slow-rev")
    task_id, _ = submitted_task(project)
    settle()

    with clock.pinned_at(clock.now() + timedelta(minutes=90)):
        page = ops_client.get(reverse("ops-project", args=[project.id]))

    html = page.content.decode()
    assert page.context["overdue_reviews"].paginator.count == 1
    assert reverse("ops-task", args=[task_id]) in html
    assert "slow-rev" in html


def test_ops_reassign_a_review_from_the_page_to_a_named_reviewer(ops_client) -> None:
    project = make_project()
    import_tasks(project, 1)
    make_user("reviewer", username="first-rev")
    task_id, _ = submitted_task(project)
    settle()
    make_user("reviewer", username="second-rev")
    review = pending_review(task_id)

    answer = ops_client.post(
        reverse("ops-review-reassign", args=[review.id]), {"reviewer": "second-rev"}, follow=True
    )

    assert answer.status_code == 200
    assert "Reassigned to second-rev" in answer.content.decode()
    assert pending_review(task_id).reviewer.username == "second-rev"
    assert ReviewAssignment.objects.get(pk=review.id).status == "reassigned"


@pytest.fixture
def held_review():
    """A task whose only eligible reviewer holds its layer-1 review: the task, its contributor."""
    project = make_project()
    import_tasks(project, 1)
    make_user("reviewer", username="only-rev")
    task_id, contributor = submitted_task(project)
    settle()
    return task_id, contributor


def test_a_reassignment_to_an_unknown_reviewer_is_refused_and_changes_nothing(
    ops_client, held_review
) -> None:
    task_id, _ = held_review
    review = pending_review(task_id)

    answer = ops_client.post(
        reverse("ops-review-reassign", args=[review.id]), {"reviewer": "nobody-by-that-name"}, follow=True
    )

    assert "Refused (invalid): Invalid input. reviewer: no such person: &#x27;nobody-by-that-name&#x27;" in (
        answer.content.decode()
    )
    assert pending_review(task_id).id == review.id


def test_a_reassignment_to_someone_ineligible_names_the_rule_broken(ops_client, held_review) -> None:
    task_id, contributor = held_review
    review = pending_review(task_id)

    answer = ops_client.post(
        reverse("ops-review-reassign", args=[review.id]), {"reviewer": contributor.username}, follow=True
    )

    assert "Refused (not_a_reviewer): not eligible for this review: the reviewer is not a reviewer" in (
        answer.content.decode()
    )
    assert pending_review(task_id).id == review.id


def test_ops_pause_and_resume_a_project_from_the_page(ops_client) -> None:
    project = make_project(name="Steered")

    ops_client.post(reverse("ops-project-pause", args=[project.id]))
    paused = Project.objects.get(pk=project.id).status
    answer = ops_client.post(reverse("ops-project-resume", args=[project.id]), follow=True)

    assert paused == "paused"
    assert Project.objects.get(pk=project.id).status == "active"
    assert "Steered is active again." in answer.content.decode()


def test_ops_cancel_a_task_from_the_page_with_a_reason(ops_client) -> None:
    project = make_project()
    [task_id] = import_tasks(project, 1)

    answer = ops_client.post(
        reverse("ops-task-cancel", args=[task_id]), {"reason": "duplicate prompt"}, follow=True
    )

    assert "The task is cancelled." in answer.content.decode()
    assert Task.objects.get(pk=task_id).status == "cancelled"


def test_the_task_page_shows_ops_a_gold_tasks_answer_and_nothing_for_other_tasks(ops_client) -> None:
    project = make_project()
    [plain] = import_tasks(project, 1)
    [gold] = import_tasks(project, 1, prefix="g", gold={"preference": "tie", "explanation": "Both sort."})

    gold_page = ops_client.get(reverse("ops-task", args=[gold])).content.decode()
    plain_page = ops_client.get(reverse("ops-task", args=[plain])).content.decode()

    assert 'id="task-gold">tie (scored, never reviewed): Both sort.' in gold_page
    assert 'id="task-gold"' not in plain_page


def test_a_cancel_without_a_reason_is_refused_as_the_api_refuses_it(ops_client) -> None:
    project = make_project()
    [task_id] = import_tasks(project, 1)

    answer = ops_client.post(reverse("ops-task-cancel", args=[task_id]), {"reason": ""}, follow=True)

    assert "Refused (invalid): reason" in answer.content.decode()
    assert Task.objects.get(pk=task_id).status == "open"


def test_cancelling_an_approved_task_is_refused_with_the_commands_code(ops_client) -> None:
    project = make_project(review_layers=1)
    import_tasks(project, 1)
    make_user("reviewer")
    task_id, _ = submitted_task(project)
    settle()
    approve(task_id)

    answer = ops_client.post(
        reverse("ops-task-cancel", args=[task_id]), {"reason": "changed my mind"}, follow=True
    )

    assert "Refused (" in answer.content.decode()
    assert Task.objects.get(pk=task_id).status == "approved"


@pytest.mark.parametrize("role", ["reviewer", "contributor", "finance"])
def test_the_ops_pages_and_their_actions_refuse_everyone_but_ops(client, role) -> None:
    project = make_project()
    [task_id] = import_tasks(project, 1)
    client.force_login(make_user(role))

    pages = [client.get(path).status_code for path in ("/ops/", reverse("ops-project", args=[project.id]))]
    pages.append(client.get(reverse("ops-task", args=[task_id])).status_code)
    cancel = client.post(reverse("ops-task-cancel", args=[task_id]), {"reason": "not mine to cancel"})
    pause = client.post(reverse("ops-project-pause", args=[project.id]))

    assert pages == [403, 403, 403]
    assert (cancel.status_code, pause.status_code) == (403, 403)
    assert Task.objects.get(pk=task_id).status == "open"
    assert Project.objects.get(pk=project.id).status == "active"


def test_strangers_are_sent_to_sign_in(client) -> None:
    answer = client.get("/ops/")

    assert answer.status_code == 302
    assert answer["Location"].startswith("/api/v1/login/?next=/ops/")


def test_the_api_and_the_page_refuse_the_same_people(client) -> None:
    """The page guards with the API view's own permission class: same people in, same out."""
    project = make_project()
    for role in ("ops", "reviewer", "finance"):
        person = make_user(role)
        client.force_login(person)
        page = client.post(reverse("ops-project-pause", args=[project.id]))
        api = client_for(person).post(f"/api/v1/projects/{project.id}/resume/")
        assert (page.status_code == 403) == (api.status_code == 403), role


def test_trends_count_the_backlog_per_layer_at_each_days_end_and_the_final_decisions() -> None:
    project = make_project(review_layers=2)
    import_tasks(project, 2)
    make_user("reviewer", reviewer_level=2)
    make_user("reviewer", reviewer_level=2)
    start = clock.now() - timedelta(days=3)
    with clock.pinned_at(start):
        first, _ = submitted_task(project)
        second, _ = submitted_task(project)
        settle()
    with clock.pinned_at(start + timedelta(days=1)):
        approve(first)  # layer 1 -> layer 2
    with clock.pinned_at(start + timedelta(days=2)):
        approve(first)  # final

    trends = review_trends(7, project_id=project.id)

    # Day -3: both in layer 1; day -2: one moved to layer 2; day -1: it was approved.
    assert trends.backlog_by_layer[1][-4:] == [2, 1, 1, 1]
    assert trends.backlog_by_layer[2][-4:] == [0, 1, 0, 0]
    assert trends.approvals[-4:] == [0, 0, 1, 0]
    assert trends.first_pass_rate[-4:] == [None, None, 1.0, None]
    assert trends.median_hours_to_decision[-2] == 48.0
    assert second  # still waiting at layer 1


def test_the_queues_page_draws_its_four_charts_for_7_or_30_days(ops_client) -> None:
    seven = ops_client.get("/ops/")
    thirty = ops_client.get("/ops/?days=30")
    nonsense = ops_client.get("/ops/?days=banana")

    html = seven.content.decode()
    for chart in ("chart-backlog", "chart-decisions", "chart-first-pass", "chart-time-to-decision"):
        assert f'id="{chart}"' in html
    assert len(seven.context["charts"]["trends"].days) == 7
    assert len(thirty.context["charts"]["trends"].days) == 30
    assert nonsense.status_code == 200
    assert len(nonsense.context["charts"]["trends"].days) == 7


def test_the_queues_page_costs_the_same_queries_for_many_projects_as_for_one(
    ops_client, django_assert_max_num_queries
) -> None:
    make_project()
    ops_client.get("/ops/")  # warm the session
    with django_assert_max_num_queries(40) as few:
        ops_client.get("/ops/")
    for _ in range(10):
        import_tasks(make_project(), 2)
    with django_assert_max_num_queries(len(few.captured_queries)):
        ops_client.get("/ops/")


def test_the_task_page_shows_each_submission_canonical_with_the_order_its_contributor_saw(ops_client) -> None:
    project = make_project()
    import_tasks(project, 2)
    with chance.pinned_coin(True):
        swapped, _ = submitted_task(project, preference="A")  # stored as B
    plain, _ = submitted_task(project, preference="A")

    pages = {
        task_id: ops_client.get(reverse("ops-task", args=[task_id])).content.decode()
        for task_id in (swapped, plain)
    }

    assert "shown swapped" in pages[swapped]
    assert '<td>B</td><td class="presented-swapped">yes</td>' in pages[swapped]
    assert '<td>A</td><td class="presented-swapped">no</td>' in pages[plain]
