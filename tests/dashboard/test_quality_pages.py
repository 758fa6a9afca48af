"""The quality pages: the queues page lists who stands out per project, each linked to the
project's quality page, which shows both reports and their CSV files."""

from __future__ import annotations

import pytest
from django.urls import reverse
from selenium.webdriver.common.by import By

from quality import domain
from tasks.commands import task_claim, task_submit
from tests.factories import import_tasks, judgment, make_project, make_user
from tests.quality.judged import Board
from tests.quality.workday import Workday, overturned_reviewer
from tests.support.browser import sign_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def small_evidence(monkeypatch):
    monkeypatch.setattr(domain, "MIN_APPROVALS_TO_JUDGE", 1)
    monkeypatch.setattr(domain, "MIN_OVERTURNED_TO_FLAG", 1)


@pytest.fixture
def ops_client(client):
    client.force_login(make_user("ops"))
    return client


def test_the_queues_page_links_each_person_who_stands_out_to_their_row(small_evidence, ops_client) -> None:
    day = Workday(name="Quality project")
    careless = overturned_reviewer(day)

    html = ops_client.get("/ops/").content.decode()

    quality_page = reverse("ops-project-quality", args=[day.project.id])
    assert f'href="{quality_page}#reviewer-{careless}"' in html
    assert "overturned_often" in html


def test_the_queues_page_says_when_nobody_stands_out(ops_client) -> None:
    Workday()

    assert 'id="no-standouts"' in ops_client.get("/ops/").content.decode()


def test_the_quality_page_shows_both_reports_with_flagged_rows_marked(small_evidence, ops_client) -> None:
    day = Workday()
    careless = overturned_reviewer(day)

    page = ops_client.get(reverse("ops-project-quality", args=[day.project.id]))

    assert page.status_code == 200
    html = page.content.decode()
    assert f'<tr id="reviewer-{careless}" class="flagged">' in html
    assert html.count('<tr id="contributor-') == 3
    csv_link = f"/api/v1/quality/reviewers/?project={day.project.id}&amp;format=csv"
    assert csv_link in html
    csv_answer = ops_client.get(csv_link.replace("&amp;", "&"))  # the session is enough for the file
    assert csv_answer.status_code == 200
    assert b"overturned_often" in b"".join(csv_answer.streaming_content)


def test_an_unknown_project_has_no_quality_page(ops_client) -> None:
    assert ops_client.get("/ops/projects/7d0f4c9e-51c1-4a8a-9d61-3f0a2b1c9e11/quality/").status_code == 404


@pytest.mark.django_db(transaction=True)
def test_ops_follow_a_standout_from_the_queues_to_the_row_in_a_browser(
    small_evidence, browser, live_server
) -> None:
    day = Workday(name="Browser quality")
    careless = overturned_reviewer(day)
    make_user("ops", username="oona")

    sign_in(browser, live_server.url, "oona")
    browser.find_element(By.LINK_TEXT, "Queues").click()
    browser.find_element(By.CSS_SELECTOR, f"#standouts a[href$='#reviewer-{careless}']").click()

    row = browser.find_element(By.ID, f"reviewer-{careless}")
    assert "flagged" in row.get_attribute("class")
    assert "overturned_often" in row.text
    assert browser.find_element(By.ID, "reviewers-csv").get_attribute("href").endswith("format=csv")


def test_the_quality_page_shows_gold_accuracy_and_the_first_position_rate(ops_client) -> None:
    project = make_project(review_layers=1)
    import_tasks(project, 3)
    contributor = make_user("contributor")
    for preference in "AAB":
        task = task_claim(contributor_id=contributor.pk, project_id=project.id)
        task_submit(contributor_id=contributor.pk, task_id=task.id, judgment=judgment(preference=preference))

    html = ops_client.get(reverse("ops-project-quality", args=[project.id])).content.decode()

    row = html.split(f'id="contributor-{contributor.pk}"')[1].split("</tr>")[0]
    assert "66.7%" in row  # two of three picks for the answer shown first (no swaps: the coin is pinned)
    assert "p 1" in row  # 2 of 3 is no evidence at all


def test_the_quality_page_charts_and_lists_the_models_best_first(ops_client) -> None:
    board = Board()
    board.judged("B", model_a="atlas-70b", model_b="corvid-xl")
    board.judged("B", model_a="corvid-xl", model_b="mistral-7b")

    html = ops_client.get(reverse("ops-project-quality", args=[board.project.id])).content.decode()

    card = html.split('id="models"')[1].split('id="contributors"')[0]
    assert '<svg id="leaderboard-chart"' in card
    assert card.count('class="interval"') == 3
    rows = card.split('<tr class="model-row">')[1:]
    assert [row.split("<td>")[1].split("</td>")[0] for row in rows] == [
        "mistral-7b",
        "corvid-xl",
        "atlas-70b",
    ]
    assert f"/api/v1/projects/{board.project.id}/leaderboard/?format=csv" in card
    assert "from 2 judgments" in card


def test_the_quality_page_says_when_no_judgment_is_approved_yet(ops_client) -> None:
    project = make_project()

    html = ops_client.get(reverse("ops-project-quality", args=[project.id])).content.decode()

    assert 'id="no-judgments"' in html
    assert "leaderboard-chart" not in html


@pytest.mark.django_db(transaction=True)
def test_ops_read_the_model_ratings_on_the_quality_page_in_a_browser(browser, live_server) -> None:
    board = Board()
    for _ in range(3):
        board.judged("B")  # corvid-xl preferred each time
    make_user("ops", username="odile")

    sign_in(browser, live_server.url, "odile")
    browser.find_element(By.LINK_TEXT, "Queues").click()  # signed in: the form's answer has arrived
    browser.get(f"{live_server.url}{reverse('ops-project-quality', args=[board.project.id])}")

    chart = browser.find_element(By.ID, "leaderboard-chart")
    assert chart.is_displayed()
    assert len(chart.find_elements(By.CSS_SELECTOR, "circle.point")) == 2
    rows = browser.find_elements(By.CSS_SELECTOR, "#models tr.model-row")
    assert [row.find_element(By.TAG_NAME, "td").text for row in rows] == ["corvid-xl", "atlas-70b"]
    assert browser.find_element(By.ID, "leaderboard-csv").get_attribute("href").endswith("format=csv")
