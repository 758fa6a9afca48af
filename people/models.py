"""People: Django's user, with Marlin's profile fields.

Credentials (password hash, last login, superuser flag) are not events: a password hash has no
place in an immutable log. The profile fields (email, name, roles, level, skills, capacity,
active) are a projection of the person's event stream, written only by ``people.projections``.

``active`` is about work: an inactive person gets no new claims or review assignments, but may
still sign in to read their history and earnings. ``is_active`` (Django's) controls sign-in.
Roles are one boolean column each and skills one row each, so eligibility is a plain SQL filter
on PostgreSQL and SQLite alike; ``skills`` (JSON) repeats them in order for display.
"""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models

from marlin.kernel.roles import Role


class User(AbstractUser):
    name = models.CharField(max_length=200, blank=True, default="")
    is_contributor = models.BooleanField(default=False)
    is_reviewer = models.BooleanField(default=False)
    is_ops = models.BooleanField(default=False)
    is_finance = models.BooleanField(default=False)
    reviewer_level = models.PositiveSmallIntegerField(default=1)
    skills = models.JSONField(default=list, blank=True)
    capacity = models.PositiveSmallIntegerField(default=5)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.username

    @property
    def roles(self) -> list[str]:
        return [role.value for role in Role if getattr(self, ROLE_COLUMNS[role])]


ROLE_COLUMNS = {
    Role.CONTRIBUTOR: "is_contributor",
    Role.REVIEWER: "is_reviewer",
    Role.OPS: "is_ops",
    Role.FINANCE: "is_finance",
}


class PersonSkill(models.Model):
    """One skill of one person (projection), for eligibility queries. Keyed by its content, so a
    rebuild gives the same rows."""

    pk = models.CompositePrimaryKey("user_id", "skill")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="skill_rows")
    skill = models.CharField(max_length=40)

    class Meta:
        indexes = [models.Index(fields=["skill", "user"], name="person_skill_by_skill")]

    def __str__(self) -> str:
        return f"{self.user_id}:{self.skill}"
