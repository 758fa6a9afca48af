"""The one way this client talks HTTP: retries, idempotency keys, errors, pages and downloads.

A *logical command* (claim, submit, decide...) is one call of :meth:`ApiSession.request`. It draws
one ``Idempotency-Key`` (a uuid4) before the first attempt and sends that same key on every retry,
so a command the server finished but whose answer was lost is not done twice: the retry gets the
stored answer (``Idempotent-Replayed: true``). Which answers are retried, and how long the client
waits between attempts, is :mod:`marlin_client.retry`'s to say.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import IO, Any

import httpx

from marlin_client.config import normalize_url
from marlin_client.errors import ApiError, ConnectionFailed
from marlin_client.retry import RetryPolicy, is_retried_status, retry_after_seconds

API_PREFIX = "/api/v1/"
IDEMPOTENCY_HEADER = "Idempotency-Key"
USER_AGENT = "marlin-client/0.1"

# Builds the body of one attempt: a file body must be read afresh for every attempt.
BodyFactory = Callable[[], dict[str, Any]]


class ApiSession:
    def __init__(
        self,
        url: str,
        token: str | None = None,
        *,
        transport: httpx.BaseTransport | None = None,
        timeout: float = 30.0,
        retry: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.url = normalize_url(url)
        self.token = token
        self.retry = retry or RetryPolicy()
        self.sleep = sleep
        self._http = httpx.Client(
            base_url=self.url + API_PREFIX,
            transport=transport,
            timeout=timeout,
            headers={"Accept": "application/json", "User-Agent": USER_AGENT},
        )

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> ApiSession:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # --- one logical command -------------------------------------------------------------------

    def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: Mapping[str, Any] | None = None,
        body: BodyFactory | None = None,
        idempotency_key: str | None = None,
        idempotent: bool = True,
    ) -> httpx.Response:
        """Send the command, retrying what may be retried; return the 2xx answer or raise
        :class:`ApiError` (the API refused) or :class:`ConnectionFailed` (no answer at all).

        A POST carries ``idempotency_key`` (drawn here when not given) unless ``idempotent`` is
        false (signing in: there is no command to replay, and its answer is a secret)."""
        headers = self._headers()
        if method.upper() == "POST" and idempotent:
            headers[IDEMPOTENCY_HEADER] = idempotency_key or str(uuid.uuid4())
        attempt = 0
        while True:
            attempt += 1
            content = body() if body else {}
            try:
                response = self._http.request(
                    method, path.lstrip("/"), json=json, params=params, headers=headers, **content
                )
            except httpx.TransportError as error:
                self._wait_or_give_up(attempt, None, error)
                continue
            if response.is_success:
                return response
            self._raise_unless_retried(response, attempt)

    @contextmanager
    def stream(
        self, path: str, *, params: Mapping[str, Any] | None = None, accept: str = "*/*"
    ) -> Iterator[httpx.Response]:
        """A GET whose body is read as it arrives; retried until the answer's headers are in.
        ``accept``: a file's media type (the API refuses a CSV to a client that asks for JSON)."""
        attempt = 0
        while True:
            attempt += 1
            headers = {**self._headers(), "Accept": accept}
            request = self._http.build_request("GET", path.lstrip("/"), params=params, headers=headers)
            try:
                response = self._http.send(request, stream=True)
            except httpx.TransportError as error:
                self._wait_or_give_up(attempt, None, error)
                continue
            if response.is_success:
                try:
                    yield response
                finally:
                    response.close()
                return
            try:
                response.read()
            except httpx.TransportError as error:
                self._wait_or_give_up(attempt, None, error)
                continue
            finally:
                response.close()
            self._raise_unless_retried(response, attempt)

    def download(self, path: str, sink: IO[bytes], *, params: Mapping[str, Any] | None = None) -> int:
        """Stream a CSV or JSONL answer into ``sink`` as it arrives; the bytes written.

        A download that breaks before its first byte is retried; one that breaks later is not
        (the sink already holds part of it): :class:`ConnectionFailed` says so."""
        written = 0
        try:
            with self.stream(path, params=params) as response:
                for chunk in response.iter_bytes():
                    sink.write(chunk)
                    written += len(chunk)
        except httpx.TransportError as error:
            raise ConnectionFailed(
                f"the download of {path} broke off after {written} bytes: {error}", attempts=1
            ) from error
        sink.flush()
        return written

    def pages(self, path: str, *, params: Mapping[str, Any] | None = None) -> Iterator[dict[str, Any]]:
        """Every page of a list (``{"count", "next", "previous", "results"}``), following ``next``
        (page numbers or a cursor alike) until there is none."""
        next_url: str | None = path
        query: Mapping[str, Any] | None = params
        while next_url:
            page = self.request("GET", self._same_server(next_url), params=query).json()
            yield page
            next_url, query = page.get("next"), None  # ``next`` carries the whole query

    def each(self, path: str, *, params: Mapping[str, Any] | None = None) -> Iterator[dict[str, Any]]:
        """Every item of a list, page after page."""
        for page in self.pages(path, params=params):
            yield from page.get("results", [])

    # --- the parts ------------------------------------------------------------------------------

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Token {self.token}"} if self.token else {}

    def _same_server(self, url: str) -> str:
        """A ``next`` link is followed on this session's server, whatever host the server named
        (behind a proxy it may name its own): the token is never sent anywhere else."""
        parsed = httpx.URL(url)
        if not parsed.is_absolute_url:
            return url
        target = parsed.raw_path.decode("ascii")
        base = httpx.URL(self.url + API_PREFIX).raw_path.decode("ascii")
        return target[len(base) :] if target.startswith(base) else target

    def _raise_unless_retried(self, response: httpx.Response, attempt: int) -> None:
        retry_after = retry_after_seconds(response)
        error = ApiError.from_response(response, retry_after=retry_after)
        if not is_retried_status(response.status_code, error.code):
            raise error
        if retry_after is not None and retry_after > self.retry.max_retry_after:
            raise error
        if attempt >= self.retry.max_attempts:
            raise error
        self.sleep(self.retry.delay(attempt, retry_after))

    def _wait_or_give_up(self, attempt: int, retry_after: float | None, error: Exception) -> None:
        if attempt >= self.retry.max_attempts:
            raise ConnectionFailed(
                f"no answer from {self.url} after {attempt} attempts: {error}", attempts=attempt
            ) from error
        self.sleep(self.retry.delay(attempt, retry_after))
