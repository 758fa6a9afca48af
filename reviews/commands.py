"""Review commands: route a layer to a reviewer, decide, expire, reassign.

Lock order (with ``marlin.eventstore.store``): the unassigned-queue row of the task, then
reviewer load rows (lowest id first), then task rows through the projectors, then the position
counter at commit. Routing takes reviewer load rows ``FOR UPDATE SKIP LOCKED``, re-checking
``pending < capacity`` on the row it gets, so concurrent routers never push anyone over capacity.
"""

from __future__ import annotations

import enum
import logging
import time
import uuid
from collections.abc import Sequence
from uuid import UUID

from django.db import connection
from django.db.models import QuerySet, Subquery

from marlin.compiled_queries import compiled
from marlin.eventstore.store import (
    RecordedEvent,
    UnitOfWork,
    command_transaction,
    fold_stream,
    read_stream,
    read_stream_if,
)
from marlin.kernel import clock
from marlin.kernel.errors import ConcurrencyConflict, Conflict, InvalidInput, NotAllowed, NotFound
from marlin.kernel.events import DomainEvent
from marlin.reactors import sweep
from reviews import domain
from reviews.models import AwaitingReview, ReviewAssignment, ReviewerLoad
from reviews.selectors import (
    REVIEWER_READS,
    anyone_has_room,
    anyone_has_room_filter,
    due_for_plant,
    eligible_reviewers,
    loads_with_room,
    plant_for,
    plants_open,
    required_skills,
    reviewer_facts,
    reviewers_for_plant,
    waiting_work,
)
from tasks.domain.events import task_stream
from tasks.domain.review_round import Decision
from tasks.domain.task import TaskState, evolve, known
from tasks.selectors import load_task, project_policy

log = logging.getLogger(__name__)


class Unrouted(enum.Enum):
    """Why a routing attempt assigned nobody."""

    # Assigned already, held by another router at this moment, or nobody at all has room.
    NOT_WAITING = "not_waiting"
    # No eligible reviewer with room whose load row is free: all are full, or the rows of those
    # with room are held (another router is giving them work, or they are deciding).
    NO_REVIEWER = "no_reviewer"


def review_route(*, task_id: UUID) -> UUID | None:
    """Give the task's current layer to the best eligible reviewer with room.

    Returns the new assignment's id, or None when the task needs no reviewer or nobody is
    eligible (it then waits in the unassigned queue until capacity frees or the sweep runs).
    When no reviewer has room, the first read finds nothing and that is all.
    """
    outcome = review_route_outcome(task_id=task_id)
    return outcome if isinstance(outcome, UUID) else None


def review_route_outcome(*, task_id: UUID) -> UUID | Unrouted:
    """``review_route``, saying why nobody was assigned (``Unrouted``)."""
    with command_transaction() as uow:
        task_id = task_id if isinstance(task_id, UUID) else UUID(str(task_id))
        events = _waiting_task_events(task_id)
        if not events:
            return Unrouted.NOT_WAITING
        state, version = fold_stream(task_stream(task_id), events, evolve, TaskState())
        if not state.awaits_reviewer():
            return Unrouted.NOT_WAITING
        reviewer_id = _pick_reviewer(state)
        if reviewer_id is None:
            return Unrouted.NO_REVIEWER
        return _assign(uow, state, version, reviewer_id)


def _assign(
    uow: UnitOfWork, state: TaskState, version: int, reviewer_id: int, *, by_hand: bool = False
) -> UUID:
    """Append the assignment of the current layer to ``reviewer_id`` (whose load row is locked);
    ``by_hand`` when ops named the reviewer."""
    task = known(state)
    assignment_id = uuid.uuid4()
    events = domain.decide_assign(
        state,
        reviewer_id=reviewer_id,
        assignment_id=assignment_id,
        policy=project_policy(task.project_id),
        now=clock.now(),
        by_hand=by_hand,
    )
    uow.append(task_stream(task.task_id), version, events)
    return assignment_id


def _pick_reviewer(state: TaskState, *, only: int | None = None) -> int | None:
    """Lock and return the load row of the reviewer to assign, or None."""
    project_id, layer = known(state).project_id, state.layer or 1
    exclude = tuple(sorted(domain.excluded_reviewers(state)))
    # A named reviewer (ops), or for a revision the reviewer who asked for it, is waited for;
    # otherwise a reviewer whose row another router holds is skipped for the next best.
    named = only if only is not None else (state.preferred_reviewer_id if state.submissions > 1 else None)
    if named is not None:
        eligible = eligible_reviewers(project_id=project_id, layer=layer, exclude=exclude)
        load = loads_with_room(eligible.filter(pk=named)).select_for_update(of=("self",)).first()
        if load is not None or only is not None:
            return load.reviewer_id if load is not None else None
    picked = _pick(project_id, layer, *exclude, excluded=len(exclude))
    return picked[0][0] if picked else None


