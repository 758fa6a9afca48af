"""The decided review rounds a task's contributor reads (``TaskRound``), filled from the log."""

import django.db.models.deletion
from django.db import migrations, models


def replay_decisions(apps, schema_editor):
    """Fill the new projection by replaying ``ReviewDecided`` from the log, as the projector does:
    one row per decision, with the event's time and its version in the task's stream. Reads only
    the log, so the tasks app needs nothing of the reviews app (``verify_events`` checks it)."""
    events = apps.get_model("eventstore", "Event")
    task_rounds = apps.get_model("tasks", "TaskRound")
    history = (
        events.objects.filter(type="ReviewDecided")
        .order_by("position")
        .values_list("data", "version", "recorded_at")
    )
    batch = []
    for data, version, recorded_at in history.iterator(chunk_size=2000):
        batch.append(
            task_rounds(
                assignment_id=data["assignment_id"],
                task_id=data["task_id"],
                layer=data["layer"],
                decision=data["decision"],
                feedback=data["feedback"],
                reasons=list(data["reasons"]),
                decided_at=recorded_at,
                version=version,
            )
        )
        if len(batch) >= 2000:
            task_rounds.objects.bulk_create(batch)
            batch = []
    task_rounds.objects.bulk_create(batch)


class Migration(migrations.Migration):
    dependencies = [
        ("tasks", "0003_projection_names"),
        ("eventstore", "0002_immutability_and_counter"),
    ]

    operations = [
        migrations.CreateModel(
            name="TaskRound",
            fields=[
                ("assignment_id", models.UUIDField(primary_key=True, serialize=False)),
                ("layer", models.PositiveSmallIntegerField()),
                ("decision", models.CharField(max_length=20)),
                ("feedback", models.TextField(blank=True, default="")),
                ("reasons", models.JSONField(default=list)),
                ("decided_at", models.DateTimeField()),
                (
                    "version",
                    models.PositiveIntegerField(help_text="The decision's version in the task's stream."),
                ),
                (
                    "task",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, related_name="rounds", to="tasks.task"
                    ),
                ),
            ],
            options={
                "ordering": ["task_id", "version"],
                "indexes": [models.Index(fields=["task", "version"], name="task_round_by_task")],
            },
        ),
        migrations.RunPython(replay_decisions, migrations.RunPython.noop),
    ]
