"""The deployment examples in ``deploy/`` and ``docs/production.md`` stay true to the README:
the compose file names every service with exactly one beat, every command they run is one the
README names, the systemd units parse, the env example covers what compose reads, and the guide
is linked from the README and names only management commands that exist."""

from __future__ import annotations

import configparser
import re
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from django.core.management import get_commands

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
README = (ROOT / "README.md").read_text()
COMPOSE_TEXT = (DEPLOY / "compose.yaml").read_text()
COMPOSE = yaml.safe_load(COMPOSE_TEXT)
UNITS = sorted((DEPLOY / "systemd").glob("*.service"))
GUIDE = (ROOT / "docs" / "production.md").read_text()

# The ways to run Marlin the README names (Production, Operating Marlin), as a command line begins.
README_COMMANDS = ("gunicorn marlin.wsgi", "celery -A marlin worker", "celery -A marlin beat")
# Set in every container by its runtime, not by the env file.
RUNTIME_VARIABLES = {"HOSTNAME"}


def _program_and_args(command: str) -> list[str]:
    """The command line with the interpreter or virtualenv path taken off its program."""
    words = shlex.split(command)
    if words and Path(words[0]).name.startswith("python"):
        words = words[1:]
    if words:
        words[0] = Path(words[0]).name
    return words


def _readme_names(command: str) -> bool:
    words = _program_and_args(command)
    line = " ".join(words)
    if words[:1] == ["manage.py"] and len(words) > 1:
        return f"manage.py {words[1]}" in README
    return any(line.startswith(named) for named in README_COMMANDS)


def _compose_command(service: dict) -> str:
    command = service["command"]
    return command if isinstance(command, str) else shlex.join(command)


def _marlin_services() -> dict[str, dict]:
    """The services that run Marlin's own image (not PostgreSQL's or Redis's)."""
    return {name: s for name, s in COMPOSE["services"].items() if "build" in s}


def _unit(path: Path) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # systemd keys are case-sensitive
    parser.read_string(path.read_text())
    return parser


def test_the_readme_names_every_command_the_deploy_files_may_run() -> None:
    for named in (*README_COMMANDS, "manage.py migrate", "manage.py collectstatic"):
        assert named in README


def test_compose_names_every_service_and_exactly_one_beat() -> None:
    services = COMPOSE["services"]

    assert {"web", "worker", "beat", "db", "redis", "migrate"} <= set(services)
    beats = [name for name, s in _marlin_services().items() if "celery -A marlin beat" in _compose_command(s)]
    assert beats == ["beat"]
    assert "replicas" not in services["beat"].get("deploy", {})
    assert services["db"]["image"].startswith("postgres:15")
    assert services["redis"]["image"].startswith("redis:7")


def test_compose_runs_only_commands_the_readme_names() -> None:
    commands = {name: _compose_command(s) for name, s in _marlin_services().items()}

    assert commands["migrate"].endswith("manage.py migrate --no-input")
    assert commands["web"].startswith("gunicorn marlin.wsgi")
    assert commands["worker"].startswith("celery -A marlin worker")
    for name, command in commands.items():
        assert _readme_names(command), (name, command)


def test_compose_migrates_once_before_the_api_and_workers_start() -> None:
    services = COMPOSE["services"]

    assert services["migrate"]["restart"] == "no"
    for name in ("web", "worker", "beat"):
        assert services[name]["depends_on"]["migrate"] == {"condition": "service_completed_successfully"}


def test_compose_health_checks_use_healthz_pg_isready_and_redis_ping() -> None:
    services = COMPOSE["services"]

    def check(name: str) -> str:
        return " ".join(services[name]["healthcheck"]["test"])

    assert "/healthz" in check("web")
    assert "pg_isready" in check("db")
    assert "redis-cli ping" in check("redis")


def test_the_env_example_lists_every_variable_compose_reads() -> None:
    example = (DEPLOY / "marlin.env.example").read_text()
    listed = set(re.findall(r"^([A-Z][A-Z0-9_]*)=", example, re.MULTILINE))
    referenced = set(re.findall(r"\$\{?([A-Z][A-Z0-9_]*)", COMPOSE_TEXT)) - RUNTIME_VARIABLES

    assert referenced
    assert referenced <= listed
    for service in COMPOSE["services"].values():
        if "env_file" in service:
            assert service["env_file"] == "marlin.env"


def test_the_env_example_sets_only_what_marlin_or_postgres_reads() -> None:
    example = (DEPLOY / "marlin.env.example").read_text()
    listed = set(re.findall(r"^([A-Z][A-Z0-9_]*)=", example, re.MULTILINE))

    for name in listed:
        assert name.startswith("POSTGRES_") or f"| `{name}` |" in README, name


@pytest.mark.parametrize("path", UNITS, ids=lambda path: path.name)
def test_each_systemd_unit_parses_and_runs_a_command_the_readme_names(path: Path) -> None:
    unit = _unit(path)

    assert {"Unit", "Service", "Install"} <= set(unit.sections())
    service = unit["Service"]
    assert service["User"] not in {"", "root"}
    command = service["ExecStart"].replace("%%", "%")
    assert _readme_names(command), command


def test_the_units_are_web_worker_and_beat() -> None:
    commands = {path.name: _unit(path)["Service"]["ExecStart"] for path in UNITS}

    assert set(commands) == {"marlin-web.service", "marlin-worker.service", "marlin-beat.service"}
    assert "gunicorn marlin.wsgi" in commands["marlin-web.service"]
    assert "celery -A marlin worker" in commands["marlin-worker.service"]
    assert "celery -A marlin beat" in commands["marlin-beat.service"]


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed")
def test_systemd_analyze_finds_nothing_but_the_missing_install() -> None:
    """The programs under /opt/marlin do not exist on a test machine; nothing else may be wrong."""
    result = subprocess.run(
        ["systemd-analyze", "verify", *map(str, UNITS)], capture_output=True, text=True, check=False
    )

    complaints = [line for line in (result.stdout + result.stderr).splitlines() if line.strip()]
    missing = re.compile(r"Command /opt/marlin/\.venv/bin/\S+ is not executable")
    assert [line for line in complaints if not missing.search(line)] == []


def test_the_dockerfile_installs_the_requirements_and_runs_as_a_user() -> None:
    dockerfile = (DEPLOY / "Dockerfile").read_text()
    users = re.findall(r"^USER\s+(\S+)", dockerfile, re.MULTILINE)

    assert "pip install -r requirements.txt" in dockerfile
    assert users
    assert users[-1] not in {"root", "0"}
    for run in re.findall(r"^RUN .*manage\.py.*$", dockerfile, re.MULTILINE):
        assert _readme_names(run.split(" ", 2)[-1]), run
    cmd = re.search(r"^CMD (\[.*\])$", dockerfile, re.MULTILINE)
    assert cmd is not None
    assert _readme_names(shlex.join(yaml.safe_load(cmd.group(1))))


def test_the_production_guide_is_linked_from_the_readme_production_section() -> None:
    production = README.split("### Production", 1)[1].split("\n## ", 1)[0]

    assert "](docs/production.md)" in production


def test_the_guide_names_only_management_commands_that_exist() -> None:
    named = set(re.findall(r"manage\.py (\w+)", GUIDE))

    assert {"createsuperuser", "migrate", "verify_events", "rebuild_projections"} <= named
    assert named <= set(get_commands())
