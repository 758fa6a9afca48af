"""Role permissions for views. Row-level visibility is not here: selectors restrict querysets."""

from __future__ import annotations

from typing import Any

from rest_framework.permissions import BasePermission

from marlin.kernel.roles import Role, has_role


def role_permission(*roles: Role) -> type[BasePermission]:
    """A permission class granting access to users holding any of ``roles``."""

    class HasRole(BasePermission):
        message = f"This needs the role {' or '.join(role.value for role in roles)}."

        def has_permission(self, request: Any, view: Any) -> bool:
            return any(has_role(request.user, role) for role in roles)

    HasRole.__name__ = "Has" + "Or".join(role.value.title() for role in roles)
    return HasRole


IsOps = role_permission(Role.OPS)
IsFinance = role_permission(Role.FINANCE)
IsContributor = role_permission(Role.CONTRIBUTOR)
IsReviewer = role_permission(Role.REVIEWER)


class ReadAnyWriteOps(BasePermission):
    """Any signed-in user may read (the selector decides what); only ops may change."""

    message = "This needs the role ops."

    def has_permission(self, request: Any, view: Any) -> bool:
        if not (request.user and request.user.is_authenticated):
            return False
        return request.method in ("GET", "HEAD", "OPTIONS") or has_role(request.user, Role.OPS)
