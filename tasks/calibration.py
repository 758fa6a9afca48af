"""Planting calibration submissions (``POST projects/{id}/calibration/``): each row checked on its
own, the valid ones planted, answered like an import."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any
from uuid import UUID

from marlin.eventstore.store import command_transaction
from marlin.kernel.errors import Conflict, InvalidInput
from tasks.domain import task as task_domain
from tasks.domain.calibration import PlantRow, clean_plant_row, plant_id_for
from tasks.domain.events import task_stream
from tasks.domain.judgment import clean_judgment
from tasks.domain.task import ProjectPolicy, TaskState
from tasks.importing import ImportResult
from tasks.models import Task
from tasks.selectors import load_task, project_policy

MAX_PLANTS = 1000  # per request: plants are hand-made, a few dozen at a time


def plants_from_json(data: Any) -> list[tuple[int, Any]]:
    """The request's rows, numbered from 1 (400 unless a JSON list of at most ``MAX_PLANTS``)."""
    if not isinstance(data, list):
        raise InvalidInput(fields={"plants": ["send a JSON list of plants"]})
    if len(data) > MAX_PLANTS:
        raise InvalidInput(fields={"plants": [f"at most {MAX_PLANTS} plants at once"]})
    return list(enumerate(data, start=1))


def calibration_plant(
    *, actor_id: int | None, project_id: UUID, rows: Sequence[tuple[int, Any]]
) -> ImportResult:
    """Plant every valid row (one transaction); a plant whose external id was planted before in
    the project is skipped, as is a row whose external id names one of the project's tasks (its
    reviewers would read two tasks with one id)."""
    policy = project_policy(project_id)
    if policy.status == "archived":
        raise Conflict("nothing can be planted in an archived project", code="project_archived")
    result = ImportResult()
    planted: list[tuple[int, PlantRow]] = []
    for number, raw in rows:
        try:
            planted.append((number, _clean(raw, policy)))
        except InvalidInput as invalid:
            result.errors.append({"row": number, "errors": invalid.fields})
    taken = set(
        Task.objects.filter(
            project_id=project_id, external_id__in=[plant.task.external_id for _, plant in planted]
        ).values_list("external_id", flat=True)
    )
    seen: set[UUID] = set()
    with command_transaction(actor_id=actor_id) as uow:
        for number, plant in planted:
            if plant.task.external_id in taken:
                problem = {"external_id": ["a task of this project has this external id"]}
                result.errors.append({"row": number, "errors": problem})
                continue
            task_id = plant_id_for(project_id, plant.task.external_id)
            state, version = load_task(task_id)
            events = [] if task_id in seen else _decide(state, task_id, plant, number, policy)
            seen.add(task_id)
            if not events:
                result.skipped += 1
                continue
            uow.append(task_stream(task_id), version, events)
            result.created += 1
    result.errors.sort(key=lambda error: error["row"])
    return result


def _clean(raw: Any, policy: ProjectPolicy) -> PlantRow:
    return clean_plant_row(
        raw,
        review_layers=policy.review_layers,
        reason_codes=policy.reason_codes,
        clean_judgment=lambda judgment: clean_judgment(judgment, policy.criteria),
    )


def _decide(
    state: TaskState, task_id: UUID, plant: PlantRow, number: int, policy: ProjectPolicy
) -> list[Any]:
    return task_domain.decide_plant(
        state, task_id=task_id, plant=plant, row_number=number, project=policy, submission_id=uuid.uuid4()
    )
