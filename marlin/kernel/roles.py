"""Roles and the checks on them: the vocabulary the API kernel's permissions and every app share.

A Django superuser may do everything ops and finance may."""

from __future__ import annotations

from enum import StrEnum
from typing import Any


class Role(StrEnum):
    CONTRIBUTOR = "contributor"
    REVIEWER = "reviewer"
    OPS = "ops"
    FINANCE = "finance"


ALL_ROLES = tuple(role.value for role in Role)
SUPERUSER_ROLES = frozenset({Role.OPS, Role.FINANCE})


def has_role(user: Any, role: Role) -> bool:
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    if getattr(user, "is_superuser", False) and role in SUPERUSER_ROLES:
        return True
    return role.value in (getattr(user, "roles", None) or [])


def effective_roles(user: Any) -> list[str]:
    roles = set(getattr(user, "roles", None) or [])
    if getattr(user, "is_superuser", False):
        roles |= {role.value for role in SUPERUSER_ROLES}
    return [role for role in ALL_ROLES if role in roles]