# Routing runs the same two statements for every task: the ORM builds and compiles each once
# per shape (``compiled``), which halves a routed event's Python time.


@compiled
def _lock_waiting(task_id: UUID) -> QuerySet[AwaitingReview]:
    """The queued row of the task, locked (skipped when another router holds it), only while
    someone has room."""
    return (
        AwaitingReview.objects.select_for_update(skip_locked=True, of=("self",))
        .filter(task_id=task_id)
        .filter(anyone_has_room_filter())
        .values_list("task_id")[:1]
    )


def _waiting_task_events(task_id: UUID) -> list[RecordedEvent]:
    """The task's events, its queued row locked, while it waits and someone has room; none
    otherwise (or when another router holds the row). A waiting task's stream always has
    committed events (its import, at least), so none means not waiting. On PostgreSQL one
    statement: the lock and the read of the stream were a routed event's first two."""
    if connection.vendor != "postgresql":
        return read_stream(task_stream(task_id)) if _lock_waiting(task_id) else []
    return read_stream_if(task_stream(task_id), _lock_waiting.statement(task_id))  # type: ignore[attr-defined]


@compiled
def _pick(project_id: UUID, layer: int, *exclude: int, excluded: int) -> QuerySet[ReviewerLoad]:
    """The load row of the best eligible reviewer with room, locked; one another router holds is
    skipped for the next best. How many reviewers are excluded is the shape (one SQL per count);
    who they are, like the project and the layer, are values."""
    eligible = eligible_reviewers(project_id=project_id, layer=layer, exclude=exclude)
    best = loads_with_room(eligible).select_for_update(skip_locked=True, of=("self",))
    return best.values_list("reviewer_id")[:1]


WAITING_PAGE = 20  # candidates read at once by the sweep; routing fills reviewers as it goes


def review_route_waiting(
    *, reviewer_id: int | None = None, limit: int = 100, max_seconds: float | None = None
) -> int:
    """Route the waiting tasks that a reviewer with room may take, in routing's order (deepest
    layer first, then oldest): ``reviewer_id`` (who just freed or gained capacity), or anyone
    (the sweep). Returns how many were assigned.

    Driven by room, not by the queue: one query when nobody has room, however many tasks wait;
    otherwise it pages through the candidates (a keyset, so a task that could not be routed is
    not tried again in this run), at most ``limit`` of them. Each task is routed in its own
    transaction, or, inside a reactor, joined to the reactor's.

    For one reviewer, it stops at the first candidate that found no reviewer to take it: this
    reviewer had room a moment ago, so their load row is held by another transaction (a router
    giving them work, or their own decision), and every next candidate would wait for the same
    row. Two routing pumps, each holding the row of the reviewer the other was routing for, once
    tried 100 candidates each that way and held their workers, and the rows they had locked, for
    a second. Whatever holds the row routes again when it frees a place; the sweep at the latest.

    The sweep stops after a page that routed nothing: its candidates' takers are being routed to
    by the reactors at this very moment (their rows locked) or filled up meanwhile, and trying
    hundreds more would only hold a worker for seconds; the next run goes on. ``max_seconds``
    bounds a run the same way (checked between candidates).
    """
    if reviewer_id is not None:
        calibration_offer(reviewer_id=reviewer_id)  # interleaved: a due plant first, then the queue
    # A single reviewer fills up after a few tasks: read one candidate at a time, so a full
    # reviewer costs one query rather than a page of failing attempts.
    page_size = 1 if reviewer_id is not None else WAITING_PAGE
    if reviewer_id is None and not anyone_has_room():
        return 0  # the cheap check first: the sweep's candidate query takes longer to plan
    routed = tried = 0
    after = None
    deadline = None if max_seconds is None else time.monotonic() + max_seconds
    while tried < limit:
        page = waiting_work(reviewer_id=reviewer_id, after=after, limit=min(page_size, limit - tried))
        routed_before = routed
        for waiting in page:
            if deadline is not None and tried and time.monotonic() > deadline:
                return routed  # at least one candidate a run, however slow the machine
            tried += 1
            after = waiting
            try:
                outcome = review_route_outcome(task_id=waiting.task_id)
            except ConcurrencyConflict:
                log.info("routing %s lost a race; it stays queued for the next attempt", waiting.task_id)
                continue
            if isinstance(outcome, UUID):
                routed += 1
            elif reviewer_id is not None and outcome is Unrouted.NO_REVIEWER:
                return routed  # their row is held: see above
        if len(page) < page_size or (reviewer_id is None and routed == routed_before):
            break
    return routed


