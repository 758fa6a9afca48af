"""Who counts as signed in, and who is trying to sign in.

Separate from the sign-in views (``marlin.api.auth``) because DRF imports the authentication
classes while its own views module loads.
"""

from __future__ import annotations

import binascii
import functools
from hmac import compare_digest
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.db import connection
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from knox import auth as knox_auth
from knox.crypto import hash_token
from knox.models import AuthToken
from knox.settings import CONSTANTS, knox_settings
from knox.signals import token_expired
from rest_framework import exceptions

from marlin.model_rows import ModelColumns


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

    def authenticate_credentials(self, token: bytes) -> tuple[Any, AuthToken]:
        """Knox's check, step for step (expired tokens refused and deleted, the digest compared
        in constant time, the person validated), with the tokens of the key's prefix and their
        person read by ``tokens_with_their_person``: knox builds that query through the ORM on
        every request, a sixth of a worker's Python time in the workday benchmark."""
        message = _("Invalid token.")
        key = token.decode("utf-8")
        for auth_token in tokens_with_their_person(key[: CONSTANTS.TOKEN_KEY_LENGTH]):
            if self._cleanup_token(auth_token):
                continue
            try:
                digest = hash_token(key)
            except (TypeError, binascii.Error) as error:
                raise exceptions.AuthenticationFailed(message) from error
            if compare_digest(digest, auth_token.digest):
                if knox_settings.AUTO_REFRESH and auth_token.expiry:
                    self.renew_token(auth_token)
                return self.validate_user(auth_token)
        raise exceptions.AuthenticationFailed(message)

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


def tokens_with_their_person(key: str) -> list[AuthToken]:
    """The tokens whose stored prefix is ``key``, each with its person loaded, as
    ``AuthToken.objects.filter(token_key=key).select_related("user")`` gives them. On PostgreSQL
    the statement is written once and each row becomes the two models through their fields'
    own converters; elsewhere the ORM runs the query."""
    if connection.vendor != "postgresql":
        return list(AuthToken.objects.filter(token_key=key).select_related("user"))
    sql, token_columns, user_columns = _token_query()
    with connection.cursor() as cursor:
        cursor.execute(sql, [key])
        rows = cursor.fetchall()
    found = []
    for row in rows:
        auth_token = token_columns.instance(row)
        auth_token.user = user_columns.instance(row)
        found.append(auth_token)
    return found


@functools.cache
def _token_query() -> tuple[str, ModelColumns, ModelColumns]:
    quote = connection.ops.quote_name
    user_model = get_user_model()
    token_columns = ModelColumns.of(AuthToken, "t")
    user_columns = ModelColumns.of(user_model, "u", len(token_columns.names))
    sql = (
        f"SELECT {token_columns.select_list('t')}, {user_columns.select_list('u')} "
        f"FROM {quote(AuthToken._meta.db_table)} t "
        f"JOIN {quote(user_model._meta.db_table)} u "
        f"ON u.{quote(user_model._meta.pk.column)} = t.{quote(AuthToken._meta.get_field('user').column)} "
        f"WHERE t.{quote(AuthToken._meta.get_field('token_key').column)} = %s"
    )
    return sql, token_columns, user_columns


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
