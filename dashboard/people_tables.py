"""The reads behind the ops tables of people: one row per reviewer, one row per contributor.

Every figure is an annotation of the ``User`` queryset (a correlated subquery per figure, so no
join multiplies another's rows), which lets the database filter, sort and page by any of them. A
page therefore costs the same few queries whether there are ten people or ten thousand, on
PostgreSQL and SQLite alike. Windows end at ``clock.now()``.

Definitions, reviewers:

- ``pending``: review assignments they hold now (the routing's own count, ``ReviewerLoad``);
  ``load``: ``pending / capacity`` (none when the capacity is 0); *full*: ``pending >= capacity``.
- ``overdue``: pending assignments past their ``due_at``.
- ``decisions_7d``: assignments they decided in the last 7 days; ``decisions_per_day`` is that / 7.
- ``approval_rate``: of the assignments they decided in the last 30 days, the share approved
  (none without decisions).
- ``last_assigned_at``: when routing last gave them a review.

Definitions, contributors:

- the task *held*: their claimed task (with the earliest claim expiry, should they hold more),
  when they claimed it, and whether its claim is overdue (``claim_expires_at`` passed).
- ``submitted_7d``: submissions (revisions included) in the last 7 days.
- ``approved_30d`` / ``rejected_30d``: their tasks finished approved / rejected in the last 30
  days (a reversed approval counts as rejected, when it was reversed).
- ``first_pass_rate``: of those finally decided tasks, the share approved without a request for
  changes (none when none was decided).
- ``changes_requested_30d``: requests for changes on their tasks decided in the last 30 days.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum

from django.db.models import (
    BooleanField,
    Count,
    ExpressionWrapper,
    F,
    FloatField,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    TextField,
)
from django.db.models.expressions import CombinedExpression
from django.db.models.functions import Cast, Coalesce, Lower, NullIf

from dashboard.sorting import Column, Sorting, sorting_from
from marlin.kernel import clock
from people.models import PersonSkill, User
from reviews.models import ReviewAssignment
from tasks.domain.review_round import AssignmentStatus, Decision
from tasks.domain.task import TaskStatus
from tasks.models import Submission, Task, TaskRound

RECENT = timedelta(days=7)
RATE_WINDOW = timedelta(days=30)


class Activity(StrEnum):
    ACTIVE = "active"
    INACTIVE = "inactive"
    ALL = "all"


@dataclass(frozen=True)
class ReviewerFilter:
    search: str = ""
    level: int | None = None
    skill: str = ""
    activity: Activity = Activity.ACTIVE
    overdue_only: bool = False
    full_only: bool = False


@dataclass(frozen=True)
class ContributorFilter:
    search: str = ""
    skill: str = ""
    activity: Activity = Activity.ACTIVE
    holding_only: bool = False
    overdue_claim_only: bool = False


REVIEWER_COLUMNS = (
    Column("username", "username", (Lower("username"),)),
    Column("name", "name", (Lower("name"),)),
    Column("level", "level", ("reviewer_level",), numeric=True),
    Column("skills", "skills", ("skills_text",)),
    Column("active", "active", ("active",)),
    Column("load", "pending / capacity", ("load", "pending"), numeric=True),
    Column("decisions", "decisions / day (7 d)", ("decisions_7d",), numeric=True),
    Column("approval", "approval rate (30 d)", ("approval_rate",), numeric=True),
    Column("overdue", "overdue", ("overdue", "load", "pending"), numeric=True),
    Column("last_assigned", "last assigned", ("last_assigned_at",), numeric=True),
)
REVIEWER_DEFAULT_SORT = "-overdue"  # most overdue, then the highest load

CONTRIBUTOR_COLUMNS = (
    Column("username", "username", (Lower("username"),)),
    Column("name", "name", (Lower("name"),)),
    Column("skills", "skills", ("skills_text",)),
    Column("active", "active", ("active",)),
    Column("held", "task held", ("held_claim_expires_at",)),
    Column("submitted", "submitted (7 d)", ("submitted_7d",), numeric=True),
    Column("approved", "approved (30 d)", ("approved_30d",), numeric=True),
    Column("rejected", "rejected (30 d)", ("rejected_30d",), numeric=True),
    Column("first_pass", "first-pass rate (30 d)", ("first_pass_rate",), numeric=True),
    Column("changes", "changes requested (30 d)", ("changes_requested_30d",), numeric=True),
)
CONTRIBUTOR_DEFAULT_SORT = "held"  # the claim that expires first (or expired longest ago) on top


def reviewer_sorting(param: str | None) -> Sorting:
    return sorting_from(param, REVIEWER_COLUMNS, default=REVIEWER_DEFAULT_SORT)


def contributor_sorting(param: str | None) -> Sorting:
    return sorting_from(param, CONTRIBUTOR_COLUMNS, default=CONTRIBUTOR_DEFAULT_SORT)


def reviewer_rows(*, filters: ReviewerFilter, sorting: Sorting) -> QuerySet[User]:
    """Reviewers (people with the reviewer role) with their figures, filtered and sorted."""
    now = clock.now()
    theirs = ReviewAssignment.objects.filter(reviewer=OuterRef("pk"))
    decided = theirs.filter(status=AssignmentStatus.DECIDED)
    month = decided.filter(decided_at__gte=now - RATE_WINDOW)
    reviewers = User.objects.filter(is_reviewer=True)
    people = _people(reviewers, filters.search, filters.skill, filters.activity)
    people = people.annotate(
        pending=Coalesce(F("review_load__pending"), 0, output_field=IntegerField()),
        last_assigned_at=F("review_load__last_assigned_at"),
        load=_ratio("pending", F("capacity")),
        overdue=_count(theirs.filter(status=AssignmentStatus.PENDING, due_at__lt=now), "reviewer"),
        decisions_7d=_count(decided.filter(decided_at__gte=now - RECENT), "reviewer"),
        decisions_30d=_count(month, "reviewer"),
        approvals_30d=_count(month.filter(decision=Decision.APPROVE), "reviewer"),
        approval_rate=_ratio("approvals_30d", F("decisions_30d")),
        decisions_per_day=ExpressionWrapper(
            Cast("decisions_7d", FloatField()) / RECENT.days, output_field=FloatField()
        ),
    )
    if filters.level is not None:
        people = people.filter(reviewer_level=filters.level)
    if filters.overdue_only:
        people = people.filter(overdue__gt=0)
    if filters.full_only:
        people = people.filter(pending__gte=F("capacity"))
    return people.order_by(*sorting.order_by())


def contributor_rows(*, filters: ContributorFilter, sorting: Sorting) -> QuerySet[User]:
    """Contributors (people with the contributor role) with their figures, filtered and sorted."""
    now = clock.now()
    held = Task.objects.filter(contributor=OuterRef("pk"), status=TaskStatus.CLAIMED).order_by(
        "claim_expires_at", "claimed_at", "pk"
    )
    finished = Task.objects.filter(contributor=OuterRef("pk"), finished_at__gte=now - RATE_WINDOW)
    approved = finished.filter(status=TaskStatus.APPROVED)
    contributors = User.objects.filter(is_contributor=True)
    people = _people(contributors, filters.search, filters.skill, filters.activity)
    people = people.annotate(
        held_task_id=Subquery(held.values("pk")[:1]),
        held_claimed_at=Subquery(held.values("claimed_at")[:1]),
        held_claim_expires_at=Subquery(held.values("claim_expires_at")[:1]),
        claim_overdue=ExpressionWrapper(Q(held_claim_expires_at__lt=now), output_field=BooleanField()),
        submitted_7d=_count(
            Submission.objects.filter(contributor=OuterRef("pk"), submitted_at__gte=now - RECENT),
            "contributor",
        ),
        approved_30d=_count(approved, "contributor"),
        first_pass_30d=_count(approved.filter(revisions=0), "contributor"),
        rejected_30d=_count(finished.filter(status=TaskStatus.REJECTED), "contributor"),
        first_pass_rate=_ratio("first_pass_30d", F("approved_30d") + F("rejected_30d")),
        changes_requested_30d=_count(
            TaskRound.objects.filter(
                task__contributor=OuterRef("pk"),
                decision=Decision.REQUEST_CHANGES,
                decided_at__gte=now - RATE_WINDOW,
            ),
            "task__contributor",
        ),
    )
    if filters.holding_only:
        people = people.filter(held_task_id__isnull=False)
    if filters.overdue_claim_only:
        people = people.filter(held_claim_expires_at__lt=now)
    return people.order_by(*sorting.order_by())


def skills_of(role_column: str) -> list[str]:
    """Every skill some person with the role (``is_reviewer``, ``is_contributor``) has, sorted:
    the choices of the skill filter."""
    rows = PersonSkill.objects.filter(**{f"user__{role_column}": True})
    return list(rows.order_by("skill").values_list("skill", flat=True).distinct())


def _people(people: QuerySet[User], search: str, skill: str, activity: Activity) -> QuerySet[User]:
    """The filters both tables share: a search in username and name, a skill, work activity."""
    if search:
        people = people.filter(Q(username__icontains=search) | Q(name__icontains=search))
    if skill:
        # One row per (person, skill): the join cannot repeat a person.
        people = people.filter(skill_rows__skill=skill)
    if activity is Activity.ACTIVE:
        people = people.filter(active=True)
    elif activity is Activity.INACTIVE:
        people = people.filter(active=False)
    # Only what the tables show: a page has no business reading password hashes.
    shown = people.only("username", "name", "reviewer_level", "skills", "capacity", "active")
    return shown.annotate(skills_text=Cast("skills", TextField()))


def _count(rows: QuerySet, person: str) -> Coalesce:
    """How many of ``rows`` (already tied to the outer person by ``person``) there are, as a
    scalar subquery: 0 when none."""
    counted = rows.order_by().values(person).annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def _ratio(part: str, whole: F | CombinedExpression) -> ExpressionWrapper:
    """``part / whole`` as a float; none (NULL) when ``whole`` is 0."""
    return ExpressionWrapper(Cast(part, FloatField()) / NullIf(whole, 0), output_field=FloatField())
