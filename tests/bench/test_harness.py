"""The bench harness's outputs: ``latest.json`` has issue 12's shape and names, the table compares
each figure with its goal, a step not on the branch is skipped rather than filled in, and the
workday runs the server as README "Production" does. No timing is asserted: the results here are
made by hand, as the benchmarks make them."""

from __future__ import annotations

import csv
import json
import re
import subprocess
import sys
import types
from pathlib import Path

import pytest

from bench import harness, workday_before
from bench.goals import BASELINE, HEADLINES, LATEST_NAMES
from bench.measure import result
from bench.served import PRODUCTION, commands
from bench.workday import QUICK, WorkdayFailed, _judge
from bench.workday_clients import CLAIM, Log

ROOT = Path(__file__).resolve().parents[2]

# Issue 12's "Done when", in its order.
ISSUE_NAMES = [
    "commands_per_s_2proc", "commands_per_s_8proc", "round_trips_claim", "round_trips_submission",
    "round_trips_decision", "routing_queries_when_full", "routing_events_per_s", "payout_events_per_s",
    "claim_after_import_p99_ms", "rebuild_ratio", "import_ratio", "routing_latency_p99_ms",
    "workday_approved_tasks_per_s",
]  # fmt: skip


def some_results() -> list:
    return [
        result("import", "10000 tasks, seconds", "s", 4.0, 2.0, samples=10_000, name="import_ratio"),
        result("import", "tasks per second", "task/s", 2500, 5000, samples=10_000),
        result("routing_latency", "p99", "ms", 120.0, 1.4, samples=300, name="routing_latency_p99_ms"),
        result("workday", "approved tasks per second", "task/s", 9.0, None, samples=540,
               name="workday_approved_tasks_per_s"),
        result("workday", "routing latency p99 (probe)", "ms", 140.0, None, samples=120,
               name="routing_latency_workday_p99_ms"),
    ]  # fmt: skip


def test_the_headlines_are_the_issues_names_each_with_its_before_figure_and_a_step() -> None:
    assert sorted(LATEST_NAMES) == sorted(ISSUE_NAMES)
    assert set(BASELINE) == set(ISSUE_NAMES)  # every figure the issue measured before, and no other
    produced = [name for step in harness.STEPS for name in step.headlines]
    assert sorted(produced) == sorted(h.name for h in HEADLINES)


def test_latest_json_lists_every_name_with_exactly_the_five_fields(tmp_path: Path) -> None:
    run = harness.Run(results=some_results(), skipped={"commands": harness.NOT_BUILT})
    harness.write(run, tmp_path)

    rows = json.loads((tmp_path / "latest.json").read_text())
    assert [row["name"] for row in rows] == list(LATEST_NAMES)
    assert all(set(row) == {"name", "marlin", "raw", "unit", "ratio"} for row in rows)
    by_name = {row["name"]: row for row in rows}
    assert by_name["import_ratio"] == {
        "name": "import_ratio",
        "marlin": 4.0,
        "raw": 2.0,
        "unit": "s",
        "ratio": 2.0,
    }
    # No raw counterpart: raw and ratio are null.
    workday = by_name["workday_approved_tasks_per_s"]
    assert (workday["marlin"], workday["raw"], workday["ratio"]) == (9.0, None, None)
    # Not measured (a step not built yet): null, never a number.
    assert by_name["commands_per_s_2proc"]["marlin"] is None
    # Figures only the table shows stay out of latest.json.
    assert "routing_latency_workday_p99_ms" not in by_name

    with (tmp_path / "latest.csv").open() as latest_csv:
        table = list(csv.DictReader(latest_csv))
    assert [row["name"] for row in table] == list(LATEST_NAMES)
    assert list(table[0]) == ["name", "marlin", "raw", "unit", "ratio"]
    stamped = sorted(tmp_path.glob("bench-*.json"))
    assert len(stamped) == 1
    assert len(sorted(tmp_path.glob("bench-*.csv"))) == 1
    assert len(json.loads(stamped[0].read_text())["results"]) == len(run.results)


def test_the_table_compares_each_figure_with_its_goal() -> None:
    run = harness.Run(results=some_results(), skipped={"commands": harness.NOT_BUILT})
    rows = {row["name"]: row for row in harness.table_rows(run)}

    assert rows["import_ratio"]["now"] == 2.0  # a ratio headline is judged on the ratio
    assert rows["import_ratio"]["met"] == "yes"
    assert rows["import_ratio"]["before"] == "5.9"
    assert rows["routing_latency_p99_ms"]["met"] == "yes"
    assert rows["workday_approved_tasks_per_s"]["met"] == "NO"  # 9.0 < 3 x 3.5
    assert rows["commands_per_s_2proc"]["before"] == "180-207"
    assert (rows["commands_per_s_2proc"]["now"], rows["commands_per_s_2proc"]["status"]) == (
        None,
        harness.NOT_BUILT,
    )
    assert rows["rebuild_ratio"]["status"] == "not run"


def test_the_printed_table_shows_before_and_now_side_by_side(capsys: pytest.CaptureFixture[str]) -> None:
    harness.print_table(harness.Run(results=some_results(), skipped={"commands": harness.NOT_BUILT}))
    printed = capsys.readouterr().out
    assert re.search(r"import 10k tasks / raw executemany\s+5\.9x\s+2x\s+<= 2\.5\s+yes", printed)
    assert re.search(
        r"commands/s, claim \+ submit, 2 processes, no HTTP\s+180-207\s+-.*not built yet", printed
    )


