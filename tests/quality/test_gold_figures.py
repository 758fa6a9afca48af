"""Gold in the contributors' report: answers and accuracy from the gold tallies, suspension, and
the flags that put a careless contributor on the dashboard."""

from __future__ import annotations

import pytest

from quality.selectors import contributor_rows, standouts
from tasks.commands import task_claim, task_submit
from tests.factories import judgment, make_project, make_user, task_row
from tests.support.settle import settle
from tests.tasks.test_gold_tasks import gold, import_rows

pytestmark = pytest.mark.django_db


def answer_gold(project, contributor, preferences: str) -> None:
    """Claim and answer one gold task (its gold: B) per letter of ``preferences``."""
    for preference in preferences:
        task = task_claim(contributor_id=contributor.pk, project_id=project.id)
        task_submit(contributor_id=contributor.pk, task_id=task.id, judgment=judgment(preference=preference))
        settle()


def test_a_contributor_under_the_gold_bar_is_flagged_and_suspended_and_an_accurate_one_is_not() -> None:
    project = make_project(review_layers=1, gold_min_accuracy="0.6", gold_min_answers=3)
    import_rows(project, *(task_row(f"g{n}", gold=gold("B")) for n in range(1, 7)))
    careless, careful = make_user("contributor"), make_user("contributor")
    answer_gold(project, careless, "AAB")  # 1 of 3: suspended after the third
    answer_gold(project, careful, "BBB")

    rows = {row["contributor"]: row for row in contributor_rows(project.id)}

    assert (rows[careless.pk]["gold_answers"], rows[careless.pk]["gold_accuracy"]) == (3, 0.3333)
    assert rows[careless.pk]["suspended"] is True
    assert rows[careless.pk]["flags"] == ["gold_below_bar", "suspended"]
    assert (rows[careful.pk]["gold_answers"], rows[careful.pk]["gold_accuracy"]) == (3, 1.0)
    assert (rows[careful.pk]["suspended"], rows[careful.pk]["flags"]) == (False, [])
    assert [person.person for person in standouts([project.id])[project.id]] == [careless.pk]


def test_without_gold_tasks_the_gold_figures_say_so() -> None:
    project = make_project(review_layers=1)
    import_rows(project, task_row("plain"))
    contributor = make_user("contributor")
    task = task_claim(contributor_id=contributor.pk, project_id=project.id)
    task_submit(contributor_id=contributor.pk, task_id=task.id, judgment=judgment())

    [row] = contributor_rows(project.id)

    assert (row["gold_answers"], row["gold_accuracy"], row["suspended"], row["flags"]) == (0, None, False, [])
