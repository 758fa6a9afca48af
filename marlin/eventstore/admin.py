"""The log in the admin: readable, never writable (the database refuses changes anyway)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin

from marlin.eventstore.models import Event


@admin.register(Event)
class EventAdmin(admin.ModelAdmin):
    list_display = ["position", "type", "stream", "version", "recorded_at"]
    list_filter = ["type"]
    search_fields = ["stream", "=event_id"]
    ordering = ["-position"]
    readonly_fields = [field.name for field in Event._meta.fields]
    show_full_result_count = False

    def has_add_permission(self, request: Any) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False
