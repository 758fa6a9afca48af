"""Reads of review assignments and reviewer eligibility. Reviewers see their own assignments,
ops see all; the restriction is in every query."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any, NamedTuple
from uuid import UUID

from django.db.models import Exists, F, OuterRef, Q, QuerySet

from marlin.compiled_queries import compiled
from marlin.kernel.errors import InvalidInput, NotFound
from marlin.kernel.roles import Role, has_role
from people.models import PersonSkill, User
from reviews.domain import ReviewerFacts
from reviews.models import AwaitingReview, ReviewAssignment, ReviewerLoad
from tasks.domain.review_round import AssignmentKind, AssignmentStatus
from tasks.models import Appeal, CalibrationPlant, ProjectRequiredSkill, Submission


def eligible_reviewers(*, project_id: UUID, layer: int, exclude: Iterable[int]) -> QuerySet[User]:
    """Active reviewers of level >= layer holding every skill the project requires."""
    lacks_a_skill = ProjectRequiredSkill.objects.filter(project_id=project_id).exclude(
        skill__in=PersonSkill.objects.filter(user=OuterRef(OuterRef("pk"))).values("skill")
    )
    return (
        User.objects.filter(is_reviewer=True, active=True, is_active=True, reviewer_level__gte=layer)
        .exclude(pk__in=list(exclude))
        .filter(~Exists(lacks_a_skill))
    )


def reviewer_id_for(reference: int | str) -> int:
    """A person named by id (a JSON number) or by username (a string); 400 naming ``reviewer``
    when there is no such person."""
    people = (
        User.objects.filter(pk=reference)
        if isinstance(reference, int)
        else User.objects.filter(username=reference)
    )
    found = people.values_list("pk", flat=True).first()
    if found is None:
        raise InvalidInput(fields={"reviewer": [f"no such person: {reference!r}"]})
    return found


def reviewer_facts(reviewer_id: int) -> ReviewerFacts | None:
    """What the eligibility rules need of one person, or None if there is no such person."""
    person = User.objects.filter(pk=reviewer_id).first()
    if person is None:
        return None
    pending = ReviewerLoad.objects.filter(reviewer_id=reviewer_id).values_list("pending", flat=True).first()
    return ReviewerFacts(
        reviewer_id=person.pk,
        is_reviewer=person.is_reviewer,
        active=person.active and person.is_active,
        reviewer_level=person.reviewer_level,
        skills=frozenset(person.skills or ()),
        pending=pending or 0,
        capacity=person.capacity,
    )


def required_skills(project_id: UUID) -> tuple[str, ...]:
    return tuple(
        ProjectRequiredSkill.objects.filter(project_id=project_id)
        .order_by("skill")
        .values_list("skill", flat=True)
    )


def loads_with_room(reviewers: QuerySet[User]) -> QuerySet[ReviewerLoad]:
    """Load rows of those reviewers under capacity: fewest pending, longest idle, lowest id first."""
    return ReviewerLoad.objects.filter(reviewer__in=reviewers, pending__lt=F("reviewer__capacity")).order_by(
        "pending", F("last_assigned_at").asc(nulls_first=True), "reviewer_id"
    )


def anyone_has_room() -> bool:
    """Has any active reviewer fewer pending reviews than their capacity? One cheap query: when
    not, there is nothing routing could do."""
    return _with_room(User.objects.all()).exists()


def anyone_has_room_filter() -> Exists:
    """``anyone_has_room`` as a condition, to add to another query (evaluated once per query)."""
    return Exists(_with_room(User.objects.all()))


def room_for(reviewer_id: int) -> int | None:
    """The reviewer level of ``reviewer_id`` if they are an active reviewer with room, else None.
    One query."""
    rows = _level_with_room(reviewer_id)
    return rows[0][0] if rows else None


@compiled
def _level_with_room(reviewer_id: int) -> QuerySet[User]:
    return _with_room(User.objects.filter(pk=reviewer_id)).values_list("reviewer_level")[:1]


def _with_room(people: QuerySet[User]) -> QuerySet[User]:
    return people.filter(
        is_reviewer=True, active=True, is_active=True, review_load__pending__lt=F("capacity")
    )


class Waiting(NamedTuple):
    """A task in the unassigned queue, and its place in the order routing takes the queue in."""

    task_id: UUID
    layer: int
    waiting_since: datetime


# Deepest layer first, then oldest. A task at a later layer is one or two decisions from being
# paid and has had reviewers' time spent on it; taking the queue oldest-first regardless of layer
# lets every new layer-1 submission push those reviews back while reviewers are the scarce side
# (reviewers keep starting tasks and rarely finish one). Layer 1 cannot starve: the later layers
# are fed only by layer 1's approvals.
ROUTING_ORDER = ("-layer", "waiting_since", "task_id")


def waiting_work(
    *, reviewer_id: int | None = None, after: Waiting | None = None, limit: int
) -> list[Waiting]:
    """The next waiting tasks in routing's order (``ROUTING_ORDER``), after ``after``, that a
    reviewer with room may take: ``reviewer_id`` (who just freed or gained capacity), or anyone.

    One query (two for one reviewer: first whether they have room), whatever the length of the
    queue; nothing when nobody has room. The eligibility rules are the routing command's
    (``eligible_reviewers``, ``excluded_reviewers``) written as a filter, so a task nobody with
    room may take is never tried; the command checks them again on the task it routes.
    """
    keyset = (after.layer, after.waiting_since, after.task_id) if after is not None else ()
    if reviewer_id is None:
        rows = _waiting_for_anyone(*keyset, limit=limit, paged=after is not None)
    else:
        level = room_for(reviewer_id)
        if level is None:
            return []
        rows = _waiting_for(reviewer_id, level, *keyset, limit=limit, paged=after is not None)
    return [Waiting(*row) for row in rows]


@compiled
def _waiting_for_anyone(*after: Any, limit: int, paged: bool) -> QuerySet[AwaitingReview]:
    return _next(AwaitingReview.objects.filter(Exists(_takers_with_room())), after, limit)


@compiled
def _waiting_for(
    reviewer_id: int, level: int, *after: Any, limit: int, paged: bool
) -> QuerySet[AwaitingReview]:
    waiting = _may_take(AwaitingReview.objects.filter(layer__lte=level), reviewer_id)
    return _next(waiting, after, limit)


def _next(waiting: QuerySet[AwaitingReview], after: tuple[Any, ...], limit: int) -> QuerySet[AwaitingReview]:
    """``(task_id, layer, waiting_since)`` of the first ``limit`` rows after the keyset ``after``
    (``layer, waiting_since, task_id``) in ``ROUTING_ORDER``."""
    if after:
        layer, since, task_id = after
        waiting = waiting.filter(
            Q(layer__lt=layer)
            | Q(layer=layer, waiting_since__gt=since)
            | Q(layer=layer, waiting_since=since, task_id__gt=task_id)
        )
    return waiting.order_by(*ROUTING_ORDER).values_list("task_id", "layer", "waiting_since")[:limit]


def _may_take(waiting: QuerySet[AwaitingReview], reviewer_id: int) -> QuerySet[AwaitingReview]:
    """Those of the ``waiting`` rows whose layer ``reviewer_id`` (level and room checked) may take."""
    their_skills = PersonSkill.objects.filter(user_id=reviewer_id).values("skill")
    lacks_a_skill = ProjectRequiredSkill.objects.filter(project_id=OuterRef("task__project_id")).exclude(
        skill__in=their_skills
    )
    theirs = ReviewAssignment.objects.filter(task_id=OuterRef("task_id"), reviewer_id=reviewer_id)
    return waiting.filter(
        ~Q(task__contributor_id=reviewer_id),
        ~Exists(lacks_a_skill),
        ~Exists(theirs.filter(status=AssignmentStatus.DECIDED).exclude(layer=OuterRef("layer"))),
        ~Exists(
            theirs.filter(
                layer=OuterRef("layer"),
                submission_version=OuterRef("task__current_submission__version"),
                status__in=[AssignmentStatus.EXPIRED, AssignmentStatus.REASSIGNED],
            )
        ),
    )


def _takers_with_room() -> QuerySet[User]:
    """Reviewers with room who may take the outer ``AwaitingReview`` row's layer (the sweep's
    filter: its planning costs a few milliseconds, once a page)."""
    their_skills = PersonSkill.objects.filter(user=OuterRef(OuterRef("pk"))).values("skill")
    lacks_a_skill = ProjectRequiredSkill.objects.filter(
        project_id=OuterRef(OuterRef("task__project_id"))
    ).exclude(skill__in=their_skills)
    reviewed_other_layer = ReviewAssignment.objects.filter(
        task_id=OuterRef(OuterRef("task_id")), reviewer_id=OuterRef("pk"), status=AssignmentStatus.DECIDED
    ).exclude(layer=OuterRef(OuterRef("layer")))
    passed_over = ReviewAssignment.objects.filter(
        task_id=OuterRef(OuterRef("task_id")),
        reviewer_id=OuterRef("pk"),
        layer=OuterRef(OuterRef("layer")),
        submission_version=OuterRef(OuterRef("task__current_submission__version")),
        status__in=[AssignmentStatus.EXPIRED, AssignmentStatus.REASSIGNED],
    )
    return _with_room(User.objects.filter(reviewer_level__gte=OuterRef("layer"))).filter(
        ~Q(pk=OuterRef("task__contributor_id")),
        ~Exists(lacks_a_skill),
        ~Exists(reviewed_other_layer),
        ~Exists(passed_over),
    )


# A review taken back (reassigned, expired, or cancelled with its task) is no longer the old
# reviewer's to read: they keep only the reviews they hold or decided.
REVIEWER_READS = (AssignmentStatus.PENDING, AssignmentStatus.DECIDED)


def assignments_visible_to(user: Any) -> QuerySet[ReviewAssignment]:
    """Ops: every assignment but calibration plants'. A reviewer: their own that are pending or
    decided, plants' included (they read like any other)."""
    if has_role(user, Role.OPS):
        return ReviewAssignment.objects.all()
    if has_role(user, Role.REVIEWER):
        return ReviewAssignment.all_objects.filter(reviewer_id=user.pk, status__in=REVIEWER_READS)
    return ReviewAssignment.objects.none()


