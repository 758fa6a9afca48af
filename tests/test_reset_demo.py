"""``make reset-demo`` removes the embedded demo database and nothing else: never the secret key,
the virtualenv or the simulation's database. Read from ``make -n`` (what it would run)."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")


def _dry_run(data_dir: Path, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "MARLIN_SECRET_KEY_FILE"}}
    environment |= {"MARLIN_DATA_DIR": str(data_dir), **env}
    return subprocess.run(
        ["make", "--no-print-directory", "-n", "reset-demo"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        check=True,
    )


def test_it_removes_only_the_demo_database_then_migrates_and_seeds(tmp_path: Path) -> None:
    (tmp_path / "secret_key").write_text("kept")

    lines = _dry_run(tmp_path).stdout.splitlines()

    removals = [shlex.split(line) for line in lines if line.lstrip().startswith("rm ")]
    demo = tmp_path / "marlin.sqlite3"
    assert removals == [["rm", "-f", str(demo), f"{demo}-wal", f"{demo}-shm"]]
    assert not any("secret_key" in line for line in lines)
    assert not any(".venv" in line and "rm " in line for line in lines)
    assert not any("simulation.sqlite3" in line for line in lines)
    migrate = next(i for i, line in enumerate(lines) if "manage.py migrate" in line)
    seed = next(i for i, line in enumerate(lines) if "manage.py seed_demo" in line)
    assert lines.index(next(line for line in lines if line.lstrip().startswith("rm "))) < migrate < seed


def test_it_refuses_when_database_url_names_another_database(tmp_path: Path) -> None:
    lines = _dry_run(tmp_path, DATABASE_URL="postgres://marlin@db/marlin").stdout.splitlines()

    guard = next(line for line in lines if "DATABASE_URL" in line)
    removal = next(line for line in lines if line.lstrip().startswith("rm "))
    assert lines.index(guard) < lines.index(removal)
    assert guard.startswith('test -z "$DATABASE_URL" ||')
