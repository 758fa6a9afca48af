"""Who counts as signed in, and who is trying to sign in.

Separate from the sign-in views (``marlin.api.auth``) because DRF imports the authentication
classes while its own views module loads.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.http import HttpRequest
from django.utils import timezone
from knox import auth as knox_auth
from knox.models import AuthToken
from knox.signals import token_expired
from rest_framework import exceptions


def may_sign_in(user: Any) -> bool:
    """Django's ``is_active`` and Marlin's ``active``: a deactivated person signs in nowhere."""
    return bool(getattr(user, "is_active", False)) and bool(getattr(user, "active", True))


class ActivePeopleBackend(ModelBackend):
    """The model backend, refusing deactivated people too (sessions of theirs stop as well,
    since Django asks the backend for the session's user on every request)."""

    def user_can_authenticate(self, user: Any) -> bool:
        return may_sign_in(user)


class TokenAuthentication(knox_auth.TokenAuthentication):
    """``Authorization: Token <key>``, checked against the stored digests; refuses the tokens of
    a deactivated person (deactivation also deletes them)."""

    def _cleanup_token(self, auth_token: AuthToken) -> bool:
        """Refuse (and delete) this token once expired. Knox also reads every other token of the
        person on every request to delete their expired ones: a query per request that decides
        nothing, since an expired token is refused, and deleted, when it is used."""
        if auth_token.expiry is not None and auth_token.expiry < timezone.now():
            username = auth_token.user.get_username()
            auth_token.delete()
            token_expired.send(sender=self.__class__, username=username, source="auth_token")
            return True
        return False

    def validate_user(self, auth_token: AuthToken) -> tuple[Any, AuthToken]:
        if not may_sign_in(auth_token.user):
            raise exceptions.AuthenticationFailed("This account is deactivated.")
        return auth_token.user, auth_token


# --- who is trying: the client's address and the username ---------------------------------------------


def client_address(request: HttpRequest) -> str:
    """The connection's address, or, behind ``MARLIN_TRUSTED_PROXIES`` proxies, the address the
    outermost trusted proxy saw (the same rule as DRF's ``NUM_PROXIES``). A header a client
    makes up never moves the answer past the proxies that are believed."""
    remote = request.META.get("REMOTE_ADDR", "")
    trusted = settings.MARLIN_TRUSTED_PROXIES
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR")
    if trusted <= 0 or not forwarded:
        return remote
    hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
    return hops[-min(trusted, len(hops))] if hops else remote


def username_tried(request: HttpRequest, credentials: dict[str, Any] | None) -> str | None:
    """The username of a sign-in attempt, as the lockout counts it (trimmed, case-folded, so
    ``Olga`` and ``olga `` are one username)."""
    username = (credentials or {}).get("username")
    if username is None:
        data = getattr(request, "data", None) or getattr(request, "POST", {})
        username = data.get("username") if hasattr(data, "get") else None
    return str(username).strip().casefold() if username else None
