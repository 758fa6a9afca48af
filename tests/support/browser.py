"""A real headless browser for page tests: Debian's Chromium driven by Selenium, nothing
downloaded at test time (``.ci/run`` installs the packages when missing). Under ``CI=true`` a
missing browser fails the run instead of skipping."""

from __future__ import annotations

import json
import shutil
import tempfile
import urllib.error
import urllib.request
from collections.abc import Iterator

import pytest
from selenium import webdriver
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from tests.factories import PASSWORD
from tests.support.services import unavailable


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


def text_after_post(browser: webdriver.Chrome, css: str, expected: str, *, timeout: float = 10) -> str:
    """The text of the element ``css`` names once it contains ``expected``. After a form posts,
    the old page's element can still be found, and goes stale as the new page loads: a check
    that lands mid-navigation is ignored and tried again."""
    seen: list[str] = []

    def shows_it(page: webdriver.Chrome) -> bool:
        seen.append(page.find_element(By.CSS_SELECTOR, css).text)
        return expected in seen[-1]

    WebDriverWait(browser, timeout, ignored_exceptions=[WebDriverException]).until(shows_it)
    return seen[-1]


def sign_in(browser: webdriver.Chrome, base: str, username: str) -> None:
    browser.get(base + "/")
    browser.find_element(By.ID, "sign-in").click()
    browser.find_element(By.NAME, "username").send_keys(username)
    browser.find_element(By.NAME, "password").send_keys(PASSWORD)
    browser.find_element(By.CSS_SELECTOR, "form [type=submit]").click()
    # Signed in once the next page shows the way out: a test that navigates right away would
    # otherwise race the form's answer and meet the sign-in page.
    browser.find_element(By.ID, "sign-out")


def api_status(base: str, path: str, token: str) -> tuple[int, dict]:
    request = urllib.request.Request(base + path, headers={"Authorization": f"Token {token}"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as error:
        return error.code, {}
