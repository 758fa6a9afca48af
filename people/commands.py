"""People commands: register and change people. Each checks state, then appends events."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from marlin.eventstore.store import command_transaction, load_aggregate
from marlin.kernel.errors import InvalidInput, NotFound
from people.domain import (
    Actor,
    PersonState,
    check_may_manage,
    decide_register,
    decide_update,
    evolve,
    person_stream,
)
from people.models import User


def person_register(
    *,
    actor_id: int | None,
    username: str,
    password: str,
    email: str,
    name: str,
    roles: list[str],
    reviewer_level: int = 1,
    skills: list[str] | None = None,
    capacity: int = 5,
    active: bool = True,
) -> User:
    """Create a person with credentials and a registered profile."""
    check_may_manage(
        _actor(actor_id), target_id=None, target_is_superuser=False, roles_before=(), roles_after=tuple(roles)
    )
    _check_password(password, username=username, email=email)
    fields = {
        "email": email,
        "name": name,
        "roles": roles,
        "reviewer_level": reviewer_level,
        "skills": skills or [],
        "capacity": capacity,
        "active": active,
    }
    with command_transaction(actor_id=actor_id) as uow:
        user = _create_credentials(username, password)
        events = decide_register(PersonState(), user_id=user.pk, username=username, fields=fields)
        uow.append(person_stream(user.pk), 0, events)
    return User.objects.get(pk=user.pk)


def person_update(
    *, actor_id: int | None, user_id: int, fields: Mapping[str, Any], password: str | None = None
) -> User:
    """Change profile fields, activity or password; only real changes become events.

    Users created outside Marlin's commands (``createsuperuser``) are registered in the log
    from their current row first, so every later change has a history to follow.
    """
    with command_transaction(actor_id=actor_id) as uow:
        user = User.objects.select_for_update().filter(pk=user_id).first()
        if user is None:
            raise NotFound("no such person")
        check_may_manage(
            _actor(actor_id),
            target_id=user_id,
            target_is_superuser=user.is_superuser,
            roles_before=tuple(user.roles),
            roles_after=tuple(fields.get("roles", user.roles)),
        )
        stream = person_stream(user_id)
        state, version = load_aggregate(stream, evolve, PersonState())
        if state.profile is None:
            adopted = decide_register(
                state, user_id=user_id, username=user.username, fields=_row_fields(user)
            )
            uow.append(stream, version, adopted)
            for event in adopted:
                state = evolve(state, event)
            version += len(adopted)
        if password is not None:
            _check_password(password, username=user.username, email=user.email, user=user)
            user.set_password(password)
            user.save(update_fields=["password"])
        events = decide_update(state, fields=fields, password_set=password is not None)
        if events:
            uow.append(stream, version, events)
    return User.objects.get(pk=user_id)


def _actor(actor_id: int | None) -> Actor:
    if actor_id is None:
        return Actor(None, is_superuser=True)
    return Actor(actor_id, is_superuser=User.objects.filter(pk=actor_id, is_superuser=True).exists())


def _create_credentials(username: str, password: str) -> User:
    if User.objects.filter(username__iexact=username).exists():
        raise InvalidInput(fields={"username": ["a person with this username already exists"]})
    try:
        with transaction.atomic():
            return User.objects.create_user(username=username, password=password)
    except IntegrityError:
        raise InvalidInput(fields={"username": ["a person with this username already exists"]}) from None


def _check_password(password: str, *, username: str, email: str, user: User | None = None) -> None:
    try:
        validate_password(password, user=user or User(username=username, email=email))
    except ValidationError as error:
        raise InvalidInput(fields={"password": list(error.messages)}) from None


def _row_fields(user: User) -> dict[str, Any]:
    return {
        "email": user.email,
        "name": user.name or user.get_full_name() or user.username,
        "roles": user.roles,
        "reviewer_level": user.reviewer_level,
        "skills": list(user.skills or []),
        "capacity": user.capacity,
        "active": user.active,
    }
