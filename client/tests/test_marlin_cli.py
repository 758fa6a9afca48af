"""The terminal client against a fake server: what it sends, prints and exits with."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import httpx
import pytest
import yaml
from conftest import URL, Recorder, body_of, error
from marlin_client.cli import context
from marlin_client.cli.app import app
from marlin_client.cli.render import Segment, answer_segments, language_of
from marlin_client.config import Config, load_config, save_config
from marlin_client.judgment import judgment_problems, template
from typer.testing import CliRunner

CRITERIA = ["correctness", "readability"]
TASK = {
    "id": "task-1",
    "project": "p-1",
    "status": "claimed",
    "tags": ["python"],
    "prompt": "Sort.",
    "context": "",
    "response_a": "def f(x):\n    return sorted(x)",
    "response_b": "x.sort()",
    "rounds": [],
}
PROJECT = {"id": "p-1", "name": "Judgments", "criteria": CRITERIA}
GOOD = """preference: A
strength: 2
scores:
  correctness: {a: 5, b: 3}
  readability: {a: 4, b: 4}
rationale: A returns a new sorted list; B sorts in place and returns None, so callers get nothing.
time_spent_minutes: 30
"""


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Recorder:
    """A fake Marlin: GET task and project, POST submissions and decisions answer 201."""

    def answer(request: httpx.Request) -> httpx.Response:  # noqa: PLR0911 - one answer per route
        path = request.url.path
        if request.method == "GET" and path == "/api/v1/tasks/task-1/":
            return httpx.Response(200, json=TASK)
        if request.method == "GET" and path == "/api/v1/projects/p-1/":
            return httpx.Response(200, json=PROJECT)
        if path == "/api/v1/tasks/task-1/submissions/":
            return httpx.Response(201, json={"version": 1, **body_of(request)})
        if path == "/api/v1/tasks/task-1/appeal/":
            return httpx.Response(200, json={**TASK, "status": "appealed"})
        if path == "/api/v1/reviews/rv-1/":
            return httpx.Response(200, json={"id": "rv-1", "reason_codes": ["weak_rationale"]})
        if path == "/api/v1/reviews/rv-1/decision/":
            return httpx.Response(200, json={"id": "rv-1", "layer": 1, **body_of(request)})
        return error(404, "not_found", request_id="req-404")

    recorder = Recorder(answer)
    monkeypatch.setattr(context, "TRANSPORT", httpx.MockTransport(recorder))
    save_config(Config(url=URL, token="t0ken", username="alice"))
    return recorder


def run(*args: str, stdin: str | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["--url", URL, *args], input=stdin)
    return result.exit_code, result.output


def test_submit_checks_the_file_against_the_criteria_and_sends_nothing_when_wrong(server, tmp_path) -> None:
    judgment = tmp_path / "judgment.yaml"
    judgment.write_text(
        "preference: B\nstrength: 4\nscores: {correctness: {a: 9, b: 1}, style: {a: 1, b: 1}}\n"
        "rationale: short\ntime_spent_minutes: 0\n"
    )

    status, output = run("submit", "task-1", str(judgment))

    assert status == 1
    for problem in (
        "strength: must be 1 (slight), 2 (clear) or 3 (strong)",
        "scores.correctness.a",
        "scores.readability: is missing",
        "scores.style: not a criterion",
        "rationale: must be at least 50",
        "time_spent_minutes",
    ):
        assert problem in output
    assert [r.method for r in server.requests] == ["GET", "GET"]


def test_submit_sends_a_valid_judgment_with_a_key(server, tmp_path) -> None:
    judgment = tmp_path / "judgment.yaml"
    judgment.write_text(GOOD)

    status, output = run("submit", "task-1", str(judgment))

    assert status == 0, output
    assert "Submitted version 1" in output
    post = server.requests[-1]
    assert post.method == "POST"
    assert post.headers["Idempotency-Key"]
    assert body_of(post)["scores"] == {"correctness": {"a": 5, "b": 3}, "readability": {"a": 4, "b": 4}}


def test_an_api_refusal_is_printed_with_its_code_and_request_id_and_exits_1(server) -> None:
    status, output = run("feedback", "task-404")

    assert status == 1
    assert "Error 404 not_found" in output
    assert "request id: req-404" in output


def test_decide_sends_request_changes_with_every_reason(server) -> None:
    status, output = run(
        "decide", "rv-1", "request-changes", "--reason", "weak_rationale", "--feedback", "Why?"
    )

    assert status == 0, output
    assert body_of(server.requests[-1]) == {
        "decision": "request_changes",
        "reasons": ["weak_rationale"],
        "feedback": "Why?",
    }


def test_reject_without_a_reason_is_refused_before_anything_is_sent(server) -> None:
    status, output = run("decide", "rv-1", "reject", "--feedback", "No.")

    assert status == 1
    assert "needs --feedback and at least one --reason" in output
    assert server.requests == []


def test_without_a_sign_in_for_this_server_nothing_is_sent(server) -> None:
    result = CliRunner().invoke(app, ["--url", "http://other.test", "claim"])

    assert result.exit_code == 1
    assert "not signed in to http://other.test" in result.output
    assert server.requests == []


def test_login_keeps_the_token_0600_and_logout_revokes_and_forgets_it(monkeypatch, config_dir: Path) -> None:
    recorder = Recorder(
        httpx.Response(200, json={"token": "fresh", "expires_at": "2026-12-26T00:00:00Z"}),
        httpx.Response(204),
    )
    monkeypatch.setattr(context, "TRANSPORT", httpx.MockTransport(recorder))

    status, output = run("login", "--username", "alice", "--password-stdin", stdin="s3cret\n")

    assert status == 0, output
    assert load_config() == Config(
        url=URL, token="fresh", username="alice", expires_at="2026-12-26T00:00:00Z"
    )
    assert stat.S_IMODE((config_dir / "config.json").stat().st_mode) == 0o600
    assert body_of(recorder.requests[0]) == {"username": "alice", "password": "s3cret"}

    status, output = run("logout")

    assert status == 0, output
    assert recorder.requests[-1].url.path == "/api/v1/auth/logout/"
    assert recorder.requests[-1].headers["Authorization"] == "Token fresh"
    assert load_config().token is None


def test_json_output_is_the_api_answer(server) -> None:
    status, output = run("--json", "feedback", "task-1")

    assert status == 0
    assert json.loads(output) == {"task": "task-1", "status": "claimed", "rounds": []}


def test_an_answer_splits_into_prose_and_highlighted_code() -> None:
    answer = "Use a set.\n\n```python\nreturn sorted(set(xs))\n```\nThen return it.\n```\nplain\n```"

    assert answer_segments(answer, language="rust") == [
        Segment("Use a set."),
        Segment("return sorted(set(xs))", "python"),
        Segment("Then return it."),
        Segment("plain", "rust"),
    ]
    assert answer_segments("fn main() {}", language="rust") == [Segment("fn main() {}", "rust")]
    assert language_of(["web", "concurrency", "go"]) == "go"


def test_the_template_passes_its_own_check_once_the_rationale_is_written() -> None:
    filled = yaml.safe_load(template(CRITERIA))
    assert [p.field for p in judgment_problems(filled, CRITERIA)] == ["rationale"]
    filled["rationale"] = "A is correct on empty input and B is not; both read well enough."
    assert judgment_problems(filled, CRITERIA) == []
    assert judgment_problems({**filled, "preference": "tie"}, CRITERIA)[0].field == "strength"


def test_appeal_sends_the_reason_with_a_key_and_says_the_task_is_appealed(server) -> None:
    reason = "B raises IndexError on an empty list, so the rejection's reading of B is wrong."

    status, output = run("appeal", "task-1", "--reason", reason)

    assert status == 0, output
    assert "it is appealed" in output
    post = server.requests[-1]
    assert (post.method, body_of(post)) == ("POST", {"reason": reason})
    assert post.headers["Idempotency-Key"]


def test_a_short_appeal_reason_is_refused_before_anything_is_sent(server) -> None:
    status, output = run("appeal", "task-1", "--reason", "I disagree.")

    assert status == 1
    assert "at least 50 characters" in output
    assert server.requests == []
