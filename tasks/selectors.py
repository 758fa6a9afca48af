"""Reads of projects and tasks. Visibility is part of every query, so a list can never show
what the detail view would refuse: ops see everything; a contributor sees their own tasks; a
reviewer sees the tasks they hold or decided a review of (``TaskReviewer``, the tasks app's own
projection of the review events on the task stream); others see the active projects they
qualify for.

``load_task`` and ``project_policy`` are the public reads that this app's and the reviews app's
commands decide on."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from django.core.cache import cache
from django.db import connection
from django.db.models import (
    Case,
    CharField,
    Count,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)

from marlin.eventstore.models import Event
from marlin.eventstore.store import (
    RecordedEvent,
    fold_stream,
    load_aggregate,
    read_stream,
    read_stream_found_by,
)
from marlin.kernel.errors import NotFound
from marlin.kernel.roles import Role, has_role
from people.models import User
from tasks.domain import task as task_domain
from tasks.domain.events import JudgmentSubmitted, TaskImported, TaskRejected, task_stream
from tasks.domain.gold import GoldScored, GoldTally, Standing, evolve_standing, gold_tally_id, standing_stream
from tasks.domain.presentation import swapped_preference, swapped_scores
from tasks.domain.project import ProjectStatus
from tasks.domain.quality import FirstPositionRate, first_position_rate
from tasks.domain.task import ProjectPolicy, TaskState, TaskStatus
from tasks.models import (
    GoldTally as GoldTallyRow,
)
from tasks.models import (
    Project,
    ProjectRequiredSkill,
    Submission,
    Suspension,
    Task,
    TaskReviewer,
    TaskRound,
)

# --- what commands decide on (this app's and the reviews app's) ----------------------------------------


def load_task(task_id: UUID) -> tuple[TaskState, int]:
    """The task aggregate folded from its stream, and the stream's version."""
    return load_aggregate(task_stream(task_id), task_domain.evolve, TaskState())


def last_rejection_at(task_id: UUID) -> datetime | None:
    """When the task's latest rejection was recorded (an appeal's window runs from it)."""
    rejections = Event.objects.filter(stream=task_stream(task_id), type=TaskRejected.type_name)
    return rejections.order_by("-version").values_list("recorded_at", flat=True).first()


POLICY_CACHE_SECONDS = 300


def existing_task_ids(task_ids: Sequence[UUID]) -> set[UUID]:
    """Which of these tasks exist (an import skips them). On PostgreSQL the ids travel as one
    array parameter: the ORM's ``pk__in`` builds and prepares a placeholder per id of a chunk."""
    if connection.vendor != "postgresql":
        return set(Task.objects.filter(pk__in=task_ids).values_list("pk", flat=True))
    quote = connection.ops.quote_name
    pk = quote(Task._meta.pk.column)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {pk} FROM {quote(Task._meta.db_table)} WHERE {pk} = ANY(%s)", [list(task_ids)]
        )
        return {task_id for (task_id,) in cursor.fetchall()}


def _policy_key(project_id: UUID) -> str:
    return f"marlin:project-policy:{project_id}"


def project_policy(project_id: UUID) -> ProjectPolicy:
    """The project's current settings, as the task and review rules need them.

    Read through the cache (shared when ``CACHE_URL`` is set): the project commands write the new
    policy into it once their events commit (``remember_project_policy``), and a reader that
    missed only *adds* what it read, so a policy read before a change cannot overwrite the one
    written after it. The time limit bounds what an evicted entry could leave behind."""
    key = _policy_key(project_id)
    policy = cache.get(key)
    if policy is None:
        policy = _policy_of(_project_row(project_id))
        cache.add(key, policy, POLICY_CACHE_SECONDS)
    return policy


def remember_project_policy(project: Project) -> None:
    """Write a project's new policy to the cache; call after the change has committed."""
    cache.set(_policy_key(project.id), _policy_of(project), POLICY_CACHE_SECONDS)


POLICY_FIELDS = (
    "id",
    "status",
    "criteria",
    "claim_timeout_minutes",
    "review_layers",
    "max_revisions",
    "review_timeout_minutes",
    "reason_codes",
    "rate",
    "currency",
    "randomize_order",
    "gold_min_accuracy",
    "gold_min_answers",
    "overlap",
    "appeal_window_days",
    "calibration_reviews",
    "calibration_every",
)


