"""The OpenAPI schema tells the truth: schemathesis, with every check, finds nothing against a live
server with the demo data, as a contributor and as ops. A bounded run (fixed seed, a few examples per
operation, a time budget) keeps the test near a minute and a half on a two-core machine.

Runs in the PostgreSQL pass only: the server, the fuzzer's own process (which makes it fresh tokens,
see ``tests/support/fuzz_hooks.py``) and the test share a real database."""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from tests.support.services import ROOT, database_url

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]

SEED = 20261126
EXAMPLES_PER_OPERATION = 8
SECONDS_PER_ROLE = 40
CONFIG = ROOT / "tests" / "schemathesis.toml"


def openapi_json(path: Path) -> Path:
    call_command("spectacular", "--format", "openapi-json", "--file", str(path))
    return path


def fuzz(schema: Path, base_url: str, username: str, decoy: str) -> tuple[int, str]:
    """Run ``st run`` with every check as ``username``; its exit status and its report."""
    users = get_user_model().objects
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "DATABASE_URL": database_url(),
        "CONN_MAX_AGE": "0",
        "SCHEMATHESIS_HOOKS": "tests.support.fuzz_hooks",
        "MARLIN_FUZZ_USER": str(users.get(username=username).pk),
        "MARLIN_FUZZ_DECOY": str(users.get(username=decoy).pk),
    }
    command = [
        str(Path(sys.executable).with_name("st")),
        "--config-file",
        str(CONFIG),
        "run",
        str(schema),
        "--url",
        base_url,
        "--checks",
        "all",
        "--seed",
        str(SEED),
        "--max-examples",
        str(EXAMPLES_PER_OPERATION),
        "--max-time",
        str(SECONDS_PER_ROLE),
        # One worker: with two, hypothesis describes schemathesis's filter lambdas while the other
        # thread imports modules, and its walk over sys.modules fails (a runtime error in the
        # coverage phase that CI met once); the run is bounded by time either way.
        "--workers",
        "1",
        "--generation-database",
        "none",
        "--no-color",
    ]
    done = subprocess.run(
        command, check=False, cwd=ROOT, env=env, capture_output=True, text=True, timeout=SECONDS_PER_ROLE * 3
    )
    return done.returncode, done.stdout + done.stderr


@pytest.mark.timeout(240)
def test_schemathesis_finds_no_failure_as_a_contributor_or_as_ops(live_server, tmp_path) -> None:
    call_command("seed_demo", stdout=io.StringIO())
    schema = openapi_json(tmp_path / "openapi.json")

    # The contributor first: ops may deactivate a contributor on their turn.
    for username in ("alice", "olga"):
        status, report = fuzz(schema, live_server.url, username, decoy="bob")

        tested = re.search(r"Tested: (\d+)", report)
        assert tested, report[-3000:]
        assert int(tested[1]) >= 40, report[-3000:]
        assert status == 0, f"schemathesis as {username}:\n{report[-12000:]}"
