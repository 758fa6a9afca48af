"""Gold tasks (their gold answers), the projects' gold bar, contributors' gold tallies and suspensions."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("tasks", "0008_presentation_order"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="project",
            name="gold_min_accuracy",
            field=models.DecimalField(
                decimal_places=3, help_text="The gold bar; null: off.", max_digits=4, null=True
            ),
        ),
        migrations.AddField(
            model_name="project",
            name="gold_min_answers",
            field=models.PositiveSmallIntegerField(default=5),
        ),
        migrations.CreateModel(
            name="GoldTask",
            fields=[
                (
                    "task",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="gold",
                        serialize=False,
                        to="tasks.task",
                    ),
                ),
                ("preference", models.CharField(max_length=3)),
                ("explanation", models.TextField()),
                (
                    "project",
                    models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="tasks.project",
                    ),
                ),
            ],
        ),
        migrations.CreateModel(
            name="GoldTally",
            fields=[
                (
                    "id",
                    models.UUIDField(
                        help_text="Derived from the project and contributor.",
                        primary_key=True,
                        serialize=False,
                    ),
                ),
                ("answers", models.PositiveIntegerField(default=0)),
                ("correct", models.PositiveIntegerField(default=0)),
                ("window_answers", models.PositiveIntegerField(default=0)),
                ("window_correct", models.PositiveIntegerField(default=0)),
                (
                    "contributor",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "project",
                    models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="tasks.project",
                    ),
                ),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(
                        fields=("project", "contributor"), name="gold_tally_project_contributor"
                    )
                ],
            },
        ),
        migrations.CreateModel(
            name="Suspension",
            fields=[
                ("id", models.UUIDField(primary_key=True, serialize=False)),
                ("since", models.DateTimeField()),
                ("gold_answers", models.PositiveIntegerField()),
                ("gold_correct", models.PositiveIntegerField()),
                ("min_accuracy", models.DecimalField(decimal_places=3, max_digits=4)),
                ("min_answers", models.PositiveSmallIntegerField()),
                ("lifted_at", models.DateTimeField(null=True)),
                (
                    "contributor",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "lifted_by",
                    models.ForeignKey(
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "project",
                    models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="tasks.project",
                    ),
                ),
            ],
            options={
                "ordering": ["-since", "id"],
                "indexes": [models.Index(fields=["project", "since"], name="suspension_by_project")],
                "constraints": [
                    models.UniqueConstraint(
                        condition=models.Q(("lifted_at__isnull", True)),
                        fields=("project", "contributor"),
                        name="suspension_in_force",
                    )
                ],
            },
        ),
    ]
