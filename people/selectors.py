"""Reads of people (ops only)."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from marlin.kernel.errors import NotFound
from marlin.kernel.roles import Role
from people.models import ROLE_COLUMNS, User


def people_list(
    *, role: str | None = None, active: bool | None = None, search: str | None = None
) -> QuerySet[User]:
    query = User.objects.order_by("id")
    if role:
        query = query.filter(**{ROLE_COLUMNS[Role(role)]: True})
    if active is not None:
        query = query.filter(active=active)
    if search:
        query = query.filter(
            Q(username__icontains=search) | Q(name__icontains=search) | Q(email__icontains=search)
        )
    return query


def person_get(user_id: int) -> User:
    person = User.objects.filter(pk=user_id).first()
    if person is None:
        raise NotFound("no such person")
    return person
