"""Read tables of the reviews app (projections of the task streams' review events and of people)."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class ReviewAssignmentManager(models.Manager["ReviewAssignment"]):
    """Assignments without those of calibration plants: ops' lists, queue counts and the reports'
    ordinary figures leave them out; a reviewer's own reads and the commands use ``all_objects``."""

    def get_queryset(self) -> models.QuerySet[ReviewAssignment]:
        return super().get_queryset().filter(calibration=False)


class ReviewAssignment(models.Model):
    id = models.UUIDField(primary_key=True)
    task = models.ForeignKey("tasks.Task", on_delete=models.CASCADE, related_name="assignments")
    layer = models.PositiveSmallIntegerField()
    kind = models.CharField(max_length=10, default="review", help_text="review, or appeal.")
    calibration = models.BooleanField(default=False, help_text="The review of a calibration plant.")
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    submission_version = models.PositiveSmallIntegerField()
    status = models.CharField(max_length=16)
    assigned_at = models.DateTimeField()
    due_at = models.DateTimeField()
    decision = models.CharField(max_length=20, blank=True, default="")
    feedback = models.TextField(blank=True, default="")
    reasons = models.JSONField(default=list)
    decided_at = models.DateTimeField(null=True)
    ended_at = models.DateTimeField(null=True, help_text="Decided, expired, reassigned or cancelled.")

    all_objects = models.Manager()  # plants included
    objects = ReviewAssignmentManager()

    class Meta:
        default_manager_name = "objects"
        ordering = ["assigned_at", "id"]
        indexes = [
            models.Index(fields=["reviewer", "status"], name="review_by_reviewer"),
            models.Index(fields=["status", "due_at"], name="review_due"),
            models.Index(fields=["task", "layer"], name="review_by_task"),
        ]

    def __str__(self) -> str:
        return f"{self.task_id} L{self.layer} -> {self.reviewer_id} ({self.status})"


class ReviewReason(models.Model):
    """One reason code of one decision, so ops can count reasons in SQL."""

    pk = models.CompositePrimaryKey("assignment_id", "code")
    assignment = models.ForeignKey(ReviewAssignment, on_delete=models.CASCADE, related_name="reason_rows")
    code = models.CharField(max_length=40)

    def __str__(self) -> str:
        return self.code


class ReviewerLoad(models.Model):
    """How many pending reviews a person holds. Routing locks this row to respect capacity."""

    reviewer = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, primary_key=True, related_name="review_load"
    )
    pending = models.PositiveIntegerField(default=0)
    last_assigned_at = models.DateTimeField(null=True)

    def __str__(self) -> str:
        return f"{self.reviewer_id}: {self.pending}"


class AwaitingReview(models.Model):
    """A task in review whose current layer has no reviewer yet (the unassigned queue)."""

    task = models.OneToOneField("tasks.Task", on_delete=models.CASCADE, primary_key=True, related_name="+")
    layer = models.PositiveSmallIntegerField()
    waiting_since = models.DateTimeField()

    class Meta:
        ordering = ["waiting_since", "task_id"]
        indexes = [
            models.Index(fields=["waiting_since"], name="awaiting_oldest"),  # ops' oldest-waiting figures
            models.Index(fields=["-layer", "waiting_since", "task_id"], name="awaiting_routing_order"),
        ]

    def __str__(self) -> str:
        return f"{self.task_id} L{self.layer}"
