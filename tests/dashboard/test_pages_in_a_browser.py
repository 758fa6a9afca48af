"""The pages in a real browser (headless Chromium driven by Selenium): sign in, find your way,
make an API token that works, revoke it, sign out; ops see the queues the API reports."""

from __future__ import annotations

import json
import shutil
import tempfile
import urllib.error
import urllib.request
from collections.abc import Iterator

import pytest
from knox.models import AuthToken
from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait

from tests.factories import PASSWORD, import_tasks, make_project, make_user
from tests.support.services import unavailable

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def browser() -> Iterator[webdriver.Chrome]:
    chromium, driver = shutil.which("chromium"), shutil.which("chromedriver")
    if chromium is None or driver is None:
        unavailable("Debian's chromium and chromium-driver are not installed (.ci/run installs them)")
    options = Options()
    options.binary_location = chromium
    profile = tempfile.mkdtemp(prefix="marlin-chromium-")
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        f"--user-data-dir={profile}",
        "--window-size=1280,900",
    ):
        options.add_argument(flag)
    chrome = webdriver.Chrome(service=Service(driver), options=options)
    chrome.implicitly_wait(5)
    yield chrome
    chrome.quit()
    shutil.rmtree(profile, ignore_errors=True)


def sign_in(browser: webdriver.Chrome, base: str, username: str) -> None:
    browser.get(base + "/")
    browser.find_element(By.ID, "sign-in").click()
    browser.find_element(By.NAME, "username").send_keys(username)
    browser.find_element(By.NAME, "password").send_keys(PASSWORD)
    browser.find_element(By.CSS_SELECTOR, "form [type=submit]").click()


def api_status(base: str, path: str, token: str) -> tuple[int, dict]:
    request = urllib.request.Request(base + path, headers={"Authorization": f"Token {token}"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as error:
        return error.code, {}


def test_a_person_signs_in_makes_a_token_that_works_revokes_it_and_signs_out(browser, live_server) -> None:
    make_user("contributor", username="carla")

    sign_in(browser, live_server.url, "carla")

    assert browser.find_element(By.ID, "welcome").text == "Signed in as carla"
    browser.find_element(By.LINK_TEXT, "API tokens").click()
    browser.find_element(By.ID, "create-token").click()
    token = browser.find_element(By.ID, "new-token").text
    status, me = api_status(live_server.url, "/api/v1/me/", token)
    assert (status, me["username"]) == (200, "carla")
    row = browser.find_element(By.CSS_SELECTOR, ".token-row")
    row.find_element(By.TAG_NAME, "button").click()
    WebDriverWait(browser, 10).until(expected_conditions.staleness_of(row))
    assert browser.find_elements(By.CSS_SELECTOR, ".token-row") == []
    assert api_status(live_server.url, "/api/v1/me/", token)[0] == 401
    browser.find_element(By.ID, "sign-out").click()
    assert browser.find_element(By.ID, "sign-in").is_displayed()


def test_ops_see_in_the_queues_page_the_numbers_the_api_gives(browser, live_server) -> None:
    project = make_project(name="Browser project")
    import_tasks(project, 4)
    opal = make_user("ops", username="opal")
    _, token = AuthToken.objects.create(opal)
    _, overview = api_status(live_server.url, "/api/v1/queues/", token)
    [counted] = [p for p in overview["projects"] if p["name"] == "Browser project"]

    sign_in(browser, live_server.url, "opal")
    browser.find_element(By.LINK_TEXT, "Queues").click()

    section = browser.find_element(
        By.XPATH, "//h2[contains(., 'Browser project')]/following-sibling::table[1]"
    )
    counts = section.find_elements(By.XPATH, ".//tr[2]/td")[1:]
    assert [int(cell.text) for cell in counts] == [cell["count"] for cell in counted["tasks"].values()]
