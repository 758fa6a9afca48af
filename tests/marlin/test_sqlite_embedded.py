"""The embedded SQLite database under concurrent writers: they wait for each other, never fail."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

WRITER = """
import django
django.setup()
from tests.support.echo import ping
for _ in range(25):
    ping("sqlite")
"""

VERIFY = """
import django
django.setup()
from django.core.management import call_command
from marlin.eventstore.models import Event
call_command("verify_events", no_progress=True)
count = Event.objects.filter
print("pings", count(type="Pinged").count(), "echoes", count(type="Echoed").count())
"""


def test_concurrent_processes_on_one_sqlite_file_all_succeed_with_a_gapless_log(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'marlin.sqlite3'}",
        "TEST_BROKER_URL": "",
    }
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)

    writers = [
        subprocess.Popen([sys.executable, "-c", WRITER], cwd=ROOT, env=env, stderr=subprocess.PIPE, text=True)
        for _ in range(4)
    ]
    failures = [w.stderr.read() for w in writers if w.wait(120) != 0]
    verified = subprocess.run(
        [sys.executable, "-c", VERIFY], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )

    assert failures == []
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert "pings 100 echoes 100" in verified.stdout
