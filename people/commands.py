"""People commands: register, change and invite people; redeem an invitation.

Each checks state, then appends events. Credentials (password hashes, tokens, invitations) are
not events: the log records that a password was set or an invitation issued, never the secret.
Nobody sets another person's password: ops register a person and hand over a one-time invitation
(``person_register_invited``, ``person_invite``), which the person redeems with the password they
choose (``invitation_accept``). A new invitation revokes the old password, every token and every
session; so does deactivation (and a deactivated person cannot sign in at all).
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import reduce
from typing import Any

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from knox.models import AuthToken

from marlin.eventstore.store import UnitOfWork, command_transaction, load_aggregate
from marlin.kernel import clock
from marlin.kernel.errors import InvalidInput, NotFound
from marlin.kernel.events import DomainEvent
from people.domain import (
    Actor,
    PersonDeactivated,
    PersonState,
    check_may_manage,
    decide_invite,
    decide_password_set,
    decide_register,
    decide_update,
    evolve,
    person_stream,
)
from people.models import Invitation, User


@dataclass(frozen=True)
class IssuedInvitation:
    """An invitation as its issuer sees it, once: the token is not stored, only its digest."""

    token: str
    expires_at: datetime


@dataclass(frozen=True)
class Registration:
    person: User
    invitation: IssuedInvitation


def person_register(
    *,
    actor_id: int | None,
    username: str,
    email: str,
    name: str,
    roles: list[str],
    reviewer_level: int = 1,
    skills: list[str] | None = None,
    capacity: int = 5,
    active: bool = True,
    password: str | None = None,
) -> User:
    """Create a person with a registered profile. With ``password`` (demo data and tests only:
    the API never takes one) they can sign in at once; without, not until they are invited."""
    with command_transaction(actor_id=actor_id) as uow:
        user, _ = _register(
            uow,
            actor_id,
            username=username,
            password=password,
            fields={
                "email": email,
                "name": name,
                "roles": roles,
                "reviewer_level": reviewer_level,
                "skills": skills or [],
                "capacity": capacity,
                "active": active,
            },
        )
    return User.objects.get(pk=user.pk)


def person_register_invited(*, actor_id: int | None, username: str, **fields: Any) -> Registration:
    """Create a person and their invitation in one transaction (``POST people/``)."""
    with command_transaction(actor_id=actor_id) as uow:
        user, registered = _register(uow, actor_id, username=username, password=None, fields=fields)
        # The registration is appended but not yet in the store: fold it here.
        state = reduce(evolve, registered, PersonState())
        invitation = _issue_invitation(uow, user, state, len(registered))
    return Registration(User.objects.get(pk=user.pk), invitation)


def person_update(*, actor_id: int | None, user_id: int, fields: Mapping[str, Any]) -> User:
    """Change profile fields or activity; only real changes become events. Deactivation revokes
    the person's tokens (their sessions end too: a deactivated person is no user to Django).

    Users created outside Marlin's commands (``createsuperuser``) are registered in the log
    from their current row first, so every later change has a history to follow.
    """
    with command_transaction(actor_id=actor_id) as uow:
        user = _managed(actor_id, user_id, roles_after=fields.get("roles"))
        state, version = _adopted(uow, user)
        events = decide_update(state, fields=fields, superuser=user.is_superuser)
        if events:
            uow.append(person_stream(user_id), version, events)
        if any(isinstance(event, PersonDeactivated) for event in events):
            AuthToken.objects.filter(user_id=user_id).delete()
    return User.objects.get(pk=user_id)


def person_invite(*, actor_id: int | None, user_id: int) -> IssuedInvitation:
    """A new invitation for a person: their password, tokens, sessions and earlier invitations
    stop working at once (``POST people/{id}/invite/``)."""
    with command_transaction(actor_id=actor_id) as uow:
        user = _managed(actor_id, user_id, roles_after=None)
        state, version = _adopted(uow, user)
        return _issue_invitation(uow, user, state, version)


def invitation_accept(*, token: str, password: str) -> User:
    """The invited person sets their password, once (``POST auth/invitation/``)."""
    refused = InvalidInput(
        "This invitation cannot be used: it is unknown, used, replaced or expired.",
        fields={"token": ["unknown, used, replaced or expired"]},
        code="invalid_invitation",
    )
    invitation = Invitation.objects.select_related("user").filter(digest=_digest(token)).first()
    if (
        invitation is None
        or invitation.used_at
        or invitation.revoked_at
        or invitation.expires_at <= clock.now()
    ):
        raise refused
    user = invitation.user
    _check_password(password, user=user)
    with command_transaction(actor_id=user.pk) as uow:
        claimed = Invitation.objects.filter(
            pk=invitation.pk, used_at__isnull=True, revoked_at__isnull=True
        ).update(used_at=clock.now())
        if not claimed:
            raise refused  # redeemed or replaced at the same moment by another request
        user = User.objects.select_for_update(no_key=True).get(pk=user.pk)
        user.set_password(password)
        user.save(update_fields=["password"])
        state, version = load_aggregate(person_stream(user.pk), evolve, PersonState())
        uow.append(person_stream(user.pk), version, decide_password_set(state))
    return User.objects.get(pk=user.pk)


# --- steps ---------------------------------------------------------------------------------------------


def _register(
    uow: UnitOfWork, actor_id: int | None, *, username: str, password: str | None, fields: Mapping[str, Any]
) -> tuple[User, list[DomainEvent]]:
    check_may_manage(
        _actor(actor_id),
        target_id=None,
        target_is_superuser=False,
        roles_before=(),
        roles_after=tuple(fields.get("roles", ())),
    )
    if password is not None:
        _check_password(password, user=User(username=username, email=fields.get("email", "")))
    user = _create_credentials(username, password)
    events = decide_register(PersonState(), user_id=user.pk, username=username, fields=fields)
    uow.append(person_stream(user.pk), 0, events)
    return user, events


def _managed(actor_id: int | None, user_id: int, *, roles_after: Any) -> User:
    """The person's row, locked, once the actor may manage them (and give them those roles).

    ``FOR NO KEY UPDATE``, not ``FOR UPDATE``: rows that refer to the person (assignments, ledger
    entries) check their foreign key at COMMIT with ``FOR KEY SHARE``, after their transaction
    took the position counter. ``FOR UPDATE`` would block that check while this command waits for
    the counter: a deadlock. Person commands never change the key, and still serialise.
    """
    user = User.objects.select_for_update(no_key=True).filter(pk=user_id).first()
    if user is None:
        raise NotFound("no such person")
    check_may_manage(
        _actor(actor_id),
        target_id=user_id,
        target_is_superuser=user.is_superuser,
        roles_before=tuple(user.roles),
        roles_after=tuple(user.roles if roles_after is None else roles_after),
    )
    return user


def _adopted(uow: UnitOfWork, user: User) -> tuple[PersonState, int]:
    """The person's state; someone made outside the commands is registered in the log first."""
    stream = person_stream(user.pk)
    state, version = load_aggregate(stream, evolve, PersonState())
    if state.profile is None:
        adopted = decide_register(
            state,
            user_id=user.pk,
            username=user.username,
            fields=_row_fields(user),
            superuser=user.is_superuser,
            adopting=True,
        )
        uow.append(stream, version, adopted)
        for event in adopted:
            state = evolve(state, event)
        version += len(adopted)
    return state, version


