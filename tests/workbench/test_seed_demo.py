"""``manage.py seed_demo`` (what ``make run`` runs): demo people, a project with its tasks, work
in flight and payouts, and nothing new the second time."""

from __future__ import annotations

import json
import re

import pytest
from django.core.management import call_command

from marlin.eventstore.models import Event
from marlin.kernel import chance
from people.models import User
from tasks.models import Submission, Task
from workbench.demo import TASKS_FILE, as_shown, demo_judgments

pytestmark = pytest.mark.django_db


def test_seed_demo_fills_an_empty_database_and_a_second_run_adds_nothing(capsys) -> None:
    call_command("seed_demo")
    events = Event.objects.count()

    call_command("seed_demo")

    assert Task.objects.count() == 36
    assert set(User.objects.values_list("username", flat=True)) >= {"admin", "olga", "fred", "alice", "rita"}
    assert Event.objects.count() == events
    assert "payouts:" in capsys.readouterr().out


def _words(text: str) -> set[str]:
    """The distinctive words of a text: identifiers and terms of five letters or more."""
    return {word.lower() for word in re.findall(r"[A-Za-z_][A-Za-z0-9_]{4,}", text)} - _COMMON


_COMMON = {"answer", "answers", "about", "after", "before", "every", "which", "would", "there", "their"}


def _prompts() -> dict[str, str]:
    with TASKS_FILE.open() as lines:
        return {row["external_id"]: row["prompt"] for row in map(json.loads, lines)}


def test_every_written_judgment_talks_about_its_own_task_more_than_any_other() -> None:
    prompts = _prompts()

    for external_id, judgment in demo_judgments().items():
        words = _words(judgment["rationale"])
        overlap = {other: len(words & _words(prompt)) for other, prompt in prompts.items()}
        best = max(overlap.values())
        assert overlap[external_id] == best >= 2, (external_id, sorted(words & _words(prompts[external_id])))
        assert [other for other, count in overlap.items() if count == best] == [external_id]
        assert judgment["preference"] in {"A", "B"}
        assert judgment["strength"] in {1, 2, 3}


@pytest.mark.parametrize("shown_swapped", [False, True])
def test_each_seeded_submission_carries_the_judgment_written_for_its_task(shown_swapped: bool) -> None:
    with chance.pinned_coin(shown_swapped):
        call_command("seed_demo")
    written = demo_judgments()

    submissions = list(Submission.objects.select_related("task"))

    assert len(submissions) == 6  # two in review, four approved with payouts
    assert len({submission.task_id for submission in submissions}) == 6
    assert {submission.presented_swapped for submission in submissions} == {shown_swapped}
    for submission in submissions:
        judgment = written[submission.task.external_id]
        assert submission.rationale == _as_its_author_saw(judgment["rationale"], submission.presented_swapped)
        assert submission.preference == judgment["preference"]  # stored canonical
        assert _words(submission.rationale) & _words(submission.task.prompt)


def _as_its_author_saw(rationale: str, presented_swapped: bool) -> str:
    """A rationale written about the import's A and B, in the letters of a contributor who was
    shown them swapped (the demo's rationales name the responses by a lone A or B)."""
    if not presented_swapped:
        return rationale
    return re.sub(r"\b([AB])\b", lambda side: {"A": "B", "B": "A"}[side.group(1)], rationale)


def test_a_demo_contributor_shown_the_answers_swapped_sends_the_judgment_in_their_order() -> None:
    written = {
        "preference": "B",
        "strength": 3,
        "scores": {"correctness": {"a": 2, "b": 5}},
        "rationale": "B sets pipefail; A's pipe hides the failure.",
        "time_spent_minutes": 45,
    }

    assert as_shown(written, False) == written
    assert as_shown(written, True) == {
        **written,
        "preference": "A",
        "scores": {"correctness": {"a": 5, "b": 2}},
        "rationale": "A sets pipefail; B's pipe hides the failure.",
    }
