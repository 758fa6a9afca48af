"""Every route of the URLconf x every kind of person, with the status each must get.

The world: a contributor whose judgment waits with a reviewer, ops, finance, a superuser, and a
deactivated person of each kind (signed in before they were deactivated). Each person calls with
their API token and a browser session at once, as a real client could. A request that a person
may make is sent with an empty body, so it answers with what the endpoint makes of nothing
(usually 400); a request they may not make must be refused before anything happens.

``MATRIX`` is also the README's permission table, between the markers below; a test keeps the two
equal (its failure prints the table to paste). A route that is not in the matrix fails the suite:
access is decided, never defaulted.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from knox.models import AuthToken
from rest_framework.test import APIClient

from people.commands import person_update
from tests.factories import import_tasks, make_project, make_user, pending_review, submitted_task
from tests.support.settle import settle
from webhooks.commands import webhook_register

ROLES = ("anonymous", "contributor", "reviewer", "ops", "finance", "superuser")
DEACTIVATED = ("contributor", "reviewer", "ops", "finance", "superuser")


@dataclass(frozen=True)
class Row:
    method: str
    path: str
    anonymous: int
    contributor: int
    reviewer: int
    ops: int
    finance: int
    superuser: int
    deactivated: int
    note: str = ""

    def expected(self, role: str) -> int:
        return getattr(self, role)


def row(method: str, path: str, *statuses: int, note: str = "") -> Row:
    """Statuses in the order anonymous, contributor, reviewer, ops, finance, superuser, deactivated."""
    return Row(method, path, *statuses, note=note)


# anonymous, contributor, reviewer, ops, finance, superuser, deactivated
MATRIX: list[Row] = [
    row("GET", "", 200, 200, 200, 200, 200, 200, 401, note="links to the entry points"),
    row("POST", "auth/token/", 400, 400, 400, 400, 400, 400, 400, note="anyone may try to sign in"),
    row("POST", "auth/logout/", 401, 204, 204, 204, 204, 204, 401),
    row("POST", "auth/invitation/", 400, 400, 400, 400, 400, 400, 400, note="anyone holding an invitation"),
    row("GET", "me/", 401, 200, 200, 200, 200, 200, 401),
    row("GET", "me/earnings/", 401, 200, 200, 200, 200, 200, 401, note="one's own"),
    row("GET", "schema/", 200, 200, 200, 200, 200, 200, 401),
    row("GET", "docs/", 200, 200, 200, 200, 200, 200, 401),
    row("GET", "events/", 401, 403, 403, 200, 403, 200, 401),
    row("GET", "people/", 401, 403, 403, 200, 403, 200, 401),
    row("POST", "people/", 401, 403, 403, 400, 403, 400, 401),
    row("GET", "people/{person}/", 401, 403, 403, 200, 403, 200, 401),
    row("PATCH", "people/{person}/", 401, 403, 403, 200, 403, 200, 401),
    row("POST", "people/{person}/invite/", 401, 403, 403, 201, 403, 201, 401),
    row("GET", "projects/", 401, 200, 200, 200, 200, 200, 401, note="others: active ones they qualify for"),
    row("POST", "projects/", 401, 403, 403, 400, 403, 400, 401),
    row("GET", "projects/{project}/", 401, 200, 200, 200, 404, 200, 401),
    row("PATCH", "projects/{project}/", 401, 403, 403, 200, 403, 200, 401),
    row("POST", "projects/{project}/pause/", 401, 403, 403, 200, 403, 200, 401),
    row("POST", "projects/{project}/resume/", 401, 403, 403, 409, 403, 409, 401, note="409: not paused"),
    row("POST", "projects/{project}/archive/", 401, 403, 403, 200, 403, 200, 401),
    row("POST", "projects/{project}/tasks/", 401, 403, 403, 400, 403, 400, 401),
    row("POST", "projects/{project}/calibration/", 401, 403, 403, 400, 403, 400, 401),
    row("GET", "projects/{project}/suspensions/", 401, 403, 403, 200, 403, 200, 401),
    row("GET", "projects/{project}/leaderboard/", 401, 403, 403, 200, 403, 200, 401),
    row(
        "POST",
        "projects/{project}/suspensions/{person}/lift/",
        *(401, 403, 403, 404, 403, 404, 401),
        note="404: never suspended there",
    ),
    row("GET", "tasks/", 401, 200, 200, 200, 200, 200, 401, note="each sees only their own"),
    row("POST", "tasks/claim/", 401, 201, 403, 403, 403, 403, 401),
    row("GET", "tasks/{task}/", 401, 200, 200, 200, 404, 200, 401, note="its contributor, its reviewer, ops"),
    row("POST", "tasks/{task}/release/", 401, 409, 403, 403, 403, 403, 401, note="409: in review"),
    row("GET", "tasks/{task}/submissions/", 401, 200, 200, 200, 404, 200, 401),
    row("POST", "tasks/{task}/submissions/", 401, 409, 403, 403, 403, 403, 401, note="409: in review"),
    row("GET", "tasks/{task}/history/", 401, 200, 404, 200, 404, 200, 401),
    row("POST", "tasks/{task}/appeal/", 401, 400, 403, 403, 403, 403, 401, note="400: reason missing"),
    row("POST", "tasks/{task}/cancel/", 401, 403, 403, 400, 403, 400, 401),
    row("POST", "tasks/{task}/reverse-approval/", 401, 403, 403, 400, 403, 400, 401),
    row("GET", "reviews/", 401, 200, 200, 200, 200, 200, 401, note="a reviewer's own; ops all"),
    row("GET", "reviews/{assignment}/", 401, 404, 200, 200, 404, 200, 401),
    row("POST", "reviews/{assignment}/decision/", 401, 403, 400, 403, 403, 403, 401),
    row("POST", "reviews/{assignment}/reassign/", 401, 403, 403, 202, 403, 202, 401, note="202: nobody else"),
    row("GET", "queues/", 401, 403, 403, 200, 403, 200, 401),
    row("GET", "exports/preferences/", 401, 403, 403, 400, 403, 400, 401, note="400: ?project= missing"),
    row("GET", "quality/contributors/", 401, 403, 403, 400, 403, 400, 401, note="400: ?project= missing"),
    row("GET", "quality/reviewers/", 401, 403, 403, 400, 403, 400, 401, note="400: ?project= missing"),
    row(
        "GET",
        "payouts/",
        401,
        200,
        200,
        200,
        200,
        200,
        401,
        note="finance all; a contributor's own; else none",
    ),
    row("GET", "payouts/report/", 401, 403, 403, 403, 400, 400, 401, note="400: ?period= missing"),
    row("GET", "payouts/controls/", 401, 403, 403, 403, 400, 400, 401, note="400: ?period= missing"),
    row("GET", "statements/", 401, 200, 200, 200, 200, 200, 401, note="finance all; a contributor's own"),
    row("POST", "statements/close/", 401, 403, 403, 403, 400, 400, 401),
    row("POST", "statements/{statement}/paid/", 401, 403, 403, 403, 400, 400, 401),
    row("GET", "webhooks/", 401, 403, 403, 200, 403, 200, 401),
    row("POST", "webhooks/", 401, 403, 403, 400, 403, 400, 401),
    row("GET", "webhooks/{webhook}/", 401, 403, 403, 200, 403, 200, 401),
    row("PATCH", "webhooks/{webhook}/", 401, 403, 403, 200, 403, 200, 401),
    row("DELETE", "webhooks/{webhook}/", 401, 403, 403, 204, 403, 204, 401),
    row("GET", "webhooks/{webhook}/deliveries/", 401, 403, 403, 200, 403, 200, 401, note="every attempt"),
    row(
        "POST",
        "webhooks/{webhook}/deliveries/{delivery}/replay/",
        *(401, 403, 403, 404, 403, 404, 401),
        note="404: no such delivery",
    ),
    # Pages for people in a browser (session sign-in).
    row("GET", "login/", 200, 200, 200, 200, 200, 200, 200, note="the sign-in page"),
    row("POST", "login/", 200, 200, 200, 200, 200, 200, 200, note="no credentials: the form again"),
    row("POST", "logout/", 302, 302, 302, 302, 302, 302, 302, note="302: to the home page"),
    row("GET", "/", 200, 200, 200, 200, 200, 200, 200, note="home: who you are, where to go"),
    row("GET", "/tokens/", 302, 200, 200, 200, 200, 200, 302, note="302: to sign in"),
    row("POST", "/tokens/", 302, 201, 201, 201, 201, 201, 302, note="a new token, shown once"),
    row(
        "POST", "/tokens/{token_key}/revoke/", 302, 404, 404, 404, 404, 404, 302, note="404: not one of yours"
    ),
    row("GET", "/ops/", 302, 403, 403, 200, 403, 200, 302, note="302: to sign in"),
    row("GET", "/ops/projects/{project}/", 302, 403, 403, 200, 403, 200, 302, note="302: to sign in"),
    row("GET", "/ops/projects/{project}/quality/", 302, 403, 403, 200, 403, 200, 302, note="302: to sign in"),
    row(
        "POST",
        "/ops/projects/{project}/pause/",
        302,
        403,
        403,
        302,
        403,
        302,
        302,
        note="302: back, with a message",
    ),
    row(
        "POST",
        "/ops/projects/{project}/resume/",
        302,
        403,
        403,
        302,
        403,
        302,
        302,
        note="302: back, with a message",
    ),
    row("GET", "/ops/tasks/{task}/", 302, 403, 403, 200, 403, 200, 302, note="302: to sign in"),
    row(
        "POST",
        "/ops/tasks/{task}/cancel/",
        302,
        403,
        403,
        302,
        403,
        302,
        302,
        note="302: back, with a message",
    ),
    row(
        "POST",
        "/ops/reviews/{assignment}/reassign/",
        *(302, 403, 403, 302, 403, 302, 302),
        note="302: back, with a message",
    ),
    row("GET", "/ops/reviewers/", 302, 403, 403, 200, 403, 200, 302, note="302: to sign in"),
    row("GET", "/ops/contributors/", 302, 403, 403, 200, 403, 200, 302, note="302: to sign in"),
    row("GET", "/finance/", 302, 403, 403, 403, 200, 200, 302, note="302: to sign in"),
    row(
        "GET", "/finance/close/", 302, 403, 403, 403, 302, 302, 302, note="302 without ?period=: to /finance/"
    ),
    row(
        "POST", "/finance/close/", 302, 403, 403, 403, 302, 302, 302, note="302: to /finance/, with a message"
    ),
    row(
        "POST",
        "/finance/statements/{statement}/paid/",
        *(302, 403, 403, 403, 302, 302, 302),
        note="302: to /finance/, with a message",
    ),
    row("GET", "/admin/", 302, 302, 302, 302, 302, 200, 302, note="read-only; superusers (staff)"),
    row("GET", "/healthz", 200, 200, 200, 200, 200, 200, 200),
]

ADMIN_PREFIX = "admin/"


def url_of(row: Row, world: dict[str, Any]) -> str:
    path = row.path if row.path.startswith("/") else "/api/v1/" + row.path
    return path.format(**world["ids"])


def routes() -> set[tuple[str, str]]:
    """Every (method, route) the URLconf answers, admin pages as one."""
    found: set[tuple[str, str]] = set()

    def walk(patterns: list[Any], prefix: str) -> None:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, prefix + str(pattern.pattern))
            elif isinstance(pattern, URLPattern):
                route = prefix + str(pattern.pattern)
                if route.startswith(ADMIN_PREFIX):
                    found.add(("GET", "/admin/"))
                    continue
                view = getattr(pattern.callback, "view_class", None) or getattr(pattern.callback, "cls", None)
                allowed = getattr(view, "http_method_names", ())
                methods = [
                    m for m in ("get", "post", "put", "patch", "delete") if m in allowed and hasattr(view, m)
                ]
                for method in methods or ["get"]:
                    found.add((method.upper(), _matrix_form(route)))

    walk(get_resolver().url_patterns, "")
    return found


def _matrix_form(route: str) -> str:
    names = {
        "<int:person_id>": "{person}",
        "<uuid:project_id>": "{project}",
        "<uuid:task_id>": "{task}",
        "<uuid:assignment_id>": "{assignment}",
        "<uuid:statement_id>": "{statement}",
        "<str:token_key>": "{token_key}",
        "<uuid:webhook_id>": "{webhook}",
        "<uuid:delivery_id>": "{delivery}",
    }
    for pattern, name in names.items():
        route = route.replace(pattern, name)
    return route.removeprefix("api/v1/") if route.startswith("api/v1/") else "/" + route


# The session login and logout of the browsable API take PUT as Django's LoginView does; the
# matrix lists the methods people use.
NOT_IN_MATRIX = {("PUT", "login/")}


def test_every_route_of_the_urlconf_is_in_the_matrix_and_nothing_else() -> None:
    in_matrix = {(r.method, r.path) for r in MATRIX}

    assert routes() - NOT_IN_MATRIX - in_matrix == set()
    assert in_matrix - routes() == set()


@pytest.fixture
def world(db: None) -> dict[str, Any]:
    project = make_project()
    import_tasks(project, 3)
    people = {role: make_user(role) for role in ("contributor", "reviewer", "ops", "finance")}
    people["superuser"] = make_user(is_superuser=True)
    task_id, _ = submitted_task(project, people["contributor"])
    settle()
    assignment = pending_review(task_id)
    assert assignment.reviewer_id == people["reviewer"].pk
    clients = {"anonymous": APIClient()}
    for role, person in people.items():
        clients[role] = _signed_in(person)
    for role in DEACTIVATED:
        person = make_user(role) if role != "superuser" else make_user(is_superuser=True)
        clients[f"deactivated {role}"] = _signed_in(person)
        person_update(actor_id=None, user_id=person.pk, fields={"active": False})
    webhook = webhook_register(actor_id=None, url="http://93.184.215.14/hooks", events=["TaskApproved"])
    ids = {
        "person": people["contributor"].pk,
        "project": project.id,
        "task": task_id,
        "assignment": assignment.id,
        "statement": uuid.uuid4(),
        "token_key": "notyours",
        "webhook": webhook.endpoint.id,
        "delivery": uuid.uuid4(),
    }
    return {"clients": clients, "ids": ids}


def _signed_in(person: Any) -> APIClient:
    """A client with the person's API token and a browser session at once."""
    client = APIClient()
    _, token = AuthToken.objects.create(person)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    client.force_login(person)
    return client


