"""Making people for tests. Later issues create people through their commands."""

from __future__ import annotations

from itertools import count
from typing import Any

from django.contrib.auth import get_user_model
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

_serial = count(1)
PASSWORD = "correct-horse-battery"


def make_user(*roles: str, **fields: Any) -> Any:
    n = next(_serial)
    fields.setdefault("username", f"user{n}")
    fields.setdefault("email", f"user{n}@example.com")
    fields.setdefault("name", f"User {n}")
    return get_user_model().objects.create_user(password=PASSWORD, roles=list(roles), **fields)


def client_for(user: Any) -> APIClient:
    client = APIClient()
    token, _ = Token.objects.get_or_create(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client
