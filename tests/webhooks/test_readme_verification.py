"""The README's verification snippet, run as a receiver would run it, on real deliveries."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.factories import make_project
from tests.webhooks.receiver import Receiver
from webhooks import commands, deliveries
from webhooks.domain import signature_header

README = (Path(__file__).resolve().parents[2] / "README.md").read_text()
SECTION = README[README.index("### Webhooks") : README.index("## Operating Marlin")]


def readme_verify() -> Callable[..., bool]:
    blocks = re.findall(r"```python\n(.*?)```", SECTION, re.S)
    [snippet] = [block for block in blocks if "def verify" in block]
    namespace: dict[str, Any] = {}
    exec(compile(snippet, "README.md", "exec"), namespace)  # our own README's code
    return namespace["verify"]


@pytest.mark.django_db
def test_the_readme_snippet_accepts_real_deliveries_and_refuses_tampering(
    local_targets: Any, receiver: Receiver
) -> None:
    verify = readme_verify()
    receiver.up()
    registered = commands.webhook_register(actor_id=None, url=receiver.url, events=["ProjectCreated"])
    make_project(name="Signed")
    deliveries.deliver_endpoint(registered.endpoint.id)
    [request] = receiver.received
    secret, body, signature = registered.secret, request.body, request.signature

    assert verify(secret, body, signature)
    assert not verify(secret, body.replace(b"Signed", b"Signet"), signature)
    assert not verify("whsec_someone-else", body, signature)
    assert not verify(secret, body, signature.replace("v1=", "v1=0"))
    assert not verify(secret, body, "garbage")
    assert not verify(secret, body, "")


def test_the_readme_snippet_refuses_an_old_signature() -> None:
    verify = readme_verify()
    body = b'{"id":"1"}'
    stale = int(time.time()) - 301

    assert verify("whsec_k", body, signature_header("whsec_k", int(time.time()), body))
    assert not verify("whsec_k", body, signature_header("whsec_k", stale, body))
    assert verify("whsec_k", body, signature_header("whsec_k", stale, body), tolerance=600)