CASES = [
    pytest.param(r, role, id=f"{r.method} {r.path} as {role}")
    for r in MATRIX
    for role in (*ROLES, *(f"deactivated {d}" for d in DEACTIVATED))
]


@pytest.mark.postgres_only
@pytest.mark.parametrize(("row", "role"), CASES)
def test_each_person_gets_what_the_matrix_says(world, row: Row, role: str) -> None:
    expected = row.expected("deactivated" if role.startswith("deactivated") else role)
    client = world["clients"][role]

    response = getattr(client, row.method.lower())(url_of(row, world), {}, format="json")

    assert response.status_code == expected, response.content[:300]


def permission_table() -> str:
    """The matrix as the README's Markdown table."""
    header = "| method | path | " + " | ".join(ROLES) + " | deactivated |"
    lines = [header, "|" + "---|" * (len(ROLES) + 3)]
    for r in MATRIX:
        cells = [str(r.expected(role)) for role in (*ROLES, "deactivated")]
        note = f" ({r.note})" if r.note else ""
        shown = r.path if r.path.startswith("/") else "/api/v1/" + r.path
        lines.append(f"| {r.method} | `{shown}`{note} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


TABLE_START = "<!-- permission table: generated from tests/marlin/test_access_matrix.py -->"
TABLE_END = "<!-- end of permission table -->"


def test_the_readme_permission_table_is_the_matrix() -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    start, end = readme.index(TABLE_START) + len(TABLE_START), readme.index(TABLE_END)

    assert readme[start:end].strip() == permission_table(), "paste this table:\n" + permission_table()