def test_a_name_given_twice_is_refused() -> None:
    twice = [result("a", "m", "ms", 1, None, samples=1, name="import_ratio")] * 2
    with pytest.raises(ValueError, match="import_ratio"):
        harness.headline_results(twice)


def test_a_step_not_on_the_branch_is_found_missing_not_faked() -> None:
    assert harness.find(harness.Step("x", "bench.no_such_module", "bench_x")) is None
    assert harness.find(harness.Step("x", "bench.benchmarks", "bench_no_such_function")) is None
    assert harness.find(harness.Step("x", "bench.benchmarks", "bench_claim")) is not None


def test_the_workday_runs_the_server_as_the_readme_production_section_does(tmp_path: Path) -> None:
    readme = (ROOT / "README.md").read_text()
    production = readme[readme.index("### Production") :].replace(".venv/bin/", "")
    started = commands(tmp_path)
    for name, line in PRODUCTION.items():
        assert line in production, line
        assert " ".join([Path(started[name][0]).name, *started[name][1:]]).startswith(line)


def test_a_step_that_ran_without_naming_its_figure_says_so() -> None:
    unnamed = [result("import", "10000 tasks, seconds", "s", 4.0, 2.0, samples=10_000)]
    rows = {
        row["name"]: row for row in harness.table_rows(harness.Run(results=unnamed, seconds={"import": 5.0}))
    }
    assert rows["import_ratio"]["now"] is None
    assert rows["import_ratio"]["status"] == "ran, but named no result import_ratio"


def test_steps_are_called_by_name_with_their_arguments_and_their_failures_kept_apart(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The wiring, with stand-in step functions (no figure here is a measurement): a module added
    later is found by name and called as ``(url, quick)``, or ``(url, broker_url, quick)`` when it
    needs the broker; a step that raises fails alone; a missing one is skipped."""
    calls = []

    def events(url: str, quick: bool) -> list:
        calls.append(("events", url, quick))
        return [
            result("payout_events", "events/s", "event/s", 1.0, None, samples=1, name="payout_events_per_s")
        ]

    def broken(url: str, quick: bool) -> list:
        raise RuntimeError("boom")

    def latency(url: str, broker_url: str, quick: bool) -> list:
        calls.append(("latency", url, broker_url, quick))
        return []

    stand_in = types.ModuleType("bench.stand_in")
    stand_in.events, stand_in.broken, stand_in.latency = events, broken, latency  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "bench.stand_in", stand_in)
    steps = [
        harness.Step("payout_events", "bench.stand_in", "events", ("payout_events_per_s",)),
        harness.Step("routing_events", "bench.stand_in", "broken", ("routing_events_per_s",)),
        harness.Step("routing_latency", "bench.stand_in", "latency", needs_broker=True),
        harness.Step("commands", "bench.not_here_yet", "bench_commands_per_s"),
    ]

    run = harness.run_steps(steps, "postgres://db/x", "redis://r/1", True)

    assert calls == [("events", "postgres://db/x", True), ("latency", "postgres://db/x", "redis://r/1", True)]
    assert [r.name for r in run.results] == ["payout_events_per_s"]
    assert list(run.failed) == ["routing_events"]
    assert "boom" in run.failed["routing_events"]
    assert run.skipped == {"commands": harness.NOT_BUILT}
    rows = {row["name"]: row for row in harness.table_rows(run)}
    assert rows["routing_events_per_s"]["status"] == "failed"


@pytest.mark.parametrize("status", [500, 503, 0])
def test_the_workday_fails_loudly_on_any_5xx_or_unanswered_request(status: int, tmp_path: Path) -> None:
    log = Log(requests=[(CLAIM, 201, 40.0), (CLAIM, status, 12.0)], started=0.0, finished=60.0)
    with pytest.raises(WorkdayFailed, match="server errors or no answer"):
        _judge(None, QUICK, log, None, tmp_path)  # type: ignore[arg-type] - refused before it reads them


def test_tripling_is_judged_against_the_code_before_on_the_same_run() -> None:
    def rows_for(now: float, before: float) -> dict:
        against = result("workday", "approved tasks/s vs the code before issue 12", "task/s", now, before,
                         samples=300, name="workday_vs_before")  # fmt: skip
        run = harness.Run(results=[*some_results(), against])
        return {row["name"]: row for row in harness.table_rows(run)}

    tripled = rows_for(5.1, 1.66)["workday_vs_before"]
    assert (round(tripled["now"], 2), tripled["goal"], tripled["met"]) == (3.07, ">= 3", "yes")
    assert rows_for(4.0, 1.66)["workday_vs_before"]["met"] == "NO"
    assert "workday_vs_before" not in LATEST_NAMES  # the issue's 13 names stay as they were


def test_the_code_before_issue_12_is_in_the_history_for_the_before_run(monkeypatch) -> None:
    found = subprocess.run(
        ["git", "cat-file", "-e", f"{workday_before.BEFORE_COMMIT}^{{commit}}"], cwd=ROOT, check=False
    )
    assert found.returncode == 0
    monkeypatch.setenv(workday_before.CHILD, "1")
    assert workday_before.is_before_run()  # the child run does not start another
