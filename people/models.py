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


class Invitation(models.Model):
    """A one-time invitation to set one's password. Credentials, not a projection: only the
    SHA-256 digest of its token is kept (the token itself is shown once, to whoever invited),
    and it is not rebuilt from the log (the log records ``PersonInvited`` without the token)."""

    digest = models.CharField(max_length=64, unique=True)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="invitations")
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True)
    revoked_at = models.DateTimeField(null=True)

    class Meta:
        indexes = [models.Index(fields=["user", "used_at"], name="invitation_by_user")]

    def __str__(self) -> str:
        return f"invitation of {self.user_id} until {self.expires_at:%Y-%m-%d %H:%M}"
