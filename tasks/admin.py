from django.contrib import admin

from marlin.admin import ReadOnlyAdmin
from tasks.models import Project, Task


@admin.register(Project)
class ProjectAdmin(ReadOnlyAdmin):
    list_display = ["name", "status", "rate", "currency", "review_layers", "updated_at"]
    list_filter = ["status"]
    search_fields = ["name"]


@admin.register(Task)
class TaskAdmin(ReadOnlyAdmin):
    list_display = ["external_id", "project", "status", "layer", "contributor", "priority", "updated_at"]
    list_filter = ["status", "project"]
    search_fields = ["external_id", "=id"]
    list_select_related = ["project", "contributor"]