def _project_row(project_id: UUID) -> Project:
    project = Project.objects.only(*POLICY_FIELDS).filter(pk=project_id).first()
    if project is None:
        raise NotFound("no such project")
    return project


def _policy_of(project: Project) -> ProjectPolicy:
    return ProjectPolicy(
        project_id=project.id,
        status=project.status,
        criteria=tuple(project.criteria),
        claim_timeout_minutes=project.claim_timeout_minutes,
        review_layers=project.review_layers,
        max_revisions=project.max_revisions,
        review_timeout_minutes=project.review_timeout_minutes,
        reason_codes=tuple(project.reason_codes),
        rate=project.rate,
        currency=project.currency,
        randomize_order=project.randomize_order,
        gold_min_accuracy=project.gold_min_accuracy,
        gold_min_answers=project.gold_min_answers,
        overlap=project.overlap,
        appeal_window_days=project.appeal_window_days,
        calibration_reviews=project.calibration_reviews,
        calibration_every=project.calibration_every,
    )


# --- projects ----------------------------------------------------------------------------------------


def _qualified_projects(skills: list[str]) -> QuerySet[Project]:
    """Projects none of whose required skills the person lacks."""
    missing_skill = ProjectRequiredSkill.objects.filter(project=OuterRef("pk")).exclude(skill__in=skills)
    return Project.objects.filter(~Exists(missing_skill))


def projects_visible_to(user: Any) -> QuerySet[Project]:
    if has_role(user, Role.OPS):
        return Project.objects.all()
    if not (has_role(user, Role.CONTRIBUTOR) or has_role(user, Role.REVIEWER)):
        return Project.objects.none()
    return _qualified_projects(list(user.skills or [])).filter(status=ProjectStatus.ACTIVE)


def active_project(project_id: UUID) -> Project:
    """An active project, whoever asks (404 when unknown or not active): the claim command
    then says which of its skills a contributor lacks, rather than pretending it is not there."""
    project = Project.objects.filter(pk=project_id, status=ProjectStatus.ACTIVE).first()
    if project is None:
        raise NotFound("no such project")
    return project


def project_for(user: Any, project_id: UUID) -> Project:
    project = projects_visible_to(user).filter(pk=project_id).first()
    if project is None:
        raise NotFound("no such project")
    return project


# --- tasks -------------------------------------------------------------------------------------------


def _claimable_projects(contributor: Any) -> QuerySet[Project]:
    """Active projects the contributor qualifies for and is not suspended from."""
    suspended = Suspension.objects.filter(
        project=OuterRef("pk"), contributor_id=contributor.id, lifted_at__isnull=True
    )
    return (
        _qualified_projects(list(contributor.skills or []))
        .filter(status=ProjectStatus.ACTIVE)
        .filter(~Exists(suspended))
    )


def claimable_tasks(contributor: Any, *, project_id: UUID | None = None) -> QuerySet[Task]:
    """The open queue for one contributor: active projects they qualify for, best first.

    Shaped for the partial indexes on the open queue (``task_open_queue`` and, for one project,
    ``task_open_queue_by_project``, both in this order): the database walks the index and stops at
    the first row it may lock, never sorting the open set, even before statistics exist. Only the
    narrow columns a claim needs are selected, never the large texts."""
    projects = _claimable_projects(contributor)
    if project_id is not None:
        # An equality on the task's own column (the index's first) and an uncorrelated check
        # of the project, evaluated once.
        queue = Task.objects.filter(project_id=project_id).filter(Exists(projects.filter(pk=project_id)))
    else:
        queue = Task.objects.filter(project__in=projects.values("pk"))
    return queue.filter(status=TaskStatus.OPEN).order_by(*CLAIM_ORDER).only("id", "project_id")


CLAIM_ORDER = ("-priority", "created_at", "import_row", "id")


@dataclass(frozen=True)
class Claimant:
    """A contributor as the claim command sees them, their row locked."""

    id: int
    skills: tuple[str, ...]
    active: bool
    held_task_id: UUID | None


