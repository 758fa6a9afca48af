"""The person aggregate: pure events, state and decisions (no Django imports).

Credentials are not part of it: the log records that a password was set, never the password.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from marlin.kernel.errors import Conflict, InvalidInput, NotAllowed, NotFound
from marlin.kernel.events import DomainEvent, stream_name
from marlin.kernel.roles import ALL_ROLES
from marlin.kernel.tags import normalize_tags

MAX_REVIEWER_LEVEL = 5
MAX_CAPACITY = 100
PROFILE_FIELDS = ("email", "name", "roles", "reviewer_level", "skills", "capacity")


def person_stream(user_id: int) -> str:
    return stream_name("person", user_id)


# --- events ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PersonRegistered(DomainEvent):
    user_id: int
    username: str
    email: str
    name: str
    roles: tuple[str, ...]
    reviewer_level: int
    skills: tuple[str, ...]
    capacity: int
    active: bool


@dataclass(frozen=True)
class PersonUpdated(DomainEvent):
    """Some profile fields changed; ``changes`` holds only those, with their new values."""

    user_id: int
    changes: dict[str, Any]


@dataclass(frozen=True)
class PersonDeactivated(DomainEvent):
    user_id: int


@dataclass(frozen=True)
class PersonReactivated(DomainEvent):
    user_id: int


@dataclass(frozen=True)
class PersonPasswordSet(DomainEvent):
    """The person set their password (redeeming an invitation), or, before invitations, someone
    set it for them. The hash stays out of the log."""

    user_id: int


@dataclass(frozen=True)
class PersonInvited(DomainEvent):
    """An invitation was issued: until it is redeemed the person has no password, no token and no
    session. The invitation's token is never in the log."""

    user_id: int
    expires_at: datetime


# --- state -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Profile:
    email: str
    name: str
    roles: tuple[str, ...]
    reviewer_level: int
    skills: tuple[str, ...]
    capacity: int


@dataclass(frozen=True)
class PersonState:
    user_id: int | None = None
    profile: Profile | None = None
    active: bool = False


def evolve(state: PersonState, event: DomainEvent) -> PersonState:
    match event:
        case PersonRegistered():
            profile = Profile(
                event.email, event.name, event.roles, event.reviewer_level, event.skills, event.capacity
            )
            return PersonState(event.user_id, profile, event.active)
        case PersonUpdated() if state.profile is not None:
            changes = {k: tuple(v) if isinstance(v, list) else v for k, v in event.changes.items()}
            return replace(state, profile=replace(state.profile, **changes))
        case PersonDeactivated():
            return replace(state, active=False)
        case PersonReactivated():
            return replace(state, active=True)
    return state


# --- who may manage whom ---------------------------------------------------------------------------

PRIVILEGED_ROLES = frozenset({"ops", "finance"})
WORK_ROLES = frozenset({"contributor", "reviewer"})


def check_separation_of_duties(roles: tuple[str, ...], *, superuser: bool) -> None:
    """Work roles (contributor, reviewer) and control roles (ops, finance) never sit on one
    person, and a superuser (who may do all that ops and finance may) holds no work role: else
    one person could steer or pay the work they do themselves."""
    work = set(roles) & WORK_ROLES
    if work and (superuser or set(roles) & PRIVILEGED_ROLES):
        holder = (
            "a superuser"
            if superuser
            else "a person with " + " and ".join(sorted(set(roles) & PRIVILEGED_ROLES))
        )
        raise InvalidInput(
            f"work roles ({', '.join(sorted(work))}) and control roles never sit on one person: "
            f"{holder} cannot also be {' or '.join(sorted(work))}",
            fields={"roles": ["work roles and control roles never sit on one person"]},
            code="role_conflict",
        )


@dataclass(frozen=True)
class Actor:
    """Who runs a people command; ``None`` as the actor is the system itself (seed data)."""

    user_id: int | None
    is_superuser: bool


def check_may_manage(
    actor: Actor,
    *,
    target_id: int | None,
    target_is_superuser: bool,
    roles_before: tuple[str, ...],
    roles_after: tuple[str, ...],
) -> None:
    """Ops manage contributors and reviewers. Granting or removing ops or finance, and changing a
    superuser or another ops or finance person, takes a superuser: otherwise ops could give
    themselves finance, or take over an account with more rights by resetting its password."""
    if actor.user_id is None or actor.is_superuser:
        return
    if target_is_superuser:
        raise NotAllowed("only a superuser may change a superuser", code="privileged_person")
    if (set(roles_before) ^ set(roles_after)) & PRIVILEGED_ROLES:
        raise NotAllowed(
            "only a superuser grants or removes the ops and finance roles", code="privileged_role"
        )
    if target_id != actor.user_id and set(roles_before) & PRIVILEGED_ROLES:
        raise NotAllowed("only a superuser changes another ops or finance person", code="privileged_person")


