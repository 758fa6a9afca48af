"""The append-only event log and its two companions.

``Event`` rows are never updated or deleted: the database refuses it (triggers installed by
migration 0002). ``PositionCounter`` is the single row whose lock orders all appends globally, so
positions are gapless and commit in order. ``RecordedCommand`` remembers command ids, so a command
retried with the same id records nothing new.
"""

from __future__ import annotations

from django.db import models

from marlin.fields import LargeJSONField


class Event(models.Model):
    position = models.BigIntegerField(primary_key=True, help_text="Global, gapless order.")
    event_id = models.UUIDField(unique=True)
    stream = models.CharField(max_length=120, help_text="Aggregate kind and id: task-<uuid>.")
    version = models.PositiveIntegerField(help_text="1, 2, ... within the stream.")
    type = models.CharField(max_length=80)
    schema_version = models.PositiveSmallIntegerField(default=1)
    data = LargeJSONField()
    metadata = models.JSONField(default=dict)
    recorded_at = models.DateTimeField()
    bucket = models.PositiveSmallIntegerField(
        help_text="Stable hash of the stream, so reactors can split work by stream."
    )
    hash = models.CharField(max_length=64, help_text="sha256 over content and previous hash.")

    class Meta:
        ordering = ["position"]
        constraints = [
            models.UniqueConstraint(fields=["stream", "version"], name="event_stream_version"),
        ]
        indexes = [
            models.Index(fields=["type", "position"], name="event_type_position"),
        ]

    def __str__(self) -> str:
        return f"#{self.position} {self.type} {self.stream}@{self.version}"


class PositionCounter(models.Model):
    """One row (id 1): the last position handed out and the hash of that event."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    position = models.BigIntegerField(default=0)
    last_hash = models.CharField(max_length=64, default="")

    def __str__(self) -> str:
        return f"position {self.position}"


class RecordedCommand(models.Model):
    """A command id that has appended events; the primary key refuses a second recording."""

    command_id = models.UUIDField(primary_key=True)
    first_position = models.BigIntegerField()

    def __str__(self) -> str:
        return str(self.command_id)


class ReactorCheckpoint(models.Model):
    """How far one reactor partition has handled the log.

    Updated in the same transaction as the reactor's effects, so an event is handled exactly once
    even when a worker dies mid-batch or two pumps run at once.
    """

    reactor = models.CharField(max_length=80)
    partition = models.PositiveSmallIntegerField(default=0)
    position = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["reactor", "partition"], name="checkpoint_reactor_partition"),
        ]

    def __str__(self) -> str:
        return f"{self.reactor}[{self.partition}] at {self.position}"
