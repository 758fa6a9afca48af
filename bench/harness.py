"""Running the benchmarks: a fresh database, each step in turn, then issue 12's table, the full
results as timestamped JSON and CSV, and the headline figures as ``latest.json``/``latest.csv``.

A step whose module or function is not on this branch yet is skipped with "not built yet" and its
headline figures stay null: the harness never stands in a number for one it did not measure. A
step that raises is reported, the rest still run, and the run exits non-zero.
"""

from __future__ import annotations

import importlib
import json
import os
import sys
import time
import traceback
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlparse, urlunparse

from bench.goals import BASELINE, HEADLINES, LATEST_NAMES, Headline
from bench.measure import Result
from marlin.kernel.safe_csv import csv_lines

# BENCH_DB lets two runs on one server keep apart (a session and a helper, say).
BENCH_DB = os.environ.get("BENCH_DB", "marlin_bench")
TIME_BUDGET_S = 600  # issue 12: `make bench` in under 10 minutes


@dataclass(frozen=True)
class Step:
    """One benchmark function, found by module and name when it runs."""

    key: str
    module: str
    function: str
    headlines: tuple[str, ...] = ()
    needs_broker: bool = False


# In running order. The workday goes first, on the fresh database: routing would otherwise give
# its reviewers work other steps left waiting. It deactivates its people when it is done, so later
# steps' routing sees none of them.
STEPS: tuple[Step, ...] = (
    Step("workday", "bench.workday", "bench_workday",
         ("workday_approved_tasks_per_s", "routing_latency_workday_p99_ms", "workday_vs_before"),
         needs_broker=True),
    Step("commands", "bench.write_path", "bench_commands_per_s",
         ("commands_per_s_2proc", "commands_per_s_8proc")),
    Step("round_trips", "bench.write_path", "bench_round_trips",
         ("round_trips_claim", "round_trips_submission", "round_trips_decision")),
    Step("routing_when_full", "bench.reactors", "bench_routing_when_full", ("routing_queries_when_full",)),
    Step("routing_events", "bench.reactors", "bench_routing_events", ("routing_events_per_s",)),
    Step("payout_events", "bench.reactors", "bench_payout_events", ("payout_events_per_s",)),
    Step("import", "bench.benchmarks", "bench_import", ("import_ratio",)),
    Step("claim_after_import", "bench.benchmarks", "bench_claim_after_import",
         ("claim_after_import_p99_ms",)),
    Step("claim", "bench.benchmarks", "bench_claim"),
    Step("task_list", "bench.benchmarks", "bench_task_list"),
    Step("routing_latency", "bench.benchmarks", "bench_routing_latency", ("routing_latency_p99_ms",),
         needs_broker=True),
    Step("report", "bench.benchmarks", "bench_report"),
    Step("rebuild", "bench.benchmarks", "bench_rebuild", ("rebuild_ratio",)),
    Step("leaderboard", "bench.leaderboard", "bench_leaderboard", ("leaderboard_100k_s",)),
)  # fmt: skip
NAMES = [step.key for step in STEPS]
NOT_BUILT = "not built yet"


@dataclass
class Run:
    """What one ``make bench`` did: the results, and which steps were skipped or failed."""

    results: list[Result] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)
    failed: dict[str, str] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    elapsed_s: float = 0.0
    quick: bool = False


# --- set-up --------------------------------------------------------------------------------------


def _with_db(url: str, name: str) -> str:
    parsed = urlparse(url)
    return urlunparse(parsed._replace(path=f"/{name}"))


def prepare(base_url: str, broker_url: str, database: str = BENCH_DB) -> str:
    """A fresh database (``database``, on the server ``base_url`` names), migrated, and Django
    set up against it."""
    import psycopg

    admin_url = _with_db(base_url, "postgres").replace("postgres://", "postgresql://", 1)
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {database}")
    url = _with_db(base_url, database)
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "marlin.settings",
            "DATABASE_URL": url,
            "CELERY_BROKER_URL": broker_url,
            "SECRET_KEY": os.environ.get("SECRET_KEY", "marlin-bench-only"),
            "ALLOWED_HOSTS": "testserver,127.0.0.1",
            "MARLIN_FAST_PASSWORD_HASHING": "1",
            "MARLIN_THROTTLE_USER": "1000000/minute",
            "LOG_LEVEL": "WARNING",
        }
    )
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    return url


def find(step: Step) -> Callable[..., list[Result]] | None:
    """The step's function, or None when its module or function is not on this branch yet."""
    try:
        module = importlib.import_module(step.module)
    except ModuleNotFoundError as missing:
        if missing.name != step.module:
            raise  # the module exists but something it imports does not: a real error
        return None
    return getattr(module, step.function, None)


