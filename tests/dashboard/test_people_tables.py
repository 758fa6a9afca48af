"""The ops tables of reviewers and contributors: the figures on a small constructed workload, the
filters, sorting and paging, who may see them, and a page's cost that does not grow with people."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from uuid import UUID

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from dashboard.people_tables import (
    Activity,
    ContributorFilter,
    ReviewerFilter,
    contributor_rows,
    contributor_sorting,
    reviewer_rows,
    reviewer_sorting,
)
from dashboard.templatetags.marlin_format import human_age, percent, seconds_since, thousands
from marlin.kernel import clock
from people.commands import person_update
from people.models import User
from reviews.commands import review_decide
from tasks.commands import task_claim, task_submit
from tests.factories import import_tasks, judgment, make_project, make_user, pending_review, submitted_task
from tests.support.settle import settle

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
DASH = "\N{EN DASH}"  # what a page shows for a figure that does not exist


def _reviewed(project, contributor: User, reviewer: User, decisions: list[str], at: datetime) -> UUID:
    """At ``at``, ``contributor`` submits the next task; ``reviewer`` (the only one with room)
    decides each round in turn, the contributor revising after a request for changes."""
    with clock.pinned_at(at):
        task_id, _ = submitted_task(project, contributor)
        for round_number, decision in enumerate(decisions):
            if round_number:
                task_submit(contributor_id=contributor.pk, task_id=task_id, judgment=judgment())
            settle()
            assignment = pending_review(task_id)
            assert assignment.reviewer_id == reviewer.pk
            review_decide(
                reviewer_id=reviewer.pk,
                assignment_id=assignment.id,
                decision=decision,
                feedback="Scores for B do not match the rationale.",
                reasons=[] if decision == "approve" else ["inconsistent_scores"],
            )
            settle()
    return task_id


@pytest.fixture
def workload() -> dict[str, User]:
    """Rita (capacity 1) reviews all of Cora's work: one approval 40 days ago (outside every
    window), an approval and a rejection 10 days ago, an approval and a request for changes
    then approval of the revision a day ago, and a review assigned 2 days ago, now overdue.
    Cora has claimed another task 3 hours ago (her claim expired an hour ago)."""
    with clock.pinned_at(NOW - timedelta(days=41)):
        project = make_project(name="Judgments", review_layers=1)
        import_tasks(project, 8)
        rita = make_user("reviewer", username="rita", name="Rita R", capacity=1, skills=["python"])
        cora = make_user("contributor", username="cora", name="Cora C", skills=["python"])
    _reviewed(project, cora, rita, ["approve"], NOW - timedelta(days=40))
    _reviewed(project, cora, rita, ["approve"], NOW - timedelta(days=10))
    _reviewed(project, cora, rita, ["reject"], NOW - timedelta(days=10))
    _reviewed(project, cora, rita, ["approve"], NOW - timedelta(days=1))
    _reviewed(project, cora, rita, ["request_changes", "approve"], NOW - timedelta(days=1))
    with clock.pinned_at(NOW - timedelta(days=2)):
        submitted_task(project, cora)
        settle()
    with clock.pinned_at(NOW - timedelta(hours=3)):
        held = task_claim(contributor_id=cora.pk, project_id=project.id)
        rosa = make_user("reviewer", username="rosa", name="Rosa S", reviewer_level=2, skills=["go"])
        carl = make_user("contributor", username="carl", name="Carl K", skills=["go"])
        rex = make_user("reviewer", username="rex", name="Rex Gone")
        ina = make_user("contributor", username="ina", name="Ina Gone")
        for gone in (rex, ina):
            person_update(actor_id=None, user_id=gone.pk, fields={"active": False})
    assert held is not None
    return {"rita": rita, "rosa": rosa, "rex": rex, "cora": cora, "carl": carl, "ina": ina, "held": held}


@pytest.fixture
def ops_client(client):
    client.force_login(make_user("ops"))
    return client


def _get(client, path: str, **params: str):
    with clock.pinned_at(NOW):
        return client.get(path, params)


def _usernames(page) -> list[str]:
    return [person.username for person in page.context["page"]]


def _reviewers(**filters) -> dict[str, User]:
    with clock.pinned_at(NOW):
        rows = reviewer_rows(filters=ReviewerFilter(**filters), sorting=reviewer_sorting(None))
        return {row.username: row for row in rows}


def _contributors(**filters) -> dict[str, User]:
    with clock.pinned_at(NOW):
        rows = contributor_rows(filters=ContributorFilter(**filters), sorting=contributor_sorting(None))
        return {row.username: row for row in rows}


# --- the figures ------------------------------------------------------------------------------


def test_reviewer_figures_count_decisions_in_their_windows_load_and_overdue_reviews(workload) -> None:
    rita = _reviewers()["rita"]

    assert (rita.pending, rita.capacity, rita.load) == (1, 1, 1.0)
    assert rita.overdue == 1  # assigned 2 days ago, due after 24 h
    assert rita.decisions_7d == 3  # approve, request changes, approve (a day ago)
    assert rita.decisions_per_day == pytest.approx(3 / 7)
    assert (rita.approvals_30d, rita.decisions_30d) == (3, 5)  # the one 40 days ago is out
    assert rita.approval_rate == pytest.approx(0.6)
    assert rita.last_assigned_at == NOW - timedelta(days=2)


def test_a_reviewer_without_decisions_has_no_approval_rate_rather_than_zero(workload) -> None:
    rosa = _reviewers()["rosa"]

    assert (rosa.pending, rosa.overdue, rosa.decisions_7d) == (0, 0, 0)
    assert rosa.approval_rate is None
    assert rosa.load == 0.0


def test_contributor_figures_count_submissions_outcomes_and_first_pass_approvals(workload) -> None:
    cora = _contributors()["cora"]

    assert cora.submitted_7d == 4  # two first submissions a day ago, one revision, one 2 days ago
    assert (cora.approved_30d, cora.rejected_30d) == (3, 1)  # the approval 40 days ago is out
    assert cora.first_pass_30d == 2  # the revised one is approved, but not at the first pass
    assert cora.first_pass_rate == pytest.approx(2 / 4)
    assert cora.changes_requested_30d == 1
    assert cora.held_task_id == workload["held"].id
    assert cora.held_claimed_at == NOW - timedelta(hours=3)
    assert cora.claim_overdue is True


def test_a_contributor_with_no_work_holds_nothing_and_has_no_rate(workload) -> None:
    carl = _contributors()["carl"]

    assert (carl.held_task_id, carl.claim_overdue, carl.submitted_7d) == (None, None, 0)
    assert carl.first_pass_rate is None


def test_the_reviewers_page_shows_load_against_capacity_rates_and_ages(workload, ops_client) -> None:
    html = _get(ops_client, "/ops/reviewers/").content.decode()
    rita_row = re.search(r"<td>rita</td>.*?</tr>", html, re.S).group(0)

    assert "1 / 1" in rita_row
    assert "0.4" in rita_row  # 3 decisions in 7 days
    assert "60.0%" in rita_row
    assert "2 d ago" in rita_row
    assert 'class="num sla-late">1<' in rita_row
    rosa_row = re.search(r"<td>rosa</td>.*?</tr>", html, re.S).group(0)
    assert DASH in rosa_row
    assert "None" not in rosa_row


def test_the_contributors_page_links_the_held_task_and_flags_the_overdue_claim(workload, ops_client) -> None:
    html = _get(ops_client, "/ops/contributors/").content.decode()
    cora_row = re.search(r"<td>cora</td>.*?</tr>", html, re.S).group(0)

    assert f'href="/ops/tasks/{workload["held"].id}/"' in cora_row
    assert "claimed 3 h ago" in cora_row
    assert "overdue" in cora_row
    assert "50.0%" in cora_row


# --- filters ----------------------------------------------------------------------------------


def test_inactive_people_are_hidden_unless_asked_for(workload, ops_client) -> None:
    assert "rex" not in _usernames(_get(ops_client, "/ops/reviewers/"))
    assert _usernames(_get(ops_client, "/ops/reviewers/", status="inactive")) == ["rex"]
    assert set(_usernames(_get(ops_client, "/ops/reviewers/", status="all"))) == {"rita", "rosa", "rex"}
    assert "ina" not in _usernames(_get(ops_client, "/ops/contributors/"))
    assert _usernames(_get(ops_client, "/ops/contributors/", status="inactive")) == ["ina"]


def test_reviewer_filters_narrow_by_search_level_skill_overdue_and_full(workload) -> None:
    assert set(_reviewers(search="ros")) == {"rosa"}
    assert set(_reviewers(search="rita r")) == {"rita"}  # the name too
    assert set(_reviewers(level=2)) == {"rosa"}
    assert set(_reviewers(skill="go")) == {"rosa"}
    assert set(_reviewers(overdue_only=True)) == {"rita"}
    assert set(_reviewers(full_only=True)) == {"rita"}
    assert set(_reviewers(activity=Activity.ALL, skill="python")) == {"rita"}


def test_contributor_filters_narrow_by_holding_and_overdue_claim(workload) -> None:
    assert set(_contributors(holding_only=True)) == {"cora"}
    assert set(_contributors(overdue_claim_only=True)) == {"cora"}
    assert set(_contributors(skill="go")) == {"carl"}
    assert set(_contributors(search="Carl")) == {"carl"}


def test_a_claim_not_yet_due_is_held_but_not_overdue(workload) -> None:
    with clock.pinned_at(NOW - timedelta(hours=2)):
        rows = contributor_rows(
            filters=ContributorFilter(overdue_claim_only=True), sorting=contributor_sorting(None)
        )
        assert list(rows) == []
        holding = ContributorFilter(holding_only=True)
        held = contributor_rows(filters=holding, sorting=contributor_sorting(None))
        assert [(p.username, p.claim_overdue) for p in held] == [("cora", False)]


def test_the_filter_form_answers_an_unreadable_value_beside_its_field_and_applies_the_rest(
    workload, ops_client
) -> None:
    page = _get(ops_client, "/ops/reviewers/", level="seven", search="rosa")

    assert page.status_code == 200
    assert _usernames(page) == ["rosa"]
    assert "level" in page.context["form"].errors


# --- sorting ----------------------------------------------------------------------------------


def test_reviewers_default_to_most_overdue_then_highest_load(workload, ops_client) -> None:
    with clock.pinned_at(NOW - timedelta(hours=3)):
        make_user("reviewer", username="aaron", capacity=0)  # full at 0 of 0: no load ratio

    assert _usernames(_get(ops_client, "/ops/reviewers/")) == ["rita", "rosa", "aaron"]


def test_any_column_sorts_both_ways_and_its_header_link_toggles(workload, ops_client) -> None:
    ascending = _get(ops_client, "/ops/reviewers/", sort="username")
    descending = _get(ops_client, "/ops/reviewers/", sort="-username")

    assert _usernames(ascending) == ["rita", "rosa"]
    assert _usernames(descending) == ["rosa", "rita"]
    header = next(h for h in ascending.context["headers"] if h.label == "username")
    assert (header.sorted, header.ascending, header.sort) == (True, True, "-username")
    assert 'href="?sort=-username"' in ascending.content.decode()
    approval = next(h for h in ascending.context["headers"] if h.label.startswith("approval"))
    assert approval.sort == "-approval"  # a figure sorts highest first on the first click
    assert _usernames(_get(ops_client, "/ops/contributors/", sort="-submitted")) == ["cora", "carl"]
    assert _usernames(_get(ops_client, "/ops/contributors/", sort="first_pass")) == ["cora", "carl"]


def test_a_sort_outside_the_whitelist_falls_back_to_the_default(workload, ops_client) -> None:
    page = _get(ops_client, "/ops/reviewers/", sort="password")

    assert page.status_code == 200
    assert page.context["sort"] == "-overdue"


def test_rows_without_a_figure_sort_last_in_both_directions(workload) -> None:
    for sort in ("approval", "-approval"):
        with clock.pinned_at(NOW):
            rows = reviewer_rows(filters=ReviewerFilter(), sorting=reviewer_sorting(sort))
            assert [r.username for r in rows] == ["rita", "rosa"]


# --- paging -----------------------------------------------------------------------------------


def test_pages_hold_50_and_keep_sort_and_filters_in_their_links(ops_client) -> None:
    for n in range(55):
        make_user("reviewer", username=f"rev{n:02d}", skills=["python"])

    first = _get(ops_client, "/ops/reviewers/", sort="-username", skill="python")
    second = _get(ops_client, "/ops/reviewers/", sort="-username", skill="python", page="2")

    assert len(first.context["page"]) == 50
    assert f"1{DASH}50 of 55" in first.content.decode()
    assert "?sort=-username&amp;skill=python&amp;page=2" in first.content.decode()
    assert _usernames(second) == ["rev04", "rev03", "rev02", "rev01", "rev00"]
    assert f"51{DASH}55 of 55" in second.content.decode()


def test_a_page_past_the_end_shows_the_last_page(ops_client) -> None:
    make_user("reviewer", username="solo")

    assert _usernames(_get(ops_client, "/ops/reviewers/", page="9")) == ["solo"]


# --- who may look -----------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/ops/reviewers/", "/ops/contributors/"])
def test_strangers_are_sent_to_sign_in_and_people_without_ops_refused(client, path: str) -> None:
    stranger = client.get(path)
    assert stranger.status_code == 302
    assert "login" in stranger["Location"]
    for role in ("reviewer", "contributor", "finance"):
        client.force_login(make_user(role))
        assert client.get(path).status_code == 403
    client.force_login(make_user(is_superuser=True))
    assert client.get(path).status_code == 200


# --- cost -------------------------------------------------------------------------------------


def _queries_for(client, path: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert _get(client, path, sort="-approval").status_code == 200
    return len(captured)


@pytest.mark.parametrize("path", ["/ops/reviewers/", "/ops/contributors/"])
def test_a_page_costs_the_same_queries_however_many_people_it_shows(
    workload, ops_client, path: str, django_assert_max_num_queries
) -> None:
    few = _queries_for(ops_client, path)
    project = make_project(review_layers=1)
    import_tasks(project, 20, prefix="more")
    for n in range(20):
        make_user("reviewer", username=f"more-rev{n}", skills=["python"])
        submitted_task(project, make_user("contributor", username=f"more-con{n}", skills=["python"]))
    settle()

    many = _queries_for(ops_client, path)

    assert many == few
    with django_assert_max_num_queries(5):  # session, user, skill choices, count, rows
        _get(ops_client, path, sort="-approval")


# --- the figures' formats ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("seconds", "shown"),
    [
        (None, DASH),
        (-5, "0 s"),
        (0, "0 s"),
        (45, "45 s"),
        (59.9, "59 s"),
        (60, "1 min"),
        (12 * 60 + 30, "12 min"),
        (3600, "1 h"),
        (3 * 3600 + 20 * 60 + 59, "3 h 20 min"),
        (86400, "1 d"),
        (2 * 86400 + 4 * 3600 + 59 * 60, "2 d 4 h"),
    ],
)
def test_human_age_reads_a_duration_in_its_two_largest_units(seconds, shown: str) -> None:
    assert human_age(seconds) == shown


@pytest.mark.parametrize(("ratio", "shown"), [(0.8734, "87.3%"), (1.0, "100.0%"), (0, "0.0%"), (None, DASH)])
def test_percent_shows_a_ratio_with_one_decimal_and_a_dash_for_none(ratio, shown: str) -> None:
    assert percent(ratio) == shown


def test_thousands_and_seconds_since_read_counts_and_ages() -> None:
    assert thousands(1234) == "1,234"
    assert seconds_since(NOW - timedelta(minutes=2), NOW) == 120
    assert seconds_since(None, NOW) is None