# On PostgreSQL the claim's two statements are written out rather than built by the ORM: they run
# on every claim, and building them cost more than running them. The statuses are literals, not
# parameters, so that even a generic plan of the prepared statement (psycopg prepares a statement
# after a few runs; PostgreSQL may then plan it once for any parameters) can prove the partial
# open-queue index applies. With a parameter it cannot, and a generic plan scans and sorts the
# whole open set (23 ms on 10,000 tasks against 0.05 ms).
_LOCK_CLAIMANT = """
SELECT u.skills, u.active,
       (SELECT t.id FROM tasks_task t WHERE t.contributor_id = u.id AND t.status = 'claimed' LIMIT 1)
FROM people_user u WHERE u.id = %(me)s FOR NO KEY UPDATE OF u
"""
# A project that suspended the contributor (``suspension_in force``, a unique partial index) is
# not theirs to claim from: a claim naming none skips it; one naming it is then refused.
_QUALIFIED = """
    p.status = 'active' AND NOT EXISTS (
        SELECT FROM tasks_projectrequiredskill s WHERE s.project_id = p.id AND s.skill <> ALL (%(skills)s)
    ) AND NOT EXISTS (
        SELECT FROM tasks_suspension x
        WHERE x.project_id = p.id AND x.contributor_id = %(me)s AND x.lifted_at IS NULL
    )"""
_NOT_HOLDING = (
    "NOT EXISTS (SELECT FROM tasks_task h WHERE h.contributor_id = %(me)s AND h.status = 'claimed')"
)
# Overlap: never a second sibling of an item to one contributor. A task of the item that is theirs
# (held, submitted, decided) rules out the rest; an open candidate has no contributor, so it never
# matches itself. One probe of ``task_item_by_contributor`` per candidate. Concurrent claims by the
# same person queue on their row's lock (``_LOCK_CLAIMANT``), so the second sees the first's task.
_NO_SIBLING_OF_MINE = """NOT EXISTS (
    SELECT FROM tasks_task s
    WHERE s.contributor_id = %(me)s AND s.project_id = t.project_id AND s.item = t.item
  )"""
# NO KEY UPDATE: a claim never changes a key, so it does not block the FOR KEY SHARE lock a foreign
# key's check takes at another transaction's COMMIT (a FOR UPDATE here deadlocked with payouts).
_CLAIM_TAIL = (
    "ORDER BY t.priority DESC, t.created_at, t.import_row, t.id LIMIT 1 FOR NO KEY UPDATE OF t SKIP LOCKED"
)
# The candidate's stream name rides with it, so the command reads the stream in the same statement.
_CANDIDATE_IN_PROJECT = f"""
SELECT t.id, t.project_id, %(stream_prefix)s || t.id::text AS stream FROM tasks_task t
WHERE t.project_id = %(project)s AND t.status = 'open'
  AND EXISTS (SELECT FROM tasks_project p WHERE p.id = %(project)s AND {_QUALIFIED})
  AND {_NOT_HOLDING}
  AND {_NO_SIBLING_OF_MINE}
{_CLAIM_TAIL}"""
_CANDIDATE_ANYWHERE = f"""
SELECT t.id, t.project_id, %(stream_prefix)s || t.id::text AS stream FROM tasks_task t
WHERE t.status = 'open' AND t.project_id IN (SELECT p.id FROM tasks_project p WHERE {_QUALIFIED})
  AND {_NOT_HOLDING}
  AND {_NO_SIBLING_OF_MINE}
{_CLAIM_TAIL}"""
_TASK_STREAM_PREFIX = task_stream(UUID(int=0)).removesuffix(str(UUID(int=0)))  # "task-"


@dataclass(frozen=True)
class ClaimCandidate:
    """The open task a claim takes (its row locked), folded from its stream."""

    task_id: UUID
    project_id: UUID
    state: TaskState
    version: int