def run(*, base_url: str, broker_url: str, only: list[str] | None, quick: bool) -> Run:
    started = time.monotonic()
    url = prepare(base_url, broker_url)
    outcome = run_steps([step for step in STEPS if not only or step.key in only], url, broker_url, quick)
    outcome.elapsed_s = round(time.monotonic() - started, 1)
    return outcome


def run_steps(chosen: list[Step], url: str, broker_url: str, quick: bool) -> Run:
    """Each step in turn against the prepared database: its results, or why it has none."""
    outcome = Run(quick=quick)
    for number, step in enumerate(chosen, 1):
        try:
            function = find(step)
        except Exception:  # noqa: BLE001 - a module that fails to import fails its step only
            outcome.failed[step.key] = traceback.format_exc()
            print(f"!! {step.key} FAILED to import:\n{outcome.failed[step.key]}", file=sys.stderr)
            continue
        if function is None:
            outcome.skipped[step.key] = NOT_BUILT
            print(f"== [{number}/{len(chosen)}] {step.key}: {NOT_BUILT} ({step.module}.{step.function})",
                  file=sys.stderr)  # fmt: skip
            continue
        print(f"== [{number}/{len(chosen)}] {step.key}", file=sys.stderr, flush=True)
        step_started = time.monotonic()
        try:
            results = function(url, broker_url, quick) if step.needs_broker else function(url, quick)
        except Exception:  # noqa: BLE001 - one failing step must not hide the others' figures
            outcome.failed[step.key] = traceback.format_exc()
            print(f"!! {step.key} FAILED:\n{outcome.failed[step.key]}", file=sys.stderr, flush=True)
        else:
            try:
                headline_results(outcome.results + results)  # a name given twice is refused here
            except ValueError as twice:
                outcome.failed[step.key] = str(twice)
                print(f"!! {step.key} FAILED: {twice}", file=sys.stderr, flush=True)
            else:
                outcome.results += results
        outcome.seconds[step.key] = round(time.monotonic() - step_started, 1)
        print(f"   {step.key}: {outcome.seconds[step.key]:.0f} s", file=sys.stderr, flush=True)
    return outcome


# --- the headline figures ------------------------------------------------------------------------


def headline_results(results: list[Result]) -> dict[str, Result]:
    """Each named result by its name; a name given twice is a bench bug, refused."""
    named: dict[str, Result] = {}
    for r in results:
        if r.name is None:
            continue
        if r.name in named:
            raise ValueError(f"two results are named {r.name!r}")
        named[r.name] = r
    return named


def figure(headline: Headline, r: Result) -> float:
    """The number the goal is about: the ratio for ratio headlines (when the result has one)."""
    if headline.on_ratio and r.ratio is not None:
        return r.ratio
    return r.marlin


def latest_rows(results: list[Result]) -> list[dict[str, Any]]:
    """issue 12's ``latest.json``: every name, in the issue's order; null where not measured."""
    named = headline_results(results)
    rows = []
    for name in LATEST_NAMES:
        r = named.get(name)
        rows.append(
            {
                "name": name,
                "marlin": None if r is None else r.marlin,
                "raw": None if r is None else r.raw,
                "unit": next(h.unit for h in HEADLINES if h.name == name) if r is None else r.unit,
                "ratio": None if r is None else r.ratio,
            }
        )
    return rows


def table_rows(run: Run) -> list[dict[str, Any]]:
    """Issue 12's table: before (the issue's figures), now (this run), the goal and whether met."""
    named = headline_results(run.results)
    step_of = {name: step.key for step in STEPS for name in step.headlines}
    rows = []
    for headline in HEADLINES:
        r = named.get(headline.name)
        step = step_of.get(headline.name, "")
        if r is not None:
            now: float | None = figure(headline, r)
            met = "report" if headline.goal is None else ("yes" if headline.goal.met(now) else "NO")
            status = ""
        else:
            now, met = None, "-"
            status = run.skipped.get(step) or (
                "failed" if step in run.failed
                else f"ran, but named no result {headline.name}" if step in run.seconds
                else "not run"
            )  # fmt: skip
        rows.append(
            {
                "name": headline.name,
                "measure": headline.measure,
                "unit": headline.unit,
                # The issue measured routing latency without the workday: no before under load.
                "before": str(BASELINE[headline.name]) if headline.name in BASELINE else "-",
                "now": now,
                "marlin": None if r is None else r.marlin,
                "raw": None if r is None else r.raw,
                "result_unit": None if r is None else r.unit,
                "goal": "" if headline.goal is None else str(headline.goal),
                "versus": headline.versus,
                "met": met,
                "status": status,
            }
        )
    return rows


