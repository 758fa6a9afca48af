"""The workday of the code before issue 12, on the same harness, machine and run.

Issue 12 asks the workday to "at least triple today's 3.5 approved tasks/s with the same client
mix"; its 3.5 came from a harness of its own, which is not in the repository. To compare like
with like, ``make bench`` also runs *this* workday (the current ``bench/`` package: the same 40
contributors and 12 reviewers, the same project, gunicorn, Celery and beat as README Production
runs them) against the code as it was before the work began (``BEFORE_COMMIT``), checked out in a
temporary git worktree, on a database of its own, right after the current code's workday.

The child run is ``python -m bench --only workday`` inside that worktree; it is told it is the
"before" run (``MARLIN_BENCH_BEFORE``) so it does not start another.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from bench.served import ROOT

# The last commit before issue 12's work (``git log``: "browser test: the token revoke waits...").
BEFORE_COMMIT = "ee372f8"
CHILD = "MARLIN_BENCH_BEFORE"


class BeforeUnavailable(RuntimeError):
    """No git history to check the old code out of (an exported tree, say)."""


def is_before_run() -> bool:
    return os.environ.get(CHILD) == "1"


def approved_tasks_per_s_before(base_url: str, broker_url: str, bench_db: str) -> float:
    """Run the workday on the code of ``BEFORE_COMMIT``; its approved tasks per second."""
    folder = Path(tempfile.mkdtemp(prefix="marlin-bench-before-"))
    tree = folder / "tree"
    try:
        _git("worktree", "add", "--detach", str(tree), BEFORE_COMMIT)
        try:
            shutil.rmtree(tree / "bench")
            shutil.copytree(ROOT / "bench", tree / "bench", ignore=shutil.ignore_patterns("results"))
            out = folder / "results"
            env = {
                **os.environ,
                CHILD: "1",
                "DATABASE_URL": base_url,
                "TEST_BROKER_URL": broker_url,
                "BENCH_DB": f"{bench_db}_before",
                "SECRET_KEY": os.environ.get("SECRET_KEY", "marlin-bench-only"),
            }
            command = [sys.executable, "-m", "bench", "--only", "workday", "--out", str(out)]
            finished = subprocess.run(
                command, check=False, cwd=tree, env=env, stdout=sys.stderr, stderr=sys.stderr
            )
            if finished.returncode != 0:
                raise RuntimeError(f"the workday of {BEFORE_COMMIT} failed (exit {finished.returncode})")
            latest = json.loads((out / "latest.json").read_text())
            [approved] = [row["marlin"] for row in latest if row["name"] == "workday_approved_tasks_per_s"]
            return float(approved)
        finally:
            _git("worktree", "remove", "--force", str(tree))
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _git(*arguments: str) -> None:
    try:
        subprocess.run(["git", *arguments], cwd=ROOT, check=True, capture_output=True, text=True)
    except (OSError, subprocess.CalledProcessError) as error:
        detail = getattr(error, "stderr", "") or str(error)
        raise BeforeUnavailable(f"git {' '.join(arguments[:2])}: {detail.strip()}") from error
