from django.contrib import admin

from marlin.admin import ReadOnlyAdmin
from reviews.models import ReviewAssignment


@admin.register(ReviewAssignment)
class ReviewAssignmentAdmin(ReadOnlyAdmin):
    list_display = ["task", "layer", "reviewer", "status", "decision", "assigned_at", "due_at"]
    list_filter = ["status", "decision", "layer"]
    search_fields = ["=task__id", "task__external_id"]
    list_select_related = ["task", "reviewer"]
