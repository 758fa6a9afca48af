"""The webhooks API: ops register, change, delete and inspect endpoints; nobody else may."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.core.management import call_command

from marlin import projections
from marlin.eventstore.models import Event
from tests.factories import client_for, make_project, make_user
from tests.webhooks.receiver import Receiver
from webhooks import deliveries

pytestmark = pytest.mark.django_db
API = "/api/v1/webhooks/"
PUBLIC = "http://93.184.215.14/hooks"  # a public address: no name to resolve in the sandbox


@pytest.fixture
def ops() -> Any:
    return client_for(make_user("ops"))


def register(client: Any, url: str = PUBLIC, events: list[str] | None = None) -> Any:
    return client.post(API, {"url": url, "events": events or ["TaskApproved"]}, format="json")


def test_ops_register_an_endpoint_and_see_its_secret_once(ops: Any) -> None:
    created = register(ops, events=["TaskApproved", "TaskRejected"])

    assert created.status_code == 201, created.content
    body = created.json()
    assert body["secret"].startswith("whsec_")
    assert body["url"] == PUBLIC
    assert body["events"] == ["TaskApproved", "TaskRejected"]
    assert body["active"] is True
    shown = ops.get(f"{API}{body['id']}/").json()
    assert "secret" not in shown
    assert "secret" not in ops.get(API).json()["results"][0]
    # The log records the registration, never the secret.
    assert body["secret"] not in json.dumps(list(Event.objects.values("data", "metadata")), default=str)
    assert Event.objects.filter(type="WebhookEndpointRegistered", stream=f"webhook-{body['id']}").exists()


@pytest.mark.parametrize(
    ("url", "code"),
    [
        ("http://127.0.0.1:8000/hook", "webhook_target_private"),
        ("http://localhost/hook", "webhook_target_private"),
        ("http://10.0.0.5/hook", "webhook_target_private"),
        ("http://192.168.0.10/hook", "webhook_target_private"),
        ("http://169.254.169.254/latest/meta-data/", "webhook_target_private"),
        ("http://[::1]/hook", "webhook_target_private"),
        ("http://[fe80::1]/hook", "webhook_target_private"),
        ("http://224.0.0.1/hook", "webhook_target_private"),
        ("http://240.0.0.1/hook", "webhook_target_private"),
        ("http://0.0.0.0/hook", "webhook_target_private"),
        ("ftp://93.184.215.14/hook", "webhook_target_scheme"),
        ("file:///etc/passwd", "webhook_target_scheme"),
        ("http://no-such-host.invalid/hook", "webhook_target_unresolvable"),
    ],
)
def test_internal_and_odd_targets_are_refused(ops: Any, url: str, code: str) -> None:
    refused = register(ops, url=url)

    assert refused.status_code == 400
    assert refused.json()["error"]["code"] == code
    assert "url" in refused.json()["error"]["fields"]
    assert not Event.objects.filter(type="WebhookEndpointRegistered").exists()


def test_a_change_to_an_internal_target_is_refused_too(ops: Any) -> None:
    endpoint = register(ops).json()

    refused = ops.patch(f"{API}{endpoint['id']}/", {"url": "http://127.0.0.1/x"}, format="json")

    assert refused.status_code == 400
    assert refused.json()["error"]["code"] == "webhook_target_private"
    assert ops.get(f"{API}{endpoint['id']}/").json()["url"] == PUBLIC


def test_private_targets_are_allowed_when_the_setting_says_so(ops: Any, settings: Any) -> None:
    settings.MARLIN_WEBHOOK_ALLOW_PRIVATE = True

    assert register(ops, url="http://127.0.0.1:9/hook").status_code == 201


def test_unknown_event_types_are_refused_with_each_named(ops: Any) -> None:
    refused = register(ops, events=["TaskApproved", "TaskTeleported"])

    assert refused.status_code == 400
    assert refused.json()["error"]["code"] == "unknown_event_type"
    assert refused.json()["error"]["fields"]["events"] == ["unknown event type 'TaskTeleported'"]


def test_ops_change_disable_enable_and_delete_an_endpoint(ops: Any) -> None:
    endpoint = register(ops).json()
    url = f"{API}{endpoint['id']}/"

    changed = ops.patch(url, {"events": ["TaskRejected"], "description": "quality"}, format="json")
    assert changed.status_code == 200
    assert changed.json()["events"] == ["TaskRejected"]
    disabled = ops.patch(url, {"active": False}, format="json").json()
    assert (disabled["active"], disabled["disabled_reason"]) == (False, "ops")
    assert ops.patch(url, {"active": True}, format="json").json()["active"] is True
    assert ops.patch(url, {}, format="json").status_code == 200  # nothing changes, nothing recorded

    assert ops.delete(url).status_code == 204
    assert ops.get(url).status_code == 404
    assert ops.delete(url).status_code == 404
    types = list(Event.objects.filter(stream=f"webhook-{endpoint['id']}").values_list("type", flat=True))
    assert types == [
        "WebhookEndpointRegistered",
        "WebhookEndpointUpdated",
        "WebhookEndpointDisabled",
        "WebhookEndpointEnabled",
        "WebhookEndpointDeleted",
    ]
    assert projections.compare_with_rebuild() == {}
    call_command("verify_events", no_progress=True)


@pytest.mark.parametrize("role", ["contributor", "reviewer", "finance"])
def test_only_ops_may_touch_webhooks(ops: Any, role: str) -> None:
    endpoint = register(ops).json()
    other = client_for(make_user(role))
    url = f"{API}{endpoint['id']}/"

    assert other.get(API).status_code == 403
    assert register(other).status_code == 403
    assert other.get(url).status_code == 403
    assert other.patch(url, {"active": False}, format="json").status_code == 403
    assert other.delete(url).status_code == 403
    assert other.get(f"{url}deliveries/").status_code == 403


def test_deliveries_show_every_attempt_and_a_replay_is_accepted(
    ops: Any, local_targets: Any, receiver: Receiver
) -> None:
    endpoint = register(ops, url=receiver.url, events=["ProjectCreated"]).json()
    make_project(name="Watched")
    deliveries.deliver_endpoint(endpoint["id"])  # down: refused
    receiver.up()
    ops.patch(f"{API}{endpoint['id']}/", {"active": False}, format="json")
    ops.patch(f"{API}{endpoint['id']}/", {"active": True}, format="json")  # due again at once
    deliveries.deliver_endpoint(endpoint["id"])

    listed = ops.get(f"{API}{endpoint['id']}/deliveries/").json()

    [delivery] = listed["results"]
    assert delivery["status"] == "delivered"
    assert delivery["event_type"] == "ProjectCreated"
    assert delivery["event_id"] == receiver.acknowledged_ids()[0]
    assert [(a["number"], a["status_code"], a["succeeded"]) for a in delivery["attempts"]] == [
        (1, None, False),
        (2, 200, True),
    ]
    assert "Connect" in delivery["attempts"][0]["error"]
    replayed = ops.post(f"{API}{endpoint['id']}/deliveries/{delivery['id']}/replay/")
    assert replayed.status_code == 202
    assert replayed.json()["replay_of"] == delivery["id"]
    assert replayed.json()["status"] == "pending"
    assert ops.get(f"{API}{endpoint['id']}/deliveries/?status=pending").json()["count"] == 1
    assert ops.get(f"{API}{endpoint['id']}/deliveries/?status=lost").status_code == 400


def test_a_disabled_endpoint_takes_no_replay(ops: Any, local_targets: Any, receiver: Receiver) -> None:
    receiver.up()
    endpoint = register(ops, url=receiver.url, events=["ProjectCreated"]).json()
    make_project(name="Quiet")
    deliveries.deliver_endpoint(endpoint["id"])
    delivery = ops.get(f"{API}{endpoint['id']}/deliveries/").json()["results"][0]
    ops.patch(f"{API}{endpoint['id']}/", {"active": False}, format="json")

    refused = ops.post(f"{API}{endpoint['id']}/deliveries/{delivery['id']}/replay/")

    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "webhook_inactive"
    missing = ops.post(f"{API}{endpoint['id']}/deliveries/{endpoint['id']}/replay/")
    assert missing.status_code == 404
