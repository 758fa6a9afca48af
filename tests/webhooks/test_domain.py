"""The webhook rules, without a database: targets, signatures, backoff, and the deciders."""

from __future__ import annotations

import hashlib
import hmac
import random
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from marlin.kernel.errors import Conflict, InvalidInput, NotFound
from webhooks.domain import (
    DisabledBecause,
    EndpointSettings,
    EndpointState,
    WebhookEndpointDisabled,
    WebhookEndpointEnabled,
    WebhookEndpointUpdated,
    check_addresses,
    clean_event_types,
    decide_disable_failing,
    decide_register,
    decide_replay,
    decide_update,
    evolve,
    parse_target,
    refused_address,
    retry_delay,
    signature_header,
    window_is_over,
)

ENDPOINT = uuid.uuid4()
NOW = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


def registered(**overrides: object) -> EndpointState:
    settings = EndpointSettings("https://hooks.example.com/marlin", ("TaskApproved",), "payroll")
    state = EndpointState()
    for event in decide_register(state, endpoint_id=ENDPOINT, settings=settings):
        state = evolve(state, event)
    return state


@pytest.mark.parametrize(
    ("address", "why"),
    [
        ("127.0.0.1", "loopback"),
        ("::1", "loopback"),
        ("10.1.2.3", "private"),
        ("172.16.0.1", "private"),
        ("192.168.1.1", "private"),
        ("169.254.169.254", "link-local"),  # cloud metadata services live here
        ("fe80::1", "link-local"),
        ("224.0.0.1", "multicast"),
        ("ff02::1", "multicast"),
        ("240.0.0.1", "reserved"),
        ("0.0.0.0", "unspecified"),
        ("::ffff:127.0.0.1", "loopback"),  # an IPv4 address dressed as IPv6
        ("100.64.0.1", "not-global"),
        ("fc00::1", "private"),
    ],
)
def test_internal_addresses_are_refused(address: str, why: str) -> None:
    assert refused_address(address) == why


@pytest.mark.parametrize("address", ["93.184.215.14", "8.8.8.8", "2606:4700:4700::1111"])
def test_public_addresses_are_accepted(address: str) -> None:
    assert refused_address(address) is None


def test_every_address_a_name_resolves_to_is_checked() -> None:
    with pytest.raises(InvalidInput) as refused:
        check_addresses("mixed.example.com", ["93.184.215.14", "10.0.0.7"])

    assert refused.value.code == "webhook_target_private"
    assert "10.0.0.7" in refused.value.message
    check_addresses("public.example.com", ["93.184.215.14", "8.8.8.8"])


@pytest.mark.parametrize(
    ("url", "code"),
    [
        ("ftp://hooks.example.com/", "webhook_target_scheme"),
        ("file:///etc/passwd", "webhook_target_scheme"),
        ("gopher://hooks.example.com/", "webhook_target_scheme"),
        ("hooks.example.com/marlin", "webhook_target_scheme"),
        ("http:///nohost", "webhook_target_invalid"),
        ("https://user:pw@hooks.example.com/", "webhook_target_invalid"),
        ("https://hooks.example.com:99999/", "webhook_target_invalid"),
    ],
)
def test_only_plain_http_and_https_urls_are_targets(url: str, code: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        parse_target(url)

    assert refused.value.code == code
    assert "url" in refused.value.fields


def test_a_target_names_its_port() -> None:
    assert parse_target("https://hooks.example.com/x") == ("https", "hooks.example.com", 443)
    assert parse_target("http://[2606:4700::1]:8080/x") == ("http", "2606:4700::1", 8080)


def test_the_signature_is_hmac_sha256_of_timestamp_dot_body() -> None:
    body = b'{"id":"e1"}'
    expected = hmac.new(b"whsec_k", b"1764000000." + body, hashlib.sha256).hexdigest()

    assert signature_header("whsec_k", 1764000000, body) == f"t=1764000000,v1={expected}"


def test_backoff_doubles_with_jitter_up_to_the_cap() -> None:
    rng = random.Random(7)
    delays = [retry_delay(n, base=10, cap=3600, rng=rng).total_seconds() for n in range(1, 12)]

    for n, delay in enumerate(delays, start=1):
        ceiling = min(3600, 10 * 2 ** (n - 1))
        assert ceiling / 2 <= delay <= ceiling
    assert len({round(d, 6) for d in delays}) == len(delays)  # jittered: no two alike
    assert retry_delay(500, base=10, cap=3600, rng=rng) <= timedelta(hours=1)


def test_the_retry_window_closes_after_its_length() -> None:
    window = timedelta(hours=24)

    assert not window_is_over(NOW, NOW + timedelta(hours=23, minutes=59), window=window)
    assert window_is_over(NOW, NOW + timedelta(hours=24), window=window)


def test_unknown_event_types_are_named_at_once() -> None:
    with pytest.raises(InvalidInput) as refused:
        clean_event_types(["TaskApproved", "Nope", "Nada"], ["TaskApproved"])

    assert refused.value.code == "unknown_event_type"
    assert refused.value.fields["events"] == ["unknown event type 'Nada'", "unknown event type 'Nope'"]
    assert clean_event_types(["B", "A", "B"], ["A", "B"]) == ("B", "A")


def test_only_real_changes_become_events() -> None:
    state = registered()

    assert decide_update(state, changes={"description": "payroll"}, active=True) == []
    assert decide_update(state, changes={"event_types": ("TaskApproved", "TaskRejected")}, active=None) == [
        WebhookEndpointUpdated(ENDPOINT, {"event_types": ("TaskApproved", "TaskRejected")})
    ]
    assert decide_update(state, changes={}, active=False) == [
        WebhookEndpointDisabled(ENDPOINT, DisabledBecause.OPS)
    ]


def test_ops_turn_a_disabled_endpoint_on_again() -> None:
    failing = evolve(registered(), WebhookEndpointDisabled(ENDPOINT, DisabledBecause.FAILING))

    assert decide_update(failing, changes={}, active=True) == [WebhookEndpointEnabled(ENDPOINT)]


def test_giving_up_on_an_endpoint_disables_it_once() -> None:
    event_id = uuid.uuid4()
    events = decide_disable_failing(registered(), event_id=event_id, failing_since=NOW)

    assert events == [WebhookEndpointDisabled(ENDPOINT, DisabledBecause.FAILING, event_id, NOW)]
    assert decide_disable_failing(evolve(registered(), events[0]), event_id=event_id, failing_since=NOW) == []


def test_a_disabled_endpoint_takes_no_replay_and_a_missing_one_nothing() -> None:
    disabled = evolve(registered(), WebhookEndpointDisabled(ENDPOINT, DisabledBecause.OPS))

    with pytest.raises(Conflict) as refused:
        decide_replay(disabled, delivery_id=uuid.uuid4(), event_id=uuid.uuid4())
    assert refused.value.code == "webhook_inactive"
    with pytest.raises(NotFound):
        decide_update(EndpointState(), changes={"description": "x"}, active=None)