def lock_claimant(contributor_id: int) -> Claimant:
    """Lock the contributor's row; with it, the task they hold (if any), in one statement."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(_LOCK_CLAIMANT, {"me": contributor_id})
            row = cursor.fetchone()
        if row is None:
            raise NotFound("no such person")
        skills, active, held_task_id = row
        return Claimant(contributor_id, tuple(json.loads(skills) if skills else ()), active, held_task_id)
    held = Task.objects.filter(contributor_id=contributor_id, status=TaskStatus.CLAIMED)
    person = (
        User.objects.select_for_update(of=("self",), no_key=True)
        .only("id", "skills", "active")
        .annotate(held_task_id=Subquery(held.values("pk")[:1]))
        .filter(pk=contributor_id)
        .first()
    )
    if person is None:
        raise NotFound("no such person")
    return Claimant(contributor_id, tuple(person.skills or ()), person.active, person.held_task_id)


def claim_candidate(claimant: Claimant, *, project_id: UUID | None = None) -> ClaimCandidate | None:
    """The next open task the claimant may take, locked ``SKIP LOCKED``, with its state; None
    when there is none. It asks again whether the claimant holds a task: this statement starts
    after their row's lock was granted, so it sees a claim of theirs that committed while they
    waited. On PostgreSQL the candidate and its stream are one statement."""
    if connection.vendor == "postgresql":
        sql = _CANDIDATE_ANYWHERE if project_id is None else _CANDIDATE_IN_PROJECT
        params = {
            "me": claimant.id,
            "skills": list(claimant.skills),
            "project": project_id,
            "stream_prefix": _TASK_STREAM_PREFIX,
        }
        found = read_stream_found_by((sql, params))
        if found is None:
            return None
        (task_id, task_project_id, stream), events = found
        state, version = fold_stream(stream, events, task_domain.evolve, TaskState())
        return ClaimCandidate(task_id, task_project_id, state, version)
    held = Task.objects.filter(contributor_id=claimant.id, status=TaskStatus.CLAIMED)
    sibling_of_mine = Task.objects.filter(
        contributor_id=claimant.id, project_id=OuterRef("project_id"), item=OuterRef("item")
    )
    candidate = (
        claimable_tasks(claimant, project_id=project_id)
        .filter(~Exists(held), ~Exists(sibling_of_mine))
        .select_for_update(skip_locked=True, of=("self",))
        .values_list("id", "project_id")
        .first()
    )
    if candidate is None:
        return None
    state, version = load_task(candidate[0])
    return ClaimCandidate(candidate[0], candidate[1], state, version)


def held_task(contributor_id: int) -> UUID | None:
    return (
        Task.objects.filter(contributor_id=contributor_id, status=TaskStatus.CLAIMED)
        .values_list("pk", flat=True)
        .first()
    )


def _visibility(user: Any) -> Q | None:
    """None: everything. Otherwise the condition on Task rows the user may see."""
    if has_role(user, Role.OPS):
        return None
    visible = Q(pk__in=[])
    if has_role(user, Role.CONTRIBUTOR):
        visible |= Q(contributor_id=user.pk)
    if has_role(user, Role.REVIEWER):
        visible |= Q(pk__in=TaskReviewer.objects.filter(reviewer_id=user.pk).values("task_id"))
    return visible


def tasks_visible_to(user: Any) -> QuerySet[Task]:
    """The tasks the user may see, each with its decided review rounds (oldest first) fetched in
    one more query for the whole page, for those who may read them (``sees_rounds``). Ops' rows
    come with their gold answer (if any), in the same query. Calibration plants are for the
    reviewers they are given to only: ops' reads leave them out (``Task.objects``)."""
    tasks = Task.objects if has_role(user, Role.OPS) else Task.all_objects
    query = tasks.select_related("current_submission")
    if has_role(user, Role.OPS):
        query = query.select_related("gold")
    if has_role(user, Role.OPS) or has_role(user, Role.CONTRIBUTOR):
        query = query.prefetch_related(Prefetch("rounds", queryset=TaskRound.objects.order_by("version")))
    if has_role(user, Role.REVIEWER) and not has_role(user, Role.OPS):
        query = _with_plants_as_read_by(query, user.pk)
    condition = _visibility(user)
    return query if condition is None else query.filter(condition)