def assignment_for(user: Any, assignment_id: UUID) -> ReviewAssignment:
    # The detail shows the task and its project's criteria: fetch them with it (the list does not).
    assignment = assignments_visible_to(user).select_related("task__project").filter(pk=assignment_id).first()
    if assignment is None:
        raise NotFound("no such review assignment")
    return assignment


def review_context(assignment: ReviewAssignment) -> dict[str, Any]:
    """What the reviewer sees: the project's criteria and reason codes, the submission under
    review, earlier versions, earlier rounds."""
    submissions = list(Submission.all_objects.filter(task_id=assignment.task_id).order_by("version"))
    earlier_rounds = (
        ReviewAssignment.objects.filter(task_id=assignment.task_id, status="decided")
        .exclude(pk=assignment.pk)
        .order_by("decided_at")
    )
    return {
        "criteria": assignment.task.project.criteria,
        "reason_codes": assignment.task.project.reason_codes,
        "submission": next((s for s in submissions if s.version == assignment.submission_version), None),
        "earlier_submissions": [s for s in submissions if s.version < assignment.submission_version],
        "earlier_rounds": list(earlier_rounds),
        "appeal_reason": (
            Appeal.objects.filter(task_id=assignment.task_id).values_list("reason", flat=True).first()
            if assignment.kind == AssignmentKind.APPEAL
            else None
        ),
    }


