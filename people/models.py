"""People: Django's user, with Marlin's profile fields.

Credentials (password hash, last login) are not events: a password hash has no place in an
immutable log. The profile fields (name, email, roles, level, skills, capacity, active) are a
projection of the person's event stream, written only by the people projector.

``active`` is about work: an inactive person gets no new claims or review assignments, but may
still sign in to read their history and earnings. ``is_active`` (Django's) controls sign-in.
"""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models


class User(AbstractUser):
    name = models.CharField(max_length=200, blank=True, default="")
    roles = models.JSONField(default=list, blank=True)
    reviewer_level = models.PositiveSmallIntegerField(default=1)
    skills = models.JSONField(default=list, blank=True)
    capacity = models.PositiveSmallIntegerField(default=5)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.username
