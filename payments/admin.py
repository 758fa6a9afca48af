from django.contrib import admin

from marlin.admin import ReadOnlyAdmin
from payments.models import PayoutEntry, Statement


@admin.register(PayoutEntry)
class PayoutEntryAdmin(ReadOnlyAdmin):
    list_display = ["task", "contributor", "kind", "amount_cents", "currency", "period", "statement"]
    list_filter = ["kind", "period", "currency"]
    list_select_related = ["task", "contributor"]


@admin.register(Statement)
class StatementAdmin(ReadOnlyAdmin):
    list_display = [
        "period",
        "contributor",
        "currency",
        "total_cents",
        "lines",
        "issued_at",
        "paid_at",
        "reference",
    ]
    list_filter = ["period", "currency"]
    list_select_related = ["contributor"]
