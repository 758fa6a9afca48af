"""The dashboard's own read model: how long work sits in each review layer, day by day.

The queues of today are read from the apps' projections; the trend of the last 30 days needs
what those keep no longer (a task's earlier layers, an unassigned wait that ended). This table
keeps it, projected from the log like every read table (``dashboard/projections.py``).
"""

from __future__ import annotations

from django.db import models


class LayerVisit(models.Model):
    """One stay of a task's submission in a review layer: from entering it (submitted or
    revised into it, or approved at the layer below) until a reviewer decided there, or the
    task was cancelled. ``left_at`` is null while the submission is still in the layer, assigned
    or waiting for a reviewer; ``outcome`` is the decision that ended the stay, or ``cancelled``.
    """

    pk = models.CompositePrimaryKey("task_id", "entered_version")
    task = models.ForeignKey("tasks.Task", on_delete=models.CASCADE, related_name="+")
    entered_version = models.PositiveIntegerField(
        help_text="The entering event's version in the task's stream."
    )
    layer = models.PositiveSmallIntegerField()
    entered_at = models.DateTimeField()
    left_at = models.DateTimeField(null=True)
    outcome = models.CharField(max_length=20, blank=True, default="")

    class Meta:
        ordering = ["task_id", "entered_version"]
        indexes = [
            models.Index(fields=["left_at"], name="layer_visit_left"),
            models.Index(fields=["task", "left_at"], name="layer_visit_open"),
        ]

    def __str__(self) -> str:
        return f"{self.task_id} L{self.layer} {self.outcome or 'open'}"