# --- calibration plants ----------------------------------------------------------------------------


def plants_open() -> bool:
    """Does any plant still want a reviewer? One cheap query, so routing costs nothing more while
    no project plants."""
    return CalibrationPlant.objects.filter(reviews__lt=F("project__calibration_reviews")).exists()


def plant_for(reviewer_id: int) -> UUID | None:
    """The plant to give ``reviewer_id`` now, oldest first, or None: an active reviewer with room
    and every skill of the plant's (active) project, of level at least its layer, who never had
    it, with fewer reviews on it than the project's ``calibration_reviews``, and due for one: no
    plant among their last ``calibration_every - 1`` assignments (at most one in every
    ``calibration_every``)."""
    facts = reviewer_facts(reviewer_id)
    if facts is None or not (facts.is_reviewer and facts.active) or facts.pending >= facts.capacity:
        return None
    had = ReviewAssignment.all_objects.filter(reviewer_id=reviewer_id, calibration=True)
    plants = CalibrationPlant.objects.filter(
        layer__lte=facts.reviewer_level,
        project__status="active",
        reviews__lt=F("project__calibration_reviews"),
    ).exclude(task_id__in=had.values("task_id"))
    since = _assignments_since_last_plant(reviewer_id)
    if since is not None:
        plants = plants.filter(project__calibration_every__lte=since + 1)
    lacks_a_skill = ProjectRequiredSkill.objects.filter(project_id=OuterRef("project_id")).exclude(
        skill__in=list(facts.skills)
    )
    plants = plants.filter(~Exists(lacks_a_skill))
    return plants.order_by("planted_at", "task_id").values_list("task_id", flat=True).first()


def reviewers_for_plant(plant_id: UUID, *, among: Iterable[int] | None = None) -> list[int]:
    """Active reviewers with room who could take the plant (level and skills), fewest pending
    first; ``among``: only these."""
    plant = CalibrationPlant.objects.filter(pk=plant_id).values_list("project_id", "layer").first()
    if plant is None:
        return []
    project_id, layer = plant
    eligible = eligible_reviewers(project_id=project_id, layer=layer, exclude=())
    loads = loads_with_room(eligible)
    if among is not None:
        loads = loads.filter(reviewer_id__in=list(among))
    return list(loads.values_list("reviewer_id", flat=True))


def due_for_plant(reviewer_id: int, every: int) -> bool:
    """No plant among the reviewer's last ``every - 1`` assignments."""
    since = _assignments_since_last_plant(reviewer_id)
    return since is None or since >= every - 1


def _assignments_since_last_plant(reviewer_id: int) -> int | None:
    """How many assignments the reviewer got after their latest plant; None: they never had one."""
    mine = ReviewAssignment.all_objects.filter(reviewer_id=reviewer_id)
    plants = mine.filter(calibration=True).order_by("-assigned_at")
    latest = plants.values_list("assigned_at", flat=True).first()
    return None if latest is None else mine.filter(assigned_at__gt=latest).count()