def _with_plants_as_read_by(query: QuerySet[Task], viewer_id: int) -> QuerySet[Task]:
    """``shown_status`` and ``shown_layer``: a task's own, or for a calibration plant, what the
    viewer's decision on it would have made of any task (approved below the top layer: in review
    one layer up), so the plant does not stay in review before their eyes and the list's filters
    and its rows agree."""
    theirs = TaskReviewer.objects.filter(reviewer_id=viewer_id, decided=True).values("assignment_id")
    decided = TaskRound.objects.filter(task_id=OuterRef("pk"), assignment_id__in=Subquery(theirs))
    approved = Q(plant_decision="approve")
    below_top = Q(plant_layer__lt=F("project__review_layers"))
    return query.annotate(
        plant_decision=Subquery(decided.values("decision")[:1]),
        plant_layer=Subquery(decided.values("layer")[:1]),
    ).annotate(
        shown_status=Case(
            When(calibration=False, then=F("status")),
            When(approved & below_top, then=Value(TaskStatus.IN_REVIEW.value)),
            When(approved, then=Value(TaskStatus.APPROVED.value)),
            When(plant_decision="reject", then=Value(TaskStatus.REJECTED.value)),
            When(plant_decision="request_changes", then=Value(TaskStatus.CHANGES_REQUESTED.value)),
            default=F("status"),
            output_field=CharField(),
        ),
        shown_layer=Case(
            When(calibration=False, then=F("layer")),
            When(approved & below_top, then=F("plant_layer") + 1),
            When(plant_decision__isnull=False, then=Value(None)),
            default=F("layer"),
            output_field=IntegerField(),
        ),
    )


def sees_rounds(user: Any, task: Task) -> bool:
    """A task's decided review rounds are for its contributor and for ops; its reviewers read
    earlier rounds in their review's detail instead."""
    return has_role(user, Role.OPS) or (user is not None and task.contributor_id == user.pk)


def task_for(user: Any, task_id: UUID) -> Task:
    task = tasks_visible_to(user).filter(pk=task_id).first()
    if task is None:
        raise NotFound("no such task")
    return task


def submissions_for(user: Any, task_id: UUID) -> QuerySet[Submission]:
    task = task_for(user, task_id)  # a plant's prepared submission only for its reviewers
    return Submission.all_objects.filter(task_id=task.id).order_by("version")


HIDDEN_FROM_WORKERS = frozenset({"model_a", "model_b", "gold"})
# Whether a task is gold is for ops: its score reads to the contributor as the outcome that
# follows it (and the round in the task's ``rounds``), never as an event of its own.
EVENTS_HIDDEN_FROM_WORKERS = frozenset({GoldScored.type_name})


def history_for(user: Any, task_id: UUID) -> list[dict[str, Any]]:
    """The task's events, oldest first: ops see them whole; the task's contributor sees them
    without the model identities and without who acted (reviewers stay anonymous), and with A
    and B in the order their claim presented them (as the task and its submissions read)."""
    task = task_for(user, task_id)
    is_ops = has_role(user, Role.OPS)
    if not is_ops and task.contributor_id != user.pk:
        raise NotFound("no such task")
    swapped = task.presented_swapped
    entries = [
        _history_entry(recorded, whole=is_ops, swapped=swapped)
        for recorded in read_stream(task_stream(task.id))
        if is_ops or recorded.type not in EVENTS_HIDDEN_FROM_WORKERS
    ]
    if not is_ops:  # numbered as shown: a gap where an event is left out would mark a gold task
        for number, entry in enumerate(entries, start=1):
            entry["version"] = number
    return entries


def _history_entry(recorded: RecordedEvent, *, whole: bool, swapped: bool) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "position": recorded.position,
        "version": recorded.version,
        "type": recorded.type,
        "recorded_at": recorded.recorded_at,
        "data": recorded.data if whole else _redacted(_as_presented(recorded, swapped)),
    }
    if whole:
        entry["actor"] = recorded.metadata.get("actor")
    return entry


def _redacted(data: dict[str, Any]) -> dict[str, Any]:
    return {
        key: value
        for key, value in data.items()
        if key not in HIDDEN_FROM_WORKERS and not key.startswith("reviewer")
    }


