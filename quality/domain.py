"""Quality figures as pure functions: rates, medians and the rules that flag a person.

Definitions (README "Quality reports" says the same for ops):
- a *rate* is a share in [0, 1], rounded to 4 places, and ``None`` when there is nothing to divide;
- a reviewer's approval is *overturned by a later layer* when a higher layer sent back or rejected
  the same submission version;
- a contributor is flagged ``position_bias`` by ``contributor_flags`` when the response shown
  first wins too often (or too seldom) for chance, over enough judgments;
- a reviewer is flagged ``overturned_often`` by ``reviewer_flags``: a rate of overturned approvals
  at least twice the project's median, once there are enough approvals for a rate to mean much.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from tasks.domain.quality import FirstPositionRate

RATE_PLACES = 4
# A reviewer's overturn rate is compared with the project's only after this many approvals: fewer
# say more about luck than about the reviewer.
MIN_APPROVALS_TO_JUDGE = 10
# And only once at least this many of them were overturned: one overturn is never a pattern.
MIN_OVERTURNED_TO_FLAG = 2
OVERTURN_FACTOR = 2  # "twice as often as the project's median"
# A contributor's first-position rate is called a bias below this p-value, and only with at least
# this many non-tie judgments (fewer cannot reach it honestly often enough to mean much).
POSITION_BIAS_P = 0.01
POSITION_BIAS_MIN_JUDGMENTS = 20


def rate(part: int, whole: int) -> float | None:
    """``part / whole`` rounded, or None when ``whole`` is zero (no data is not a zero rate)."""
    return round(part / whole, RATE_PLACES) if whole else None


def mean(total: float, count: int) -> float | None:
    return round(total / count, 2) if count else None


def median(values: Sequence[float]) -> float | None:
    return round(statistics.median(values), 2) if values else None


@dataclass(frozen=True)
class GoldRecord:
    """A contributor's gold answers in a project, against the project's bar (None: off)."""

    answers: int
    correct: int
    min_accuracy: Decimal | None
    min_answers: int

    @property
    def below_bar(self) -> bool:
        """Enough answers to judge, and an accuracy strictly under the bar (as suspension rules)."""
        if self.min_accuracy is None or self.answers < self.min_answers:
            return False
        return Decimal(self.correct) / Decimal(self.answers) < self.min_accuracy


def contributor_flags(
    *, first_position: FirstPositionRate | None, gold: GoldRecord | None = None, suspended: bool = False
) -> list[str]:
    """``position_bias``: at least ``POSITION_BIAS_MIN_JUDGMENTS`` non-tie judgments whose
    first-position rate is that far from one half that chance explains it with p < 0.01.
    ``gold_below_bar``: over all their gold answers, accuracy under the project's bar (with at
    least ``gold_min_answers``). ``suspended``: a suspension from claiming is in force."""
    flags = []
    if (
        first_position is not None
        and first_position.p_value is not None
        and first_position.decided >= POSITION_BIAS_MIN_JUDGMENTS
        and first_position.p_value < POSITION_BIAS_P
    ):
        flags.append("position_bias")
    if gold is not None and gold.below_bar:
        flags.append("gold_below_bar")
    if suspended:
        flags.append("suspended")
    return flags


@dataclass(frozen=True)
class OverturnRecord:
    """One reviewer's approvals in a project below its top layer (the ones a later layer can
    overturn; counting top-layer approvals would pull every rate and the median towards zero),
    and how many of them a later layer overturned."""

    reviewer: int
    approvals: int
    overturned: int

    @property
    def judged(self) -> bool:
        return self.approvals >= MIN_APPROVALS_TO_JUDGE

    @property
    def overturn_rate(self) -> float:
        return self.overturned / self.approvals if self.approvals else 0.0


def project_overturn_median(records: Sequence[OverturnRecord]) -> float | None:
    """The median overturn rate of the project's reviewers with enough approvals to judge."""
    rates = [record.overturn_rate for record in records if record.judged]
    return statistics.median(rates) if rates else None


# Approvals of plants that deserved rejection before a reviewer is flagged: one can be a slip.
BAD_PLANT_APPROVALS_TO_FLAG = 2


@dataclass(frozen=True)
class CalibrationRecord:
    """A reviewer's decided calibration plants in a project: how many, how many caught, and how
    many that deserved rejection they approved."""

    seen: int
    caught: int
    approved_bad: int


def calibration_flags(record: CalibrationRecord | None) -> list[str]:
    """``approves_bad_plants``: they approved ``BAD_PLANT_APPROVALS_TO_FLAG`` or more plants that
    deserved rejection."""
    if record is not None and record.approved_bad >= BAD_PLANT_APPROVALS_TO_FLAG:
        return ["approves_bad_plants"]
    return []


def reviewer_flags(record: OverturnRecord, project_median: float | None) -> list[str]:
    """``overturned_often``: enough approvals to judge, at least two overturned, and an overturn
    rate at least twice the project's median (any overturns at all when the median is zero)."""
    if project_median is None or not record.judged or record.overturned < MIN_OVERTURNED_TO_FLAG:
        return []
    if record.overturn_rate >= OVERTURN_FACTOR * project_median:
        return ["overturned_often"]
    return []
