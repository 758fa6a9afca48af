"""Where a webhook may go: the one place that resolves a target's host name (SSRF guard).

A target is checked when ops register or change it (a 400 names the reason) and again before
every attempt, since a name can resolve elsewhere later; the attempt then connects to the very
address that was checked, so a second lookup cannot swap in a private one.
"""

from __future__ import annotations

import socket
from dataclasses import dataclass

from django.conf import settings

from marlin.kernel.errors import InvalidInput
from webhooks.domain import check_addresses, parse_target


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str
    port: int
    address: str  # the checked address an attempt connects to


def resolve(host: str, port: int) -> list[str]:
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as error:
        message = f"{host} cannot be resolved: {error}"
        raise InvalidInput(message, fields={"url": [message]}, code="webhook_target_unresolvable") from error
    addresses = list(dict.fromkeys(str(info[4][0]) for info in found))
    if not addresses:
        message = f"{host} resolves to no address"
        raise InvalidInput(message, fields={"url": [message]}, code="webhook_target_unresolvable")
    return addresses


def check_target(url: str) -> Target:
    """The target of ``url`` with the address to connect to; refuses non-http(s) URLs and, unless
    ``MARLIN_WEBHOOK_ALLOW_PRIVATE`` is on, hosts with any private or otherwise internal address."""
    scheme, host, port = parse_target(url)
    addresses = resolve(host, port)
    if not settings.MARLIN_WEBHOOK_ALLOW_PRIVATE:
        check_addresses(host, addresses)
    return Target(scheme, host, port, addresses[0])