def _as_presented(recorded: RecordedEvent, swapped: bool) -> dict[str, Any]:
    """An event's data as the task's contributor reads it: responses, preference and scores in
    the order their claim showed, and nothing that tells whether it was swapped. The stored data
    is read as it is; an event stored before the order was recorded has no such field."""
    data = {key: value for key, value in recorded.data.items() if key != "presented_swapped"}
    if not swapped:
        return data
    if recorded.type == TaskImported.type_name:
        data["response_a"], data["response_b"] = data["response_b"], data["response_a"]
    elif recorded.type == JudgmentSubmitted.type_name:
        data["preference"] = swapped_preference(data["preference"])
        data["scores"] = swapped_scores(data["scores"])
    return data


# --- quality ----------------------------------------------------------------------------------------

# The canonical preference that chose the response its contributor was shown first.
_CHOSE_FIRST_SHOWN = Q(current_submission__preference="A", current_submission__presented_swapped=False) | Q(
    current_submission__preference="B", current_submission__presented_swapped=True
)


def first_position_rates(project_ids: Iterable[UUID]) -> dict[tuple[UUID, int], FirstPositionRate]:
    """Each contributor's first-position rate in each of the projects, with its p-value, keyed by
    (project, contributor), from the read tables in one query: every task's judgment of record
    (its latest version, so a revision does not count twice) that prefers A or B, by the
    judgment's contributor."""
    counted = (
        Task.objects.filter(project_id__in=list(project_ids), current_submission__isnull=False)
        .exclude(current_submission__preference="tie")
        .values("project_id", "current_submission__contributor_id")
        .annotate(decided=Count("pk"), first=Count("pk", filter=_CHOSE_FIRST_SHOWN))
        .order_by()
    )
    return {
        (row["project_id"], row["current_submission__contributor_id"]): first_position_rate(
            first=row["first"], decided=row["decided"]
        )
        for row in counted
    }


# --- gold (ops and the gold commands; never what contributors or reviewers read) ---------------------


def lock_gold_standing(project_id: UUID, contributor_id: int) -> None:
    """Hold the contributor's gold standing in the project until the transaction ends, so two of
    their gold answers scored at once (two reactor partitions) count each other: the second waits,
    then reads the tally the first left. A PostgreSQL advisory lock, since the tally row may not
    exist yet; SQLite runs one writer at a time anyway."""
    if connection.vendor != "postgresql":
        return
    key = gold_tally_id(project_id, contributor_id).int >> 64
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [key - (1 << 64) if key >= 1 << 63 else key])


def gold_window(project_id: UUID, contributor_id: int) -> GoldTally:
    """The contributor's gold answers in the project since their last lift (or ever)."""
    found = (
        GoldTallyRow.objects.filter(pk=gold_tally_id(project_id, contributor_id))
        .values_list("window_answers", "window_correct")
        .first()
    )
    return GoldTally(*found) if found else GoldTally()


def load_standing(project_id: UUID, contributor_id: int) -> tuple[Standing, int]:
    """The contributor's standing in the project, folded from its stream, and its version."""
    return load_aggregate(standing_stream(project_id, contributor_id), evolve_standing, Standing())


def suspended_in(project_id: UUID, contributor_id: int) -> bool:
    """Whether a suspension is in force (the indexed lookup a refused claim makes)."""
    return Suspension.objects.filter(
        project_id=project_id, contributor_id=contributor_id, lifted_at__isnull=True
    ).exists()


def suspensions_of(project_id: UUID) -> QuerySet[Suspension]:
    """Every suspension in the project, newest first, lifted ones included (ops)."""
    return Suspension.objects.filter(project_id=project_id).order_by("-since", "id")


def suspension_for(project_id: UUID, suspension_id: UUID) -> Suspension:
    return Suspension.objects.get(project_id=project_id, pk=suspension_id)


def plant_as_read_by(viewer_id: int, task: Task) -> tuple[str, int | None]:
    """A calibration plant's ``status`` and ``layer`` as one of its reviewers reads them, for a
    task read without the list's annotations (a review's ``task_detail``): the same SQL."""
    shown = _with_plants_as_read_by(Task.all_objects.filter(pk=task.id), viewer_id)
    found = shown.values_list("shown_status", "shown_layer").first()
    return found if found is not None else (task.status, task.layer)
