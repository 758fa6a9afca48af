"""The people projection: profile fields on the user row and one row per skill.

Registration writes every profile field, so replaying a person's stream rebuilds their profile
whatever it held before; that is why ``reset`` leaves user rows (and their credentials) alone and
empties only the skill rows.
"""

from __future__ import annotations

from typing import Any

from marlin import projections
from people.domain import (
    PersonDeactivated,
    PersonPasswordSet,
    PersonReactivated,
    PersonRegistered,
    PersonUpdated,
)
from people.models import ROLE_COLUMNS, PersonSkill, User


class PeopleProjector(projections.Projector):
    def reset(self) -> None:
        PersonSkill.objects.all().delete()  # user rows keep their credentials; replay rewrites profiles


people = projections.register(PeopleProjector("people", tables=[User, PersonSkill]))


def _role_columns(roles: Any) -> dict[str, bool]:
    return {column: role.value in roles for role, column in ROLE_COLUMNS.items()}


def _set_skills(user_id: int, skills: Any) -> None:
    PersonSkill.objects.filter(user_id=user_id).delete()
    PersonSkill.objects.bulk_create([PersonSkill(user_id=user_id, skill=skill) for skill in skills])


@people.on(PersonRegistered)
def _registered(event: PersonRegistered, recorded: Any) -> None:
    User.objects.filter(pk=event.user_id).update(
        username=event.username,
        email=event.email,
        name=event.name,
        reviewer_level=event.reviewer_level,
        skills=list(event.skills),
        capacity=event.capacity,
        active=event.active,
        **_role_columns(event.roles),
    )
    _set_skills(event.user_id, event.skills)


@people.on(PersonUpdated)
def _updated(event: PersonUpdated, recorded: Any) -> None:
    changes = dict(event.changes)
    if "roles" in changes:
        changes.update(_role_columns(changes.pop("roles")))
    if "skills" in changes:
        _set_skills(event.user_id, changes["skills"])
    User.objects.filter(pk=event.user_id).update(**changes)


@people.on(PersonDeactivated, PersonReactivated)
def _activity(event: PersonDeactivated | PersonReactivated, recorded: Any) -> None:
    User.objects.filter(pk=event.user_id).update(active=isinstance(event, PersonReactivated))


@people.on(PersonPasswordSet)
def _password_set(event: PersonPasswordSet, recorded: Any) -> None:
    """Nothing to project: the fact is in the log for the audit trail."""