def calibration_offer(*, reviewer_id: int) -> UUID | None:
    """Give ``reviewer_id`` the calibration plant they are due for, if any (``plant_for``): their
    load row locked like any routing's, the plant's stream appended at its expected version, so
    concurrent offers never exceed a plant's reviews or a reviewer's capacity. One query while
    no plant wants a reviewer."""
    if not plants_open():
        return None
    for attempt in range(1, OFFER_ATTEMPTS + 1):
        try:
            return _offer_plant(reviewer_id)
        except ConcurrencyConflict as lost:
            # Another offer appended to the plant's stream first. The plant may still want a
            # review: look again (its stream read afresh). Eight reviewers offered one plant at
            # once had each but the first give up, leaving it one review short.
            log.info("offering a plant to %s lost a race (attempt %s): %s", reviewer_id, attempt, lost)
        except (Conflict, NotAllowed) as refused:  # the plant has its reviews, or not from them
            log.info("offering a plant to %s refused: %s", reviewer_id, refused)
            return None
    return None


OFFER_ATTEMPTS = 3


def _offer_plant(reviewer_id: int) -> UUID | None:
    with command_transaction() as uow:
        _lock_loads([reviewer_id])
        plant_id = plant_for(reviewer_id)
        if plant_id is None:
            return None
        state, version = load_task(plant_id)
        assignment_id = uuid.uuid4()
        events = domain.decide_assign_plant(
            state,
            reviewer_id=reviewer_id,
            assignment_id=assignment_id,
            policy=project_policy(known(state).project_id),
            now=clock.now(),
        )
        uow.append(task_stream(plant_id), version, events)
        return assignment_id


def calibration_spread(*, plant_id: UUID) -> int:
    """A new plant: give it at once to the reviewers who could take it and are due for one,
    fewest pending first, until it has the project's ``calibration_reviews``. One command (the
    plant's stream appended once), so it also runs whole inside a reactor's transaction. Returns
    how many were given."""
    candidates = reviewers_for_plant(plant_id)
    if not candidates:
        return 0
    with command_transaction() as uow:
        _lock_loads(sorted(candidates))
        state, version = load_task(plant_id)
        if state.calibration is None:
            return 0
        policy = project_policy(known(state).project_id)
        events: list[DomainEvent] = []
        for reviewer_id in reviewers_for_plant(plant_id, among=candidates):  # room, read under the lock
            if state.plant_reviews_held() >= policy.calibration_reviews:
                break
            if not due_for_plant(reviewer_id, policy.calibration_every):
                continue
            given = domain.decide_assign_plant(
                state, reviewer_id=reviewer_id, assignment_id=uuid.uuid4(), policy=policy, now=clock.now()
            )
            for event in given:
                state = evolve(state, event)
            events += given
        if events:
            uow.append(task_stream(plant_id), version, events)
    return len(events)


def review_decide(
    *,
    reviewer_id: int,
    assignment_id: UUID,
    decision: Decision | str,
    feedback: str | None = None,
    reasons: Sequence[str] | None = None,
    sees_every_review: bool = True,
) -> ReviewAssignment:
    """The assigned reviewer approves, asks for changes or rejects (``decision`` a ``Decision`` or
    its value, as the API's serializer has checked it). Without ``sees_every_review`` (the API
    passes it for ops only) another reviewer's assignment is not there: 404, as its detail says."""
    chosen = domain.ReviewDecision(
        Decision(decision), (feedback or "").strip(), tuple(dict.fromkeys(reasons or ()))
    )
    task_id = _task_of(assignment_id) if sees_every_review else None
    with command_transaction(actor_id=reviewer_id) as uow:
        if task_id is None:
            task_id = _lock_own_load_for(reviewer_id, assignment_id)
        else:
            _lock_loads([reviewer_id])
        state, version = load_task(task_id)
        events = domain.decide_review(
            state,
            assignment_id=assignment_id,
            reviewer_id=reviewer_id,
            decision=chosen,
            policy=project_policy(known(state).project_id),
            now=clock.now(),
        )
        uow.append(task_stream(task_id), version, events)
    return ReviewAssignment.all_objects.get(pk=assignment_id)


