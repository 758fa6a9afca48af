"""The installed ``marlin`` executable drives one task through a live server, person by person:
ops import it, a contributor claims, reads and judges it, two reviewers approve it at both layers,
the contributor sees the payout and finance finds it in the week's CSV report.

Each person signs in through ``marlin login`` with a config directory of their own. The reactors
(routing, payouts) are settled in this process between the steps: on the PostgreSQL pass their
wake-ups go to Redis, where no worker listens in this test.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from marlin.kernel import clock
from payments.periods import period_of
from tests.factories import PASSWORD, make_project, make_user
from tests.support import services
from tests.support.settle import settle

pytestmark = pytest.mark.django_db(transaction=True)

MARLIN = Path(sys.executable).with_name("marlin")
TASKS_CSV = """external_id,prompt,context,response_a,response_b,model_a,model_b,tags,priority
dedupe-1,Remove duplicates from a list and keep the order.,,"def dedupe(xs):
    return list(dict.fromkeys(xs))","def dedupe(xs):
    return list(set(xs))",atlas-70b,corvid-xl,python,5
broken-2,,,"a","b",atlas-70b,corvid-xl,python,0
"""


class Person:
    """One person at their terminal: their own config directory, the live server's URL."""

    def __init__(self, username: str, home: Path, url: str) -> None:
        self.username = username
        self.env = {
            **os.environ,
            "MARLIN_CONFIG_DIR": str(home / username),
            "MARLIN_URL": url,
            "COLUMNS": "200",
            "NO_COLOR": "1",
        }
        self.cwd = home

    def run(self, *args: str, stdin: str | None = None, expect: int = 0) -> str:
        done = subprocess.run(
            [str(MARLIN), *args],
            input=stdin,
            capture_output=True,
            text=True,
            env=self.env,
            cwd=self.cwd,
            timeout=120,
            check=False,
        )
        output = done.stdout + done.stderr
        assert done.returncode == expect, f"marlin {' '.join(args)} exited {done.returncode}:\n{output}"
        return done.stdout if expect == 0 else output

    def json(self, *args: str) -> Any:
        return json.loads(self.run("--json", *args))

    def login(self) -> None:
        self.run("login", "--username", self.username, "--password-stdin", stdin=PASSWORD + "\n")


@pytest.fixture
def terminal(live_server: Any, tmp_path: Path) -> Any:
    if not MARLIN.exists():
        services.unavailable(f"no marlin executable at {MARLIN}: run `make install` (pip install ./client)")

    def person(username: str) -> Person:
        someone = Person(username, tmp_path, live_server.url)
        someone.login()
        return someone

    return person


def test_a_task_goes_from_import_to_the_payout_report_through_the_cli(terminal: Any, tmp_path: Path) -> None:
    project = make_project(name="CLI judgments", review_layers=2)
    make_user("ops", username="olga")
    make_user("contributor", username="alice", name="Alice Able", email="alice@example.com")
    make_user("reviewer", username="rita", reviewer_level=1)  # first: routing's choice at layer 1
    make_user("reviewer", username="rosa", reviewer_level=2)
    make_user("finance", username="fred")
    olga, alice, rita, rosa, fred = (terminal(name) for name in ("olga", "alice", "rita", "rosa", "fred"))

    # Ops import the file: the good row goes in, the broken one comes back as a row error (exit 1).
    (tmp_path / "tasks.csv").write_text(TASKS_CSV)
    imported = olga.run("import", str(project.id), "tasks.csv", expect=1)
    assert "1 created, 0 skipped" in imported
    assert "is required" in imported
    [queue] = [p for p in olga.json("queues")["projects"] if p["id"] == str(project.id)]
    assert queue["tasks"]["open"]["count"] == 1

    # The contributor claims, reads both answers side by side and submits a judgment file.
    task = alice.json("claim", "--project", str(project.id))
    assert task["external_id"] == "dedupe-1"
    shown = alice.run("show", task["id"])
    assert "Remove duplicates from a list" in shown
    assert "dict.fromkeys(xs)" in shown
    assert "list(set(xs))" in shown
    assert "correctness" in shown
    judgment = alice.run("template", task["id"]).replace(
        "Why the preferred answer is better, concretely.",
        "A keeps the first occurrence of each item in order; B loses the order because sets are unordered.",
    )
    (tmp_path / "judgment.yaml").write_text(judgment)
    assert "Submitted version 1" in alice.run("submit", task["id"], "judgment.yaml")
    settle()

    # Layer 1: rita, then layer 2: rosa (level 2), each sees the judgment and approves.
    for reviewer, layer in ((rita, 1), (rosa, 2)):
        [pending] = reviewer.json("reviews")
        assert (pending["task"], pending["layer"]) == (task["id"], layer)
        assert "A keeps the first occurrence" in reviewer.run("review", pending["id"])
        assert "approve" in reviewer.run("decide", pending["id"], "approve")
        settle()

    # The contributor reads both rounds and sees the payout; finance finds it in the report.
    rounds = alice.json("feedback", task["id"])["rounds"]
    assert [(r["layer"], r["decision"]) for r in rounds] == [(1, "approve"), (2, "approve")]
    week = period_of(clock.now())
    [payout] = alice.json("payouts")
    assert (payout["task"], payout["amount"], payout["kind"], payout["period"]) == (
        task["id"],
        "280.00",
        "accrual",
        week,
    )
    fred.run("report", week, "--csv", "--output", "report.csv")
    report = (tmp_path / "report.csv").read_text()
    assert report.splitlines()[0].startswith("contributor,name,email,approved_tasks,gross")
    [row] = [line for line in report.splitlines() if "Alice Able" in line]
    assert "alice@example.com,1,280.00,0.00,280.00,USD" in row

    # Signing out revokes the token: the next command asks for a sign-in.
    alice.run("logout")
    assert "not signed in" in alice.run("whoami", expect=1)