# --- output --------------------------------------------------------------------------------------


def _csv(path: Path, rows: list[dict[str, Any]], columns: list[str]) -> None:
    with path.open("w", newline="") as out:
        out.writelines(csv_lines([columns, *([row[c] for c in columns] for row in rows)]))


def write(run: Run, folder: Path) -> list[Path]:
    """The whole run as ``bench-<stamp>.json``/``.csv``, and the headlines as ``latest.json``/``.csv``."""
    folder.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    rows = [asdict(r) for r in run.results]
    json_path = folder / f"bench-{stamp}.json"
    document = {
        "run_at": stamp,
        "machine": os.uname().nodename,
        "quick": run.quick,
        "elapsed_s": run.elapsed_s,
        "step_seconds": run.seconds,
        "skipped": run.skipped,
        "failed": sorted(run.failed),
        "table": table_rows(run),
        "results": rows,
    }
    json_path.write_text(json.dumps(document, indent=2))
    csv_path = folder / f"bench-{stamp}.csv"
    _csv(csv_path, rows, list(Result.__dataclass_fields__))
    latest = latest_rows(run.results)
    latest_json = folder / "latest.json"
    latest_json.write_text(json.dumps(latest, indent=2) + "\n")
    latest_csv = folder / "latest.csv"
    _csv(latest_csv, latest, ["name", "marlin", "raw", "unit", "ratio"])
    return [json_path, csv_path, latest_json, latest_csv]


def _number(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.3g}" if abs(value) < 10 else f"{value:.1f}"


def print_table(run: Run, out: Any = None) -> None:
    out = out or sys.stdout
    print("\nissue 12: before = the figures measured before the work (the issue's); now = this run", file=out)
    print(f"{'measure':<50} {'before':>9} {'now':>9}  {'goal':<8} {'met':<6} detail", file=out)
    for row in table_rows(run):
        before = row["before"] + ("x" if row["unit"] == "x" and row["before"] != "-" else "")
        now = _number(row["now"]) + ("x" if row["unit"] == "x" and row["now"] is not None else "")
        if row["status"]:
            detail = row["status"]
        elif row["raw"] is not None:
            marlin, raw = _number(row["marlin"]), _number(row["raw"])
            detail = f"{row['unit']}; Marlin {marlin} vs {row['versus']} {raw} {row['result_unit']}"
        else:
            detail = row["unit"]
        print(
            f"{row['measure']:<50} {before:>9} {now:>9}  {row['goal']:<8} {row['met']:<6} {detail}", file=out
        )
    _print_workday(run.results, out)
    _print_all(run.results, out)
    verdict = "under" if run.elapsed_s < TIME_BUDGET_S else "OVER"
    print(f"\nran in {run.elapsed_s:.0f} s ({verdict} the {TIME_BUDGET_S} s budget)"
          + ("; --quick sizes" if run.quick else ""), file=out)  # fmt: skip
    for key, why in run.skipped.items():
        print(f"skipped {key}: {why}", file=out)
    for key in run.failed:
        print(f"FAILED {key} (traceback above)", file=out)


def _print_all(results: list[Result], out: Any) -> None:
    print(f"\n{'benchmark':<18} {'metric':<40} {'marlin':>10} {'raw':>10} {'ratio':>7}  unit", file=out)
    for r in results:
        raw = "" if r.raw is None else f"{r.raw:>10.2f}"
        ratio = "" if r.ratio is None else f"{r.ratio:>7.1f}"
        print(f"{r.benchmark:<18} {r.metric:<40} {r.marlin:>10.2f} {raw:>10} {ratio:>7}  {r.unit}", file=out)


def _print_workday(results: list[Result], out: Any) -> None:
    """The workday's endpoints, one line each (its results carry "<endpoint> p50" and "... p99")."""
    times: dict[str, dict[str, Result]] = {}
    for r in results:
        if r.benchmark == "workday" and r.metric.startswith(("GET ", "POST ")):
            times.setdefault(r.metric[:-4], {})[r.metric[-3:]] = r
    if not times:
        return
    print(f"\n{'workday endpoint':<40} {'requests':>9} {'p50 ms':>9} {'p99 ms':>9}", file=out)
    for endpoint, by in times.items():
        print(
            f"{endpoint:<40} {by['p50'].samples:>9} {by['p50'].marlin:>9.1f} {by['p99'].marlin:>9.1f}",
            file=out,
        )
