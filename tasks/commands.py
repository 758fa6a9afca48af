"""Commands of the tasks app: projects and the contributor's side of a task.

Each command checks its input and the current state through a pure ``decide_*`` function, then
appends the resulting events. Lock order (see ``marlin.eventstore.store``): person rows, then task
rows, then the position counter at commit.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Callable, Mapping
from typing import Any
from uuid import UUID

from django.db import connection

from marlin.eventstore.store import command_transaction, load_aggregate
from marlin.kernel import chance, clock
from marlin.kernel.errors import NotAllowed, NotFound
from marlin.kernel.events import DomainEvent
from marlin.model_rows import ModelColumns
from tasks.domain import gold as gold_domain
from tasks.domain import project as project_domain
from tasks.domain import task as task_domain
from tasks.domain.events import task_stream
from tasks.domain.judgment import clean_judgment
from tasks.domain.project import ProjectState, project_stream
from tasks.domain.task import TaskState
from tasks.models import Project, Suspension, Task, TaskRound
from tasks.selectors import (
    Claimant,
    active_project,
    claim_candidate,
    gold_window,
    held_task,
    last_rejection_at,
    load_standing,
    load_task,
    lock_claimant,
    lock_gold_standing,
    project_policy,
    remember_project_policy,
    suspended_in,
    suspension_for,
)

# --- projects ----------------------------------------------------------------------------------------


def project_create(*, actor_id: int | None, fields: Mapping[str, Any]) -> Project:
    project_id = uuid.uuid4()
    with command_transaction(actor_id=actor_id) as uow:
        events = project_domain.decide_create(
            ProjectState(), project_id=project_id, settings=project_domain.new_settings(fields)
        )
        uow.append(project_stream(project_id), 0, events)
    project = Project.objects.get(pk=project_id)
    remember_project_policy(project)  # committed: project commands never join an outer command
    return project


def project_update(*, actor_id: int | None, project_id: UUID, fields: Mapping[str, Any]) -> Project:
    """Change settings. A project that does not exist or is archived is refused (404, 409) before
    the settings are checked (400)."""

    def decide(state: ProjectState) -> list[DomainEvent]:
        project_domain.check_updatable(state)
        return project_domain.decide_update(state, changes=project_domain.clean_settings(fields))

    return _project_command(actor_id, project_id, decide)


def project_pause(*, actor_id: int | None, project_id: UUID) -> Project:
    return _project_command(actor_id, project_id, project_domain.decide_pause)


def project_resume(*, actor_id: int | None, project_id: UUID) -> Project:
    return _project_command(actor_id, project_id, project_domain.decide_resume)


def project_archive(*, actor_id: int | None, project_id: UUID) -> Project:
    return _project_command(actor_id, project_id, project_domain.decide_archive)


def _project_command(
    actor_id: int | None, project_id: UUID, decide: Callable[[ProjectState], list[DomainEvent]]
) -> Project:
    stream = project_stream(project_id)
    with command_transaction(actor_id=actor_id) as uow:
        state, version = load_aggregate(stream, project_domain.evolve, ProjectState())
        events = decide(state)
        if events:
            uow.append(stream, version, events)
    project = Project.objects.get(pk=project_id)
    remember_project_policy(project)  # committed: project commands never join an outer command
    return project


# --- tasks -------------------------------------------------------------------------------------------


def task_claim(*, contributor_id: int, project_id: UUID | None = None) -> Task | None:
    """Claim the next open task the contributor qualifies for; None when there is none.

    On PostgreSQL the open queue is read ``FOR UPDATE SKIP LOCKED``: concurrent claimers take
    different tasks instead of queueing behind one another. The contributor's own row is locked
    first (with the task they hold, in the same statement), so one person's two simultaneous
    claims cannot both pass the one-claim check. Only the candidate's key is locked and sorted,
    never its texts.

    With ``project_id``, that project must exist and be active (404 otherwise), the
    contributor must hold every skill it requires (403 ``missing_skill``, naming them) and must
    not be suspended there (403 ``suspended``). The queue itself leaves out projects that
    suspended the contributor, so a claim naming no project skips them at no extra cost.

    The claim draws the order in which it presents A and B (``chance.coin``, which tests pin).
    """
    with command_transaction(actor_id=contributor_id) as uow:
        contributor = lock_claimant(contributor_id)
        # The named project's checks come first, but cost a query only when they may refuse:
        # the queue itself holds only active projects the contributor qualifies for.
        if project_id is not None and (contributor.held_task_id is not None or not contributor.active):
            _check_project_open_to(contributor, project_id)
        task_domain.check_may_claim(active=contributor.active, held_task_id=contributor.held_task_id)
        candidate = claim_candidate(contributor, project_id=project_id)
        if candidate is None:
            task_domain.check_may_claim(active=True, held_task_id=held_task(contributor_id))
            if project_id is not None:
                _check_project_open_to(contributor, project_id)
            return None
        task_id, state = candidate.task_id, candidate.state
        events = task_domain.decide_claim(
            state,
            contributor_id=contributor_id,
            project=project_policy(candidate.project_id),
            now=clock.now(),
            coin=chance.coin(),
        )
        uow.append(task_stream(task_id), candidate.version, events)
    return _task_as_written(task_id, state)


def _check_project_open_to(contributor: Claimant, project_id: UUID) -> None:
    """404 for a project that is unknown or not active, 403 for one whose skills are lacking or
    that suspended the contributor."""
    task_domain.check_qualified(
        required_skills=active_project(project_id).required_skills, skills=contributor.skills
    )
    if suspended_in(project_id, contributor.id):
        raise NotAllowed("you are suspended from claiming in this project; ops can lift it", code="suspended")


def _task_as_written(task_id: UUID, state: TaskState) -> Task:
    """The task row the command just wrote, for the response. A task never submitted has no
    review rounds: they are not read. On PostgreSQL the statement is written once and the row
    converted field by field (``ModelColumns``): a raw queryset cost more than running it, on
    every claim."""
    if connection.vendor == "postgresql":
        sql, columns = _task_row_query()
        with connection.cursor() as cursor:
            cursor.execute(sql, [task_id])
            task = columns.instance(cursor.fetchone())
    else:
        task = Task.objects.get(pk=task_id)
    if state.submissions == 0:
        task._prefetched_objects_cache = {"rounds": TaskRound.objects.none()}
    return task


@functools.cache
def _task_row_query() -> tuple[str, ModelColumns]:
    """The task row by key, its columns named: a prepared ``SELECT *`` would fail ("cached plan
    must not change result type") once a migration added a column, until the connection closed."""
    quote = connection.ops.quote_name
    columns = ModelColumns.of(Task, "t")
    table, key = quote(Task._meta.db_table), quote(Task._meta.pk.column)
    return f"SELECT {columns.select_list('t')} FROM {table} t WHERE t.{key} = %s", columns


def task_release(*, contributor_id: int, task_id: UUID, reason: str = "released") -> Task:
    _task_command(
        task_id,
        lambda state: task_domain.decide_release(state, contributor_id=contributor_id, reason=reason),
        actor_id=contributor_id,
    )
    return Task.objects.get(pk=task_id)


def task_expire_claim(*, task_id: UUID) -> None:
    _task_command(task_id, lambda state: task_domain.decide_expire_claim(state, now=clock.now()))


def task_submit(
    *, contributor_id: int, task_id: UUID, judgment: Mapping[str, Any], sees_every_task: bool = False
) -> Task:
    """Submit a judgment, or a revision after changes were requested.

    A task the contributor may not see is not there (404, as its detail view says), unless
    ``sees_every_task`` (ops). The judgment arrives as the client sent it. Whether the task takes
    a submission now is answered first (403 or 409); then the body is checked against the
    project's criteria as they are now, every offending field named at once (400), and the
    decider gets a ``Judgment``. Returns the task with the new submission, without its texts."""

    def decide(state: TaskState) -> list[DomainEvent]:
        now = clock.now()
        task_domain.known(state)
        if not (sees_every_task or task_domain.may_see(state, contributor_id)):
            raise NotFound("no such task")
        task_domain.check_submittable(state, contributor_id=contributor_id, now=now)
        criteria = project_policy(task_domain.known(state).project_id).criteria
        return task_domain.decide_submit(
            state,
            contributor_id=contributor_id,
            judgment=clean_judgment(judgment, criteria),
            submission_id=uuid.uuid4(),
            now=now,
        )

    _task_command(task_id, decide, actor_id=contributor_id)
    return Task.objects.select_related("current_submission").defer(*TASK_TEXTS).get(pk=task_id)


TASK_TEXTS = ("prompt", "context", "response_a", "response_b")


def task_appeal(*, contributor_id: int, task_id: UUID, reason: str) -> Task:
    """The contributor appeals their task's rejection (404 for a task that is not theirs, as its
    detail says); routing then gives the appeal to a top-layer reviewer who has not reviewed it."""

    def decide(state: TaskState) -> list[DomainEvent]:
        task = task_domain.known(state)
        if state.contributor_id != contributor_id:
            raise NotFound("no such task")
        return task_domain.decide_appeal(
            state,
            contributor_id=contributor_id,
            reason=reason,
            project=project_policy(task.project_id),
            rejected_at=last_rejection_at(task_id),
            now=clock.now(),
        )

    _task_command(task_id, decide, actor_id=contributor_id)
    return Task.objects.get(pk=task_id)


def task_reverse_approval(*, actor_id: int | None, task_id: UUID, reason: str) -> Task:
    """Reverse a wrong approval; the payouts reactor then adds the reversal entry."""
    _task_command(
        task_id, lambda state: task_domain.decide_reverse_approval(state, reason=reason), actor_id=actor_id
    )
    return Task.objects.get(pk=task_id)


def task_cancel(*, actor_id: int | None, task_id: UUID, reason: str) -> Task:
    _task_command(task_id, lambda state: task_domain.decide_cancel(state, reason=reason), actor_id=actor_id)
    return Task.objects.get(pk=task_id)


def _task_command(
    task_id: UUID, decide: Callable[[TaskState], list[DomainEvent]], *, actor_id: int | None = None
) -> None:
    """Load the task, decide on its current state, append what was decided: one transaction."""
    with command_transaction(actor_id=actor_id) as uow:
        state, version = load_task(task_id)
        uow.append(task_stream(task_id), version, decide(state))


# --- gold ----------------------------------------------------------------------------------------------


def gold_score(*, task_id: UUID, submission_version: int, preference: str) -> None:
    """Score a gold task's submission (the reactor's call), then apply the project's gold bar to
    its contributor. One transaction: the task's stream and the contributor's standing stream
    are both appended at their expected versions, so a redelivered or concurrent run adds
    nothing (the task is scored already; the contributor is suspended already)."""
    with command_transaction() as uow:
        state, version = load_task(task_id)
        events = task_domain.decide_gold_score(
            state, submission_version=submission_version, preference=preference, now=clock.now()
        )
        if not events:
            return
        scored = events[0]
        assert isinstance(scored, gold_domain.GoldScored)
        suspension = _gold_bar_events(scored)  # read before this score is projected
        uow.append(task_stream(task_id), version, events)
        if suspension is not None:
            uow.append(*suspension)


def _gold_bar_events(scored: gold_domain.GoldScored) -> tuple[str, int, list[DomainEvent]] | None:
    """The suspension this score brings about, as an append (stream, version, events), or None.
    Costs nothing while the project's bar is off."""
    policy = project_policy(scored.project_id)
    if policy.gold_min_accuracy is None:
        return None
    lock_gold_standing(scored.project_id, scored.contributor_id)
    standing, standing_version = load_standing(scored.project_id, scored.contributor_id)
    if standing.suspended:
        return None
    tally = gold_window(scored.project_id, scored.contributor_id).plus(matched=scored.matched)
    events = gold_domain.decide_suspension(
        standing,
        tally=tally,
        bar=gold_domain.GoldBar(policy.gold_min_accuracy, policy.gold_min_answers),
        project_id=scored.project_id,
        contributor_id=scored.contributor_id,
        suspension_id=uuid.uuid4(),
    )
    if not events:
        return None
    return gold_domain.standing_stream(scored.project_id, scored.contributor_id), standing_version, events


def suspension_lift(*, actor_id: int | None, project_id: UUID, contributor_id: int) -> Suspension:
    """Ops lift a contributor's suspension in a project (404: no such project or never
    suspended there; 409 ``not_suspended``: lifted already). Their gold answers count afresh."""
    project_policy(project_id)  # 404 for an unknown project
    with command_transaction(actor_id=actor_id) as uow:
        standing, version = load_standing(project_id, contributor_id)
        events = gold_domain.decide_lift(standing, project_id=project_id, contributor_id=contributor_id)
        uow.append(gold_domain.standing_stream(project_id, contributor_id), version, events)
    assert standing.suspension_id is not None
    return suspension_for(project_id, standing.suspension_id)
