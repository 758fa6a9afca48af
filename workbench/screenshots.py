"""Screenshots of the pages of a running Marlin, for the docs: headless Chromium (Debian's
``chromium`` and ``chromium-driver``) signs in as the person named and saves one PNG per page.

    python -m workbench.screenshots --base http://127.0.0.1:8001 --username sim-…-ops \\
        --finance-username sim-…-finance --out docs/screenshots

Each page is captured at its full height. Pages the person may not open are reported, not saved.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

from selenium import webdriver
from selenium.common.exceptions import TimeoutException
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait

OPS_PAGES = {
    "ops-dashboard": "/ops/",
    "ops-dashboard-30-days": "/ops/?days=30",
    "ops-reviewers": "/ops/reviewers/",
    "ops-contributors": "/ops/contributors/",
}
FINANCE_PAGES = {"finance": "/finance/"}
WIDTH = 1440


def browser() -> webdriver.Chrome:
    chromium, driver = shutil.which("chromium"), shutil.which("chromedriver")
    if chromium is None or driver is None:
        sys.exit("Debian's chromium and chromium-driver are needed: apt-get install chromium chromium-driver")
    options = Options()
    options.binary_location = chromium
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--hide-scrollbars",
    ):
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tempfile.mkdtemp(prefix='marlin-shots-')}")
    options.add_argument(f"--window-size={WIDTH},1000")
    return webdriver.Chrome(service=Service(driver), options=options)


def sign_in(chrome: webdriver.Chrome, base: str, username: str, password: str) -> None:
    chrome.get(base + "/api/v1/login/?next=/")
    chrome.find_element(By.NAME, "username").send_keys(username)
    chrome.find_element(By.NAME, "password").send_keys(password)
    chrome.find_element(By.CSS_SELECTOR, "form [type=submit]").click()
    try:  # the click starts a navigation: wait for the home page that greets them
        WebDriverWait(chrome, 15).until(expected_conditions.presence_of_element_located((By.ID, "welcome")))
    except TimeoutException:
        sys.exit(f"could not sign in as {username}")


def capture(chrome: webdriver.Chrome, base: str, pages: dict[str, str], out: Path) -> list[Path]:
    saved = []
    for name, path in pages.items():
        chrome.set_window_size(WIDTH, 800)  # a long page before must not leave its height behind
        chrome.get(base + path)
        if "forbidden" in chrome.title.lower() or chrome.find_elements(By.CSS_SELECTOR, "pre"):
            print(f"skipped {path}: not open to this person", file=sys.stderr)
            continue
        height = chrome.execute_script("return document.documentElement.scrollHeight")
        chrome.set_window_size(WIDTH, min(int(height) + 40, 6000))
        target = out / f"{name}.png"
        chrome.save_screenshot(str(target))
        saved.append(target)
        print(f"saved {target} ({path})")
    return saved


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base", default="http://127.0.0.1:8001")
    parser.add_argument("--username", required=True, help="an ops person")
    parser.add_argument("--finance-username", help="a finance person, for /finance/")
    parser.add_argument("--password", default="simulated-passphrase")
    parser.add_argument("--project", action="append", default=[], help="a project id: its page too")
    parser.add_argument("--out", type=Path, default=Path("docs/screenshots"))
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    chrome = browser()
    try:
        sign_in(chrome, args.base, args.username, args.password)
        pages = {
            **OPS_PAGES,
            **{f"ops-project-{i + 1}": f"/ops/projects/{p}/" for i, p in enumerate(args.project)},
        }
        capture(chrome, args.base, pages, args.out)
        if args.finance_username:
            sign_in(chrome, args.base, args.finance_username, args.password)
            capture(chrome, args.base, FINANCE_PAGES, args.out)
    finally:
        chrome.quit()


if __name__ == "__main__":
    main()
