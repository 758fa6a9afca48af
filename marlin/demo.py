"""Demo data for ``seed_demo``: known users and passwords, so a new user can try every role."""

from __future__ import annotations

from collections.abc import Iterator

from django.contrib.auth import get_user_model

DEMO_PASSWORD = "marlin-demo-2026"
ADMIN_USERNAME = "admin"


def seed() -> Iterator[str]:
    yield from _seed_superuser()


def _seed_superuser() -> Iterator[str]:
    users = get_user_model()
    if users.objects.filter(username=ADMIN_USERNAME).exists():
        yield f"superuser {ADMIN_USERNAME!r} exists"
        return
    users.objects.create_superuser(
        username=ADMIN_USERNAME, email="admin@marlin.example", password=DEMO_PASSWORD, name="Demo Admin"
    )
    yield f"created superuser {ADMIN_USERNAME!r} (password {DEMO_PASSWORD!r})"
