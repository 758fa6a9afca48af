"""People in the admin: credentials (password, staff and superuser flags) are editable here;
the profile (roles, level, skills, capacity, active) is changed through ``PATCH people/{id}/``,
which records it in the log."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from people.models import User

PROFILE = ("name", "email", "roles", "reviewer_level", "skills", "capacity", "active")


@admin.register(User)
class PersonAdmin(UserAdmin):
    list_display = ["username", "name", "email", "roles", "reviewer_level", "capacity", "active"]
    list_filter = ["is_contributor", "is_reviewer", "is_ops", "is_finance", "active", "is_superuser"]
    search_fields = ["username", "name", "email"]
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        ("Profile (change it through the API: PATCH /api/v1/people/{id}/)", {"fields": PROFILE}),
        (
            "Sign-in and admin access",
            {"fields": ("is_active", "is_staff", "is_superuser", "last_login", "date_joined")},
        ),
    )
    readonly_fields = (*PROFILE, "username", "last_login", "date_joined")

    def has_add_permission(self, request: Any) -> bool:
        return False  # people are registered through the API, which records the registration
