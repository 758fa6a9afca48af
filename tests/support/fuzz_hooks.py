"""Schemathesis hooks for the API fuzzing test (``SCHEMATHESIS_HOOKS``), run in its process.

- Every request carries a fresh knox token of the fuzzing person (``MARLIN_FUZZ_USER``), made in
  the test database (``DATABASE_URL``): the fuzzer calls ``POST auth/logout/`` too, which revokes
  the token it is sent with, and the run must go on signed in.
- A write aimed at the fuzzing person themselves (``PATCH people/{id}/``, a new invitation) is
  aimed at ``MARLIN_FUZZ_DECOY`` instead: deactivating or re-inviting the person the run signs in
  as would end it.
"""

from __future__ import annotations

import os
from typing import Any

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
django.setup()

import schemathesis  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from knox.models import AuthToken  # noqa: E402

FUZZ_USER = int(os.environ["MARLIN_FUZZ_USER"])
DECOY = int(os.environ["MARLIN_FUZZ_DECOY"])


@schemathesis.auth(refresh_interval=None)
class FreshToken:
    def get(self, case: Any, context: Any) -> str:
        _, token = AuthToken.objects.create(get_user_model().objects.get(pk=FUZZ_USER))
        return token

    def set(self, case: Any, data: str, context: Any) -> None:
        case.headers = {**(case.headers or {}), "Authorization": f"Token {data}"}


@schemathesis.hook
def before_call(context: Any, case: Any, kwargs: dict[str, Any]) -> None:
    parameters = case.path_parameters or {}
    if case.method.upper() != "GET" and str(parameters.get("person_id")) == str(FUZZ_USER):
        parameters["person_id"] = DECOY
