"""Marlin's REST API as methods: one per operation the terminal client needs, named for it.

Answers are the API's JSON (``dict``), as SPEC's "REST API" describes them; lists come back as
iterators that page through every result. Errors raise :class:`marlin_client.errors.ApiError`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import IO, Any, Literal

from marlin_client.session import ApiSession

Decision = Literal["approve", "request_changes", "reject"]
JSON = dict[str, Any]


class MarlinClient(ApiSession):
    # --- signing in -----------------------------------------------------------------------------

    def sign_in(self, username: str, password: str) -> JSON:
        """``{token, expires_at}``; this session uses the new token from now on."""
        answer = self.request(
            "POST", "auth/token/", json={"username": username, "password": password}, idempotent=False
        ).json()
        self.token = answer["token"]
        return answer

    def sign_out(self) -> None:
        """Revoke this session's token on the server."""
        self.request("POST", "auth/logout/")
        self.token = None

    def me(self) -> JSON:
        return self.request("GET", "me/").json()

    # --- contributors ---------------------------------------------------------------------------

    def claim(self, project: str | None = None) -> JSON | None:
        """The claimed task, or None when nothing is open."""
        response = self.request("POST", "tasks/claim/", json={"project": project} if project else {})
        return None if response.status_code == 204 else response.json()

    def task(self, task_id: str) -> JSON:
        return self.request("GET", f"tasks/{task_id}/").json()

    def tasks(self, **filters: str) -> Iterator[JSON]:
        return self.each("tasks/", params=filters)

    def project(self, project_id: str) -> JSON:
        return self.request("GET", f"projects/{project_id}/").json()

    def submit(self, task_id: str, judgment: Mapping[str, Any]) -> JSON:
        return self.request("POST", f"tasks/{task_id}/submissions/", json=dict(judgment)).json()

    def appeal(self, task_id: str, reason: str) -> JSON:
        return self.request("POST", f"tasks/{task_id}/appeal/", json={"reason": reason}).json()

    def payouts(self, **filters: str) -> Iterator[JSON]:
        return self.each("payouts/", params=filters)

    def earnings(self) -> JSON:
        return self.request("GET", "me/earnings/").json()

    # --- reviewers ------------------------------------------------------------------------------

    def reviews(self, **filters: str) -> Iterator[JSON]:
        return self.each("reviews/", params=filters)

    def review(self, review_id: str) -> JSON:
        return self.request("GET", f"reviews/{review_id}/").json()

    def decide(self, review_id: str, decision: Decision, *, reasons: list[str], feedback: str) -> JSON:
        body: JSON = {"decision": decision, "reasons": reasons, "feedback": feedback}
        return self.request("POST", f"reviews/{review_id}/decision/", json=body).json()

    # --- ops ------------------------------------------------------------------------------------

    def queues(self) -> JSON:
        return self.request("GET", "queues/").json()

    def import_tasks(
        self, project_id: str, path: Path, *, progress: Callable[[int], None] | None = None
    ) -> JSON:
        """Upload a CSV or JSONL file of tasks: ``{created, skipped, errors}``. ``progress`` hears
        the bytes sent so far (from 0 again should an attempt be retried)."""

        with path.open("rb") as handle:
            upload = (path.name, _ProgressReader(handle, progress), _media_type(path))
            # httpx rewinds the file for every attempt, so a retry sends it whole again.
            return self.request(
                "POST", f"projects/{project_id}/tasks/", body=lambda: {"files": {"file": upload}}
            ).json()

    def export_preferences(self, project_id: str, sink: IO[bytes]) -> int:
        """Approved judgments as JSON Lines, streamed into ``sink``; the bytes written."""
        return self.download("exports/preferences/", sink, params={"project": project_id})

    # --- finance --------------------------------------------------------------------------------

    def payout_report(self, period: str) -> JSON:
        return self.request("GET", "payouts/report/", params={"period": period, "format": "json"}).json()

    def download_payout_report(self, period: str, sink: IO[bytes]) -> int:
        """The period's report as CSV, streamed into ``sink``; the bytes written."""
        return self.download("payouts/report/", sink, params={"period": period, "format": "csv"})


def _media_type(path: Path) -> str:
    return "text/csv" if path.suffix.lower() == ".csv" else "application/x-ndjson"


class _ProgressReader:
    """A file that tells ``progress`` how far it has been read (httpx reads uploads in chunks)."""

    def __init__(self, handle: IO[bytes], progress: Callable[[int], None] | None) -> None:
        self._handle = handle
        self._progress = progress

    def read(self, size: int = -1) -> bytes:
        chunk = self._handle.read(size)
        if self._progress:
            self._progress(self._handle.tell())
        return chunk

    def seek(self, offset: int, whence: int = 0) -> int:
        return self._handle.seek(offset, whence)

    def tell(self) -> int:
        return self._handle.tell()

    def fileno(self) -> int:
        return self._handle.fileno()
