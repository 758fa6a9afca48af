"""Overlap: the projects' ``overlap`` and each task's ``item``, shared by the siblings imported from
one item. A task imported before overlap existed is its own item."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("tasks", "0009_gold_tasks_and_suspensions"),
    ]

    operations = [
        migrations.AddField(
            model_name="project",
            name="overlap",
            field=models.PositiveSmallIntegerField(
                default=1,
                help_text="Sibling tasks made of each item imported from now on, one per contributor.",
            ),
        ),
        migrations.AlterField(
            model_name="task",
            name="external_id",
            field=models.CharField(max_length=210),
        ),
        migrations.AddField(
            model_name="task",
            name="item",
            field=models.CharField(
                default="",
                help_text="The imported item's external id, shared by its sibling tasks (overlap).",
                max_length=200,
            ),
            preserve_default=False,
        ),
        # What the projection writes for an event without an item (rebuild gives the same).
        migrations.RunSQL("UPDATE tasks_task SET item = external_id", migrations.RunSQL.noop),
        migrations.AddIndex(
            model_name="task",
            index=models.Index(
                condition=models.Q(("contributor__isnull", False)),
                fields=["contributor", "project", "item"],
                name="task_item_by_contributor",
            ),
        ),
    ]
