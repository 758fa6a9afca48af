"""The webhook endpoint aggregate and the delivery rules: pure events, state and decisions.

An endpoint is registered by ops for some event types; Marlin then POSTs each matching event to
it, in log order, until the endpoint is disabled (by ops, or by Marlin after a day of failures) or
deleted. Its secret is a credential and never in the log: only the fact that one was issued.
Nothing here imports Django.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import random
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any
from urllib.parse import urlsplit
from uuid import UUID

from marlin.kernel.errors import Conflict, InvalidInput, NotFound
from marlin.kernel.events import DomainEvent, stream_name

MAX_URL_LENGTH = 2000
MAX_EVENT_TYPES = 100
ENDPOINT_FIELDS = ("url", "event_types", "description")


def webhook_stream(endpoint_id: UUID) -> str:
    return stream_name("webhook", endpoint_id)


# --- events ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class WebhookEndpointRegistered(DomainEvent):
    """Ops registered an endpoint; it receives matching events recorded after this one. The
    secret it is signed with is issued at the same time and kept outside the log."""

    endpoint_id: UUID
    url: str
    event_types: tuple[str, ...]
    description: str


@dataclass(frozen=True)
class WebhookEndpointUpdated(DomainEvent):
    """Some of ``url``, ``event_types``, ``description`` changed; ``changes`` holds only those."""

    endpoint_id: UUID
    changes: dict[str, Any]


class DisabledBecause(StrEnum):
    OPS = "ops"  # ops set active=false
    FAILING = "failing"  # a delivery kept failing for the whole retry window


@dataclass(frozen=True)
class WebhookEndpointDisabled(DomainEvent):
    """Deliveries stop until ops enable the endpoint again. When Marlin disabled it (``failing``),
    ``event_id`` is the event that could not be delivered and ``failing_since`` its first try."""

    endpoint_id: UUID
    reason: DisabledBecause
    event_id: UUID | None = None
    failing_since: datetime | None = None


@dataclass(frozen=True)
class WebhookEndpointEnabled(DomainEvent):
    """Deliveries resume where they stopped: the event that failed is tried again first."""

    endpoint_id: UUID


@dataclass(frozen=True)
class WebhookEndpointDeleted(DomainEvent):
    endpoint_id: UUID


@dataclass(frozen=True)
class WebhookReplayRequested(DomainEvent):
    """Ops asked for one event to be sent to the endpoint again (``delivery_id``, a new delivery
    outside the endpoint's log order); the audit trail of who asked."""

    endpoint_id: UUID
    delivery_id: UUID
    event_id: UUID


# --- state -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class EndpointState:
    endpoint_id: UUID | None = None
    url: str = ""
    event_types: tuple[str, ...] = ()
    description: str = ""
    active: bool = False
    deleted: bool = False


def evolve(state: EndpointState, event: DomainEvent) -> EndpointState:
    match event:
        case WebhookEndpointRegistered():
            return EndpointState(event.endpoint_id, event.url, event.event_types, event.description, True)
        case WebhookEndpointUpdated():
            changes = {k: tuple(v) if isinstance(v, list) else v for k, v in event.changes.items()}
            return replace(state, **changes)
        case WebhookEndpointDisabled():
            return replace(state, active=False)
        case WebhookEndpointEnabled():
            return replace(state, active=True)
        case WebhookEndpointDeleted():
            return replace(state, deleted=True, active=False)
    return state


# --- decisions -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class EndpointSettings:
    """Checked input for a registration or a change (the target's addresses are checked apart,
    since that takes the network: see ``check_target``)."""

    url: str
    event_types: tuple[str, ...]
    description: str


def clean_event_types(requested: Iterable[str], known: Iterable[str]) -> tuple[str, ...]:
    """The requested types, each once, in order; every unknown one named at once."""
    wanted = tuple(dict.fromkeys(requested))
    unknown = sorted(set(wanted) - set(known))
    if unknown:
        raise InvalidInput(
            f"unknown event types: {', '.join(unknown)} (docs/events.md lists them)",
            fields={"events": [f"unknown event type {name!r}" for name in unknown]},
            code="unknown_event_type",
        )
    if not wanted:
        raise InvalidInput(fields={"events": ["name at least one event type"]})
    return wanted


def decide_register(
    state: EndpointState, *, endpoint_id: UUID, settings: EndpointSettings
) -> list[DomainEvent]:
    if state.endpoint_id is not None:
        raise Conflict("this endpoint is registered already")
    return [WebhookEndpointRegistered(endpoint_id, settings.url, settings.event_types, settings.description)]


def decide_update(
    state: EndpointState, *, changes: Mapping[str, Any], active: bool | None
) -> list[DomainEvent]:
    """Only real changes become events; ``active`` turns the endpoint off or on again."""
    endpoint_id = _existing(state)
    real = {
        name: value
        for name, value in changes.items()
        if name in ENDPOINT_FIELDS and value != getattr(state, name)
    }
    events: list[DomainEvent] = []
    if real:
        events.append(WebhookEndpointUpdated(endpoint_id, real))
    if active is True and not state.active:
        events.append(WebhookEndpointEnabled(endpoint_id))
    elif active is False and state.active:
        events.append(WebhookEndpointDisabled(endpoint_id, DisabledBecause.OPS))
    return events


def decide_disable_failing(
    state: EndpointState, *, event_id: UUID, failing_since: datetime
) -> list[DomainEvent]:
    """Marlin gives up on an endpoint whose delivery failed for the whole retry window."""
    if state.endpoint_id is None or not state.active:
        return []  # ops disabled or deleted it meanwhile: nothing more to say
    return [WebhookEndpointDisabled(state.endpoint_id, DisabledBecause.FAILING, event_id, failing_since)]


def decide_replay(state: EndpointState, *, delivery_id: UUID, event_id: UUID) -> list[DomainEvent]:
    endpoint_id = _existing(state)
    if not state.active:
        raise Conflict(
            "this endpoint is disabled: enable it (PATCH active=true) before replaying",
            code="webhook_inactive",
        )
    return [WebhookReplayRequested(endpoint_id, delivery_id, event_id)]


def decide_delete(state: EndpointState) -> list[DomainEvent]:
    return [WebhookEndpointDeleted(_existing(state))]


def _existing(state: EndpointState) -> UUID:
    if state.endpoint_id is None or state.deleted:
        raise NotFound("no such webhook endpoint")
    return state.endpoint_id


# --- targets (SSRF) --------------------------------------------------------------------------------


def parse_target(url: str) -> tuple[str, str, int]:
    """The scheme, host and port of a webhook URL; only absolute http and https URLs."""
    if len(url) > MAX_URL_LENGTH:
        raise InvalidInput(fields={"url": [f"at most {MAX_URL_LENGTH} characters"]})
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as error:
        raise _target_refused("webhook_target_invalid", f"not a usable URL: {error}") from error
    if parts.scheme not in ("http", "https"):
        raise _target_refused("webhook_target_scheme", "only http and https URLs can receive webhooks")
    if not parts.hostname:
        raise _target_refused("webhook_target_invalid", "the URL names no host")
    if parts.username or parts.password:
        raise _target_refused("webhook_target_invalid", "credentials in the URL are not accepted")
    return parts.scheme, parts.hostname, port or (443 if parts.scheme == "https" else 80)


def refused_address(address: str) -> str | None:
    """Why an address may not receive webhooks (private, loopback, ...), or None if it may."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])  # an IPv6 zone id is not part of it
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    for kind in ("loopback", "link_local", "multicast", "unspecified", "reserved", "private"):
        if getattr(ip, f"is_{kind}"):
            return kind.replace("_", "-")
    if not ip.is_global:
        return "not-global"  # e.g. shared address space (100.64.0.0/10)
    return None


def check_addresses(host: str, addresses: Iterable[str]) -> None:
    """Refuse the target if any address its host resolves to is not a public one: a name that
    resolves to a public and a private address could be answered by either."""
    resolved = list(addresses)
    if not resolved:
        raise _target_refused("webhook_target_unresolvable", f"{host} resolves to no address")
    for address in resolved:
        why = refused_address(address)
        if why is not None:
            raise _target_refused(
                "webhook_target_private",
                f"{host} resolves to {address} ({why}); private, loopback, link-local, multicast "
                "and reserved targets are refused (MARLIN_WEBHOOK_ALLOW_PRIVATE allows them)",
            )


def _target_refused(code: str, message: str) -> InvalidInput:
    return InvalidInput(message, fields={"url": [message]}, code=code)


# --- signing and retrying --------------------------------------------------------------------------


def signature_header(secret: str, timestamp: int, body: bytes) -> str:
    """``t=<unix>,v1=<hex HMAC-SHA256 of "<t>.<body>">`` (Stripe's scheme)."""
    signed = str(timestamp).encode() + b"." + body
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def retry_delay(failures: int, *, base: float, cap: float, rng: random.Random | None = None) -> timedelta:
    """Exponential backoff with jitter: the n-th failure waits base * 2**(n-1), at most ``cap``,
    then a random half to all of it, so endpoints that failed together do not retry together."""
    ceiling = min(cap, base * 2 ** min(failures - 1, 62))
    return timedelta(seconds=ceiling * (rng or random).uniform(0.5, 1.0))


def window_is_over(failing_since: datetime, now: datetime, *, window: timedelta) -> bool:
    return now - failing_since >= window
