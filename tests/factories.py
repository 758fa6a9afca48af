"""Test data, made through the same commands the API uses (never by writing projection rows)."""

from __future__ import annotations

from itertools import count
from typing import Any
from uuid import UUID

from knox.models import AuthToken
from rest_framework.test import APIClient

from people.commands import person_register
from people.models import User
from reviews.models import ReviewAssignment
from tasks.commands import project_create, task_claim, task_submit
from tasks.domain.task import task_id_for
from tasks.importing import task_import
from tasks.models import Project
from tests.judgments import RATIONALE, judgment

__all__ = ["RATIONALE", "judgment"]

_serial = count(1)
PASSWORD = "correct-horse-battery"


def make_user(*roles: str, **fields: Any) -> User:
    n = next(_serial)
    superuser = fields.pop("is_superuser", False)
    staff = fields.pop("is_staff", superuser)
    user = person_register(
        actor_id=None,
        username=fields.pop("username", f"user{n}"),
        password=PASSWORD,
        email=fields.pop("email", f"user{n}@example.com"),
        name=fields.pop("name", f"User {n}"),
        roles=list(roles),
        **fields,
    )
    if superuser or staff:
        User.objects.filter(pk=user.pk).update(is_superuser=superuser, is_staff=staff)
        user.refresh_from_db()
    return user


def client_for(user: Any) -> APIClient:
    client = APIClient()
    _, token = AuthToken.objects.create(user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


def make_project(**fields: Any) -> Project:
    fields.setdefault("name", f"Project {next(_serial)}")
    return project_create(actor_id=None, fields=fields)


def task_row(external_id: str, **fields: Any) -> dict[str, Any]:
    return {
        "external_id": external_id,
        "prompt": f"Write a function for case {external_id}.",
        "response_a": "def f(xs):\n    return sorted(set(xs))",
        "response_b": "def f(xs):\n    return list(set(xs))",
        "model_a": "atlas-70b",
        "model_b": "corvid-xl",
        **fields,
    }


def import_tasks(project: Project, n: int, *, prefix: str = "t", **fields: Any) -> list[UUID]:
    rows = [(i, task_row(f"{prefix}{i}", **fields)) for i in range(1, n + 1)]
    task_import(actor_id=None, project_id=project.id, rows=rows)
    return [task_id_for(project.id, f"{prefix}{i}") for i in range(1, n + 1)]


def submitted_task(project: Project, contributor: User | None = None, **overrides: Any) -> tuple[UUID, User]:
    """A contributor claims the next task of ``project`` and submits a judgment on it."""

    contributor = contributor or make_user("contributor")
    task = task_claim(contributor_id=contributor.pk, project_id=project.id)
    assert task is not None, "no open task to claim"
    task_submit(contributor_id=contributor.pk, task_id=task.id, judgment=judgment(**overrides))
    return task.id, contributor


def pending_review(task_id: UUID) -> Any:
    return ReviewAssignment.objects.filter(task_id=task_id, status="pending").first()