def review_expire(*, assignment_id: UUID) -> None:
    """Take back an overdue review; routing gives the layer to someone else."""
    task_id = _task_of(assignment_id, plants=True)
    with command_transaction() as uow:
        state, version = load_task(task_id)
        assignment = state.assignment(assignment_id)
        _lock_loads([assignment.reviewer_id] if assignment else [])
        events = domain.decide_expire(state, assignment_id=assignment_id, now=clock.now())
        uow.append(task_stream(task_id), version, events)


def review_reassign(
    *, actor_id: int | None, assignment_id: UUID, reviewer_id: int | None = None, reason: str = "ops"
) -> ReviewAssignment | None:
    """Take a pending review from its reviewer and give it to ``reviewer_id`` (who must be
    eligible and have room) or, without one, to whoever routing picks. Returns the new
    assignment, or None when nobody is eligible now (the task waits in the unassigned queue).
    Only a named reviewer is recorded as assigned by hand (``ReviewAssigned.by_hand``). A
    calibration plant's review is only taken back (a deactivated reviewer's): routing offers the
    plant to the next reviewer due for one; ops never see plants' reviews (404)."""
    task_id = _task_of(assignment_id, plants=reason != "ops")
    with command_transaction(actor_id=actor_id) as uow:
        state, version = load_task(task_id)
        current = state.assignment(assignment_id)
        _lock_loads(sorted({current.reviewer_id} if current else set()))
        taken = domain.decide_reassign(state, assignment_id=assignment_id, reason=reason)
        uow.append(task_stream(task_id), version, taken)
        for event in taken:
            state = evolve(state, event)
        version += len(taken)
        if state.calibration is not None:
            return None
        chosen = _pick_reviewer(state, only=reviewer_id)
        if chosen is None:
            if reviewer_id is not None:
                _refuse_named(state, reviewer_id)
            return None
        new_id = _assign(uow, state, version, chosen, by_hand=reviewer_id is not None)
    return ReviewAssignment.all_objects.get(pk=new_id)


def _refuse_named(state: TaskState, reviewer_id: int) -> None:
    """Say which rule keeps ``reviewer_id`` from the review (the transaction then rolls back)."""
    facts = reviewer_facts(reviewer_id)
    if facts is None:
        raise InvalidInput(fields={"reviewer": [f"no such person: {reviewer_id}"]})
    domain.check_named_reviewer(state, facts, required_skills=required_skills(known(state).project_id))
    raise InvalidInput(  # every rule held when read: they lost their room to a concurrent router
        "not eligible for this review now; try again",
        code="reviewer_not_eligible",
        fields={"reviewer": ["not eligible for this review now"]},
        details={"rule": "reviewer_not_eligible"},
    )


def reviews_withdraw_from(*, reviewer_id: int) -> int:
    """A deactivated reviewer's pending reviews go to others (or wait in the queue)."""
    pending = ReviewAssignment.all_objects.filter(reviewer_id=reviewer_id, status="pending")
    return sweep(
        list(pending.values_list("pk", flat=True)),
        lambda assignment_id: review_reassign(
            actor_id=None, assignment_id=assignment_id, reason="reviewer_deactivated"
        ),
        what="review",
    )


def _task_of(assignment_id: UUID, *, plants: bool = False) -> UUID:
    """The task of an assignment (404 for none, and for a plant's unless ``plants``)."""
    assignments = ReviewAssignment.all_objects if plants else ReviewAssignment.objects
    task_id = assignments.filter(pk=assignment_id).values_list("task_id", flat=True).first()
    if task_id is None:
        raise NotFound("no such review assignment")
    return task_id


def _lock_own_load_for(reviewer_id: int, assignment_id: UUID) -> UUID:
    """Lock the reviewer's load row and return the task of ``assignment_id``, one statement; 404
    unless the assignment is the reviewer's own and one they may read (pending or decided)."""
    own = ReviewAssignment.all_objects.filter(
        pk=assignment_id, reviewer_id=reviewer_id, status__in=REVIEWER_READS
    ).values("task_id")[:1]
    task_id = (
        ReviewerLoad.objects.select_for_update(of=("self",))
        .filter(reviewer_id=reviewer_id)
        .annotate(task_id=Subquery(own))
        .values_list("task_id", flat=True)
        .first()
    )
    if task_id is None:
        raise NotFound("no such review assignment")
    return task_id if isinstance(task_id, UUID) else UUID(str(task_id))  # SQLite: the hex text


def _lock_loads(reviewer_ids: list[int]) -> None:
    list(
        ReviewerLoad.objects.select_for_update().filter(reviewer_id__in=reviewer_ids).order_by("reviewer_id")
    )
