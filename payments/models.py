"""Read tables of the payments app. Amounts are integer cents: sums are exact on every database.

``PayoutEntry`` is unique per (task, kind): the database itself refuses a second accrual or a
second reversal of one task, beside the ledger stream's versions. ``PeriodLock`` is not a
projection: it is the row an accrual (shared) and a period close (exclusive) lock, so no entry
can land in a period while it is being closed.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


class ClosedPeriod(models.Model):
    period = models.CharField(max_length=8, primary_key=True)
    closed_at = models.DateTimeField()
    statements = models.PositiveIntegerField()

    def __str__(self) -> str:
        return self.period


class Statement(models.Model):
    id = models.UUIDField(primary_key=True)
    period = models.CharField(max_length=8, db_index=True)
    contributor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    currency = models.CharField(max_length=3)
    total_cents = models.BigIntegerField()
    lines = models.PositiveIntegerField()
    issued_at = models.DateTimeField()
    paid_at = models.DateTimeField(null=True)
    reference = models.CharField(max_length=200, blank=True, default="")

    class Meta:
        ordering = ["period", "contributor_id", "currency"]
        constraints = [
            models.UniqueConstraint(
                fields=["period", "contributor", "currency"], name="statement_per_period"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.period} {self.contributor_id} {self.currency}"

    @property
    def status(self) -> str:
        return "paid" if self.paid_at else "issued"


class PayoutEntry(models.Model):
    id = models.UUIDField(primary_key=True)
    task = models.ForeignKey("tasks.Task", on_delete=models.PROTECT, related_name="payout_entries")
    contributor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=10)
    amount_cents = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    period = models.CharField(max_length=8)
    accrual = models.ForeignKey("self", on_delete=models.PROTECT, null=True, related_name="+")
    statement = models.ForeignKey(Statement, on_delete=models.PROTECT, null=True, related_name="entries")
    reason = models.CharField(max_length=2000, blank=True, default="")
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["task", "kind"], name="one_entry_per_task_and_kind"),
        ]
        indexes = [
            models.Index(fields=["period", "contributor", "currency"], name="entry_by_period"),
            models.Index(fields=["contributor", "period"], name="entry_by_contributor"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.task_id} {self.amount_cents}"


class PeriodLock(models.Model):
    period = models.CharField(max_length=8, primary_key=True)

    def __str__(self) -> str:
        return self.period
