"""Running the benchmarks: a fresh database, each benchmark in turn, results as JSON and CSV."""

from __future__ import annotations

import json
import os
import sys
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlparse, urlunparse

from bench import benchmarks
from bench.measure import Result
from marlin.kernel.safe_csv import csv_lines

# BENCH_DB lets two runs on one server keep apart (a session and a helper, say).
BENCH_DB = os.environ.get("BENCH_DB", "marlin_bench")
NAMES = ["import", "claim", "task_list", "routing_latency", "report", "rebuild"]


# --- set-up --------------------------------------------------------------------------------------


def _with_db(url: str, name: str) -> str:
    parsed = urlparse(url)
    return urlunparse(parsed._replace(path=f"/{name}"))


def prepare(base_url: str, broker_url: str) -> str:
    """A fresh bench database, migrated, and Django set up against it."""
    import psycopg

    admin_url = _with_db(base_url, "postgres").replace("postgres://", "postgresql://", 1)
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {BENCH_DB}")
    url = _with_db(base_url, BENCH_DB)
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


def run(*, base_url: str, broker_url: str, only: list[str] | None, quick: bool) -> list[Result]:
    url = prepare(base_url, broker_url)
    results: list[Result] = []
    for name in NAMES:
        if only and name not in only:
            continue
        print(f"== {name}", file=sys.stderr)
        if name == "routing_latency":
            results += benchmarks.bench_routing_latency(url, broker_url, quick)
        else:
            results += benchmarks.BENCHMARKS[name](url, quick)
    return results


def write(results: list[Result], folder: Path) -> tuple[Path, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    rows = [asdict(r) for r in results]
    json_path = folder / f"bench-{stamp}.json"
    json_path.write_text(
        json.dumps({"run_at": stamp, "machine": os.uname().nodename, "results": rows}, indent=2)
    )
    csv_path = folder / f"bench-{stamp}.csv"
    columns = list(rows[0]) if rows else ["benchmark"]
    with csv_path.open("w", newline="") as out:
        out.writelines(csv_lines([columns, *([row[c] for c in columns] for row in rows)]))
    return json_path, csv_path


def print_table(results: list[Result]) -> None:
    print(f"{'benchmark':<16} {'metric':<24} {'marlin':>10} {'raw':>10} {'ratio':>7}  unit")
    for r in results:
        raw = "" if r.raw is None else f"{r.raw:>10.2f}"
        ratio = "" if r.ratio is None else f"{r.ratio:>7.1f}"
        print(f"{r.benchmark:<16} {r.metric:<24} {r.marlin:>10.2f} {raw:>10} {ratio:>7}  {r.unit}")
