"""Position bias in the contributors' report: a contributor who always picks the answer shown
first is flagged, one who picks at random is not (fixed seeds), and the figures are SPEC's."""

from __future__ import annotations

import random

import pytest

from marlin.kernel import chance
from quality import domain
from quality.selectors import contributor_rows, standouts
from tasks.commands import task_claim, task_submit
from tests.factories import import_tasks, judgment, make_project, make_user

pytestmark = pytest.mark.django_db

JUDGMENTS = 24


def judge(project, contributor, picks, *, seed: int) -> None:
    """``JUDGMENTS`` claims with a seeded order each; ``picks(rng)`` is the presented preference."""
    orders = random.Random(seed)
    for _ in range(JUDGMENTS):
        with chance.pinned_coin(orders.random() < 0.5):
            task = task_claim(contributor_id=contributor.pk, project_id=project.id)
        task_submit(
            contributor_id=contributor.pk, task_id=task.id, judgment=judgment(preference=picks(orders))
        )


def test_a_contributor_who_always_picks_the_first_shown_answer_is_flagged_and_a_random_one_is_not() -> None:
    project = make_project()
    import_tasks(project, 2 * JUDGMENTS)
    first_picker, coin_tosser = make_user("contributor"), make_user("contributor")
    judge(project, first_picker, lambda rng: "A", seed=11)
    judge(project, coin_tosser, lambda rng: rng.choice("AB"), seed=12)

    rows = {row["contributor"]: row for row in contributor_rows(project.id)}

    biased, fair = rows[first_picker.pk], rows[coin_tosser.pk]
    assert biased["first_position_rate"] == 1.0
    assert biased["position_bias_p"] == pytest.approx(2 / 2**JUDGMENTS)
    assert biased["flags"] == ["position_bias"]
    assert fair["position_bias_p"] > domain.POSITION_BIAS_P
    assert fair["flags"] == []
    assert [person.person for person in standouts([project.id])[project.id]] == [first_picker.pk]


def test_too_few_judgments_are_never_called_a_bias() -> None:
    project = make_project()
    import_tasks(project, domain.POSITION_BIAS_MIN_JUDGMENTS - 1)
    hasty = make_user("contributor")
    for _ in range(domain.POSITION_BIAS_MIN_JUDGMENTS - 1):
        task = task_claim(contributor_id=hasty.pk, project_id=project.id)
        task_submit(contributor_id=hasty.pk, task_id=task.id, judgment=judgment(preference="A"))

    [row] = contributor_rows(project.id)

    assert row["first_position_rate"] == 1.0
    assert row["position_bias_p"] < domain.POSITION_BIAS_P
    assert row["flags"] == []