# --- decisions -------------------------------------------------------------------------------------


def clean_profile(fields: Mapping[str, Any]) -> dict[str, Any]:
    """Check and normalize profile fields against the business rules; raise InvalidInput."""
    errors: dict[str, list[str]] = {}
    cleaned: dict[str, Any] = {}
    if "roles" in fields:
        roles = list(fields["roles"])
        unknown = sorted({r for r in roles if r not in ALL_ROLES}, key=str)
        if unknown:
            errors["roles"] = [f"unknown role(s) {unknown}; roles are {list(ALL_ROLES)}"]
        cleaned["roles"] = tuple(role for role in ALL_ROLES if role in roles)
    if "reviewer_level" in fields:
        level = fields["reviewer_level"]
        if not 1 <= level <= MAX_REVIEWER_LEVEL:
            errors["reviewer_level"] = [f"must be between 1 and {MAX_REVIEWER_LEVEL}"]
        cleaned["reviewer_level"] = level
    if "capacity" in fields:
        capacity = fields["capacity"]
        if not 0 <= capacity <= MAX_CAPACITY:
            errors["capacity"] = [f"must be between 0 and {MAX_CAPACITY}"]
        cleaned["capacity"] = capacity
    if "skills" in fields:
        skills, skill_errors = normalize_tags(fields["skills"])
        if skill_errors:
            errors["skills"] = skill_errors
        cleaned["skills"] = skills
    for text_field in ("email", "name"):
        if text_field in fields:
            cleaned[text_field] = str(fields[text_field]).strip()
    if "name" in cleaned and not cleaned["name"]:
        errors["name"] = ["must not be blank"]
    if errors:
        raise InvalidInput(fields=errors)
    return cleaned


def decide_register(
    state: PersonState,
    *,
    user_id: int,
    username: str,
    fields: Mapping[str, Any],
    superuser: bool = False,
    adopting: bool = False,
) -> list[DomainEvent]:
    """Register a person. ``adopting`` records someone made outside Marlin's commands as they
    are (their roles were not decided here), so that later changes have a history."""
    if state.profile is not None:
        raise Conflict(f"person {user_id} is already registered", code="already_registered")
    profile = clean_profile({"roles": (), "reviewer_level": 1, "skills": (), "capacity": 5, **fields})
    if not adopting:
        check_separation_of_duties(profile["roles"], superuser=superuser)
    return [
        PersonRegistered(
            user_id=user_id,
            username=username,
            email=profile.get("email", ""),
            name=profile.get("name", ""),
            roles=profile["roles"],
            reviewer_level=profile["reviewer_level"],
            skills=profile["skills"],
            capacity=profile["capacity"],
            active=bool(fields.get("active", True)),
        )
    ]


def decide_update(
    state: PersonState, *, fields: Mapping[str, Any], password_set: bool = False, superuser: bool = False
) -> list[DomainEvent]:
    """Events for the fields that really change (none when nothing does)."""
    if state.profile is None or state.user_id is None:
        raise NotFound("no such person")
    cleaned = clean_profile({k: v for k, v in fields.items() if k in PROFILE_FIELDS})
    current = state.profile
    if "roles" in cleaned and set(cleaned["roles"]) != set(current.roles):
        check_separation_of_duties(cleaned["roles"], superuser=superuser)
    changes = {key: value for key, value in cleaned.items() if getattr(current, key) != value}
    events: list[DomainEvent] = []
    if changes:
        events.append(PersonUpdated(state.user_id, {k: _plain(v) for k, v in changes.items()}))
    if "active" in fields and bool(fields["active"]) != state.active:
        events.append(
            PersonReactivated(state.user_id) if fields["active"] else PersonDeactivated(state.user_id)
        )
    if password_set:
        events.append(PersonPasswordSet(state.user_id))
    return events


def decide_invite(state: PersonState, *, expires_at: datetime) -> list[DomainEvent]:
    """A (new) invitation for a registered person; it revokes their password, tokens, sessions."""
    if state.profile is None or state.user_id is None:
        raise NotFound("no such person")
    return [PersonInvited(state.user_id, expires_at)]


def decide_password_set(state: PersonState) -> list[DomainEvent]:
    if state.user_id is None:
        raise NotFound("no such person")
    return [PersonPasswordSet(state.user_id)]


def _plain(value: Any) -> Any:
    return list(value) if isinstance(value, tuple) else value