def _issue_invitation(uow: UnitOfWork, user: User, state: PersonState, version: int) -> IssuedInvitation:
    now = clock.now()
    expires_at = now + timedelta(hours=settings.MARLIN_INVITATION_TTL_HOURS)
    uow.append(person_stream(user.pk), version, decide_invite(state, expires_at=expires_at))
    user.set_unusable_password()  # sessions end with it: Django checks the password's hash
    user.save(update_fields=["password"])
    AuthToken.objects.filter(user_id=user.pk).delete()
    Invitation.objects.filter(user=user, used_at__isnull=True, revoked_at__isnull=True).update(revoked_at=now)
    token = secrets.token_urlsafe(32)
    Invitation.objects.create(digest=_digest(token), user=user, created_at=now, expires_at=expires_at)
    return IssuedInvitation(token, expires_at)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _actor(actor_id: int | None) -> Actor:
    if actor_id is None:
        return Actor(None, is_superuser=True)
    return Actor(actor_id, is_superuser=User.objects.filter(pk=actor_id, is_superuser=True).exists())


def _create_credentials(username: str, password: str | None) -> User:
    if User.objects.filter(username__iexact=username).exists():
        raise InvalidInput(fields={"username": ["a person with this username already exists"]})
    try:
        with transaction.atomic():
            return User.objects.create_user(username=username, password=password)
    except IntegrityError:
        raise InvalidInput(fields={"username": ["a person with this username already exists"]}) from None


def _check_password(password: str, *, user: User) -> None:
    try:
        validate_password(password, user=user)
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
