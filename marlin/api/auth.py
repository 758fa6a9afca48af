"""Signing in and out: API tokens, the lockout on every way in, and who counts as signed in.

- ``POST auth/token/`` exchanges a username and password for a token (``{token, expires_at}``).
  Tokens are django-rest-knox tokens: only a SHA-512 digest is stored, each expires after
  ``MARLIN_TOKEN_TTL_HOURS``, and ``POST auth/logout/`` revokes the one it is sent with.
- django-axes counts failed sign-ins (token, session login and admin login alike, since all go
  through ``django.contrib.auth.authenticate``) per username and per client address; a locked
  username or address answers 429 with ``Retry-After``, whether or not the password was right.
- Deactivated people (``active`` off) cannot sign in by any way, and their tokens stop working
  (``marlin.api.authentication``).
"""

from __future__ import annotations

from typing import Any

from axes.handlers.proxy import AxesProxyHandler
from django.conf import settings
from django.contrib.auth import authenticate, logout
from django.contrib.auth.signals import user_logged_in
from django.http import HttpRequest, JsonResponse
from drf_spectacular.utils import extend_schema, inline_serializer
from knox.models import AuthToken
from rest_framework import exceptions, serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from marlin.api.base import CommandApiView
from marlin.api.errors import error_body
from marlin.api.middleware import request_id_of
from marlin.api.serializers import StrictInput, validated
from marlin.api.throttling import AnonRateThrottle
from marlin.kernel.errors import InvalidInput


def retry_after_seconds() -> int:
    return int(settings.AXES_COOLOFF_TIME.total_seconds())


class SignInLocked(exceptions.Throttled):
    """429 ``sign_in_locked``: too many failed sign-ins for this username or address."""

    error_code = "sign_in_locked"

    def __init__(self) -> None:
        super().__init__(
            wait=retry_after_seconds(),
            detail="Too many failed sign-ins: this username or address is locked for a while.",
        )


def lockout_response(request: HttpRequest, original_response: Any = None, credentials: Any = None) -> Any:
    """What the session and admin logins answer when axes refuses a locked sign-in."""
    response = JsonResponse(
        error_body(
            429,
            SignInLocked.error_code,
            "Too many failed sign-ins: this username or address is locked for a while.",
            request_id=request_id_of(request),
        ),
        status=429,
    )
    response["Retry-After"] = str(retry_after_seconds())
    return response


def _locked(request: HttpRequest, username: str) -> bool:
    return not AxesProxyHandler.is_allowed(request, {"username": username})


# --- the endpoints ---------------------------------------------------------------------------------------


class TokenInput(StrictInput):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=128, trim_whitespace=False)


class TokenOutput(serializers.Serializer):
    token = serializers.CharField()
    expires_at = serializers.DateTimeField()


class TokenApi(APIView):
    """Exchange a username and password for a new API token, valid until ``expires_at``."""

    permission_classes = [AllowAny]
    authentication_classes: list = []
    throttle_classes = [AnonRateThrottle]

    @extend_schema(request=TokenInput, responses={200: TokenOutput})
    def post(self, request: Request) -> Response:
        data = validated(TokenInput, request.data)
        http_request = request._request
        if _locked(http_request, data["username"]):
            raise SignInLocked
        user = authenticate(http_request, username=data["username"], password=data["password"])
        if user is None:
            if _locked(http_request, data["username"]):
                raise SignInLocked
            raise InvalidInput(
                "Unable to sign in with these credentials.",
                fields={"non_field_errors": ["Unable to log in with provided credentials."]},
            )
        instance, token = AuthToken.objects.create(user)
        user_logged_in.send(sender=type(user), request=http_request, user=user)
        return Response({"token": token, "expires_at": instance.expiry})


class LogoutApi(CommandApiView):
    """Revoke the token this request is sent with (or end the browser session)."""

    @extend_schema(request=None, responses={204: inline_serializer("LoggedOut", {})})
    def post(self, request: Request) -> Response:
        if isinstance(request.auth, AuthToken):
            request.auth.delete()
        else:
            logout(request._request)
        return Response(status=204)
