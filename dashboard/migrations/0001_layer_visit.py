"""The dashboard's review-flow projection (``LayerVisit``), filled by replaying the log."""

import django.db.models.deletion
from django.db import migrations, models

ENTERING = ("JudgmentSubmitted", "TaskEnteredLayer")
LEAVING = ("ReviewDecided", "TaskCancelled")


def replay_layer_visits(apps, schema_editor):
    """As the projector does: a stay opens on entering a layer, closes on a decision there or
    on cancellation. Only the log is read; closed stays are written in batches."""
    events = apps.get_model("eventstore", "Event")
    layer_visit = apps.get_model("dashboard", "LayerVisit")
    history = (
        events.objects.filter(type__in=ENTERING + LEAVING)
        .order_by("position")
        .values_list("type", "data", "version", "recorded_at")
    )
    open_stays, closed = {}, []
    for type_name, data, version, recorded_at in history.iterator(chunk_size=2000):
        task_id = data["task_id"]
        if type_name in ENTERING:
            open_stays[task_id] = layer_visit(
                task_id=task_id, entered_version=version, layer=data["layer"], entered_at=recorded_at
            )
            continue
        stay = open_stays.pop(task_id, None)
        if stay is None:
            continue
        stay.left_at = recorded_at
        stay.outcome = data["decision"] if type_name == "ReviewDecided" else "cancelled"
        closed.append(stay)
        if len(closed) >= 2000:
            layer_visit.objects.bulk_create(closed)
            closed = []
    layer_visit.objects.bulk_create(closed + list(open_stays.values()))


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("tasks", "0004_task_round"),
        ("eventstore", "0002_immutability_and_counter"),
    ]

    operations = [
        migrations.CreateModel(
            name="LayerVisit",
            fields=[
                (
                    "pk",
                    models.CompositePrimaryKey(
                        "task_id",
                        "entered_version",
                        blank=True,
                        editable=False,
                        primary_key=True,
                        serialize=False,
                    ),
                ),
                (
                    "entered_version",
                    models.PositiveIntegerField(
                        help_text="The entering event's version in the task's stream."
                    ),
                ),
                ("layer", models.PositiveSmallIntegerField()),
                ("entered_at", models.DateTimeField()),
                ("left_at", models.DateTimeField(null=True)),
                ("outcome", models.CharField(blank=True, default="", max_length=20)),
                (
                    "task",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, related_name="+", to="tasks.task"
                    ),
                ),
            ],
            options={
                "ordering": ["task_id", "entered_version"],
                "indexes": [
                    models.Index(fields=["left_at"], name="layer_visit_left"),
                    models.Index(fields=["task", "left_at"], name="layer_visit_open"),
                ],
            },
        ),
        migrations.RunPython(replay_layer_visits, migrations.RunPython.noop),
    ]
