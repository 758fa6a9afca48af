"""The schema is good enough for generated clients: openapi-python-client builds one from it, and
that client lists projects, reads ``me/`` and gets a refusal as a typed error, against a live server."""

from __future__ import annotations

import importlib
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest
from django.core.management import call_command
from knox.models import AuthToken

from tests.factories import make_user

PACKAGE = "marlin_generated_client"


@pytest.fixture
def generated_client(tmp_path: Path) -> Iterator[ModuleType]:
    schema = tmp_path / "openapi.json"
    call_command("spectacular", "--format", "openapi-json", "--file", str(schema))
    generator = Path(sys.executable).with_name("openapi-python-client")
    output = tmp_path / PACKAGE
    done = subprocess.run(
        [str(generator), "generate", "--path", str(schema), "--output-path", str(output), "--meta", "none"],
        check=False,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    sys.path.insert(0, str(tmp_path))
    try:
        yield importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(tmp_path))
        for name in [name for name in sys.modules if name.split(".")[0] == PACKAGE]:
            del sys.modules[name]


@pytest.mark.django_db(transaction=True)
def test_a_generated_client_lists_projects_reads_me_and_gets_typed_errors(
    generated_client, live_server
) -> None:
    ops = make_user("ops")
    contributor = make_user("contributor")
    api = lambda module: importlib.import_module(f"{PACKAGE}.api.{module}")  # noqa: E731
    models = importlib.import_module(f"{PACKAGE}.models")

    def client_for(user):  # type: ignore[no-untyped-def]
        _, token = AuthToken.objects.create(user)
        return generated_client.AuthenticatedClient(base_url=live_server.url, token=token, prefix="Token")

    as_ops = client_for(ops)
    create = api("projects.projects_create")
    created = create.sync(client=as_ops, body=models.ProjectSettingsInputRequest(name="Fuzzless"))
    projects = api("projects.projects_list").sync_detailed(client=as_ops)
    me = api("me.me_retrieve").sync(client=as_ops)
    refused = api("people.people_list").sync_detailed(client=client_for(contributor))

    assert isinstance(created, models.ProjectOutput)
    assert projects.status_code == 200
    assert [p.name for p in projects.parsed.results] == ["Fuzzless"]
    assert projects.parsed.count == 1
    assert isinstance(me, models.MeOutput)
    assert me.username == ops.username
    assert "ops" in me.roles
    assert refused.status_code == 403
    assert isinstance(refused.parsed, models.ErrorOutput)
    assert refused.parsed.error.code == "not_allowed"
    assert refused.parsed.error.request_id
