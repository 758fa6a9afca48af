"""The one module that speaks HTTP to receivers (httpx): a signed POST, timed, never redirected.

No database work happens here, so no transaction (and no lock) is ever open while Marlin waits
on a receiver.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import httpx

from webhooks.targets import Target

USER_AGENT = "Marlin-Webhooks/1"
MAX_ERROR = 300


@dataclass(frozen=True)
class Outcome:
    status_code: int | None
    error: str
    duration_ms: int

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def post(target: Target, url: str, *, body: bytes, headers: dict[str, str], timeout: float) -> Outcome:
    """POST ``body`` to ``url``, connecting to ``target.address`` (the address that was checked)
    and naming the host in the Host header and, for https, in TLS (SNI and certificate check).

    A redirect is an answer like any other non-2xx: following it could lead anywhere. The
    response body is not read. ``timeout`` bounds connecting, each write and each read.
    """
    pinned = httpx.URL(url).copy_with(host=target.address)
    request_headers = {
        **headers,
        "Host": httpx.URL(url).netloc.decode("ascii"),
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
    }
    extensions = {"sni_hostname": target.host} if target.scheme == "https" else {}
    started = time.monotonic()
    try:
        # trust_env=False: no proxy from the environment, which would connect somewhere unchecked.
        with (
            httpx.Client(timeout=timeout, follow_redirects=False, trust_env=False) as client,
            client.stream(
                "POST", pinned, content=body, headers=request_headers, extensions=extensions
            ) as response,
        ):
            return Outcome(response.status_code, "", _elapsed_ms(started))
    except httpx.TimeoutException:
        return Outcome(None, f"no answer within {timeout:g} s", _elapsed_ms(started))
    except httpx.HTTPError as error:
        return Outcome(None, f"{type(error).__name__}: {error}"[:MAX_ERROR], _elapsed_ms(started))


def _elapsed_ms(started: float) -> int:
    return round((time.monotonic() - started) * 1000)
