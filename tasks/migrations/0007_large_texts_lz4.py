"""Tasks' prompts, contexts and answers are compressed with lz4 on PostgreSQL (see
``marlin.fields.set_large_column_compression``)."""

from django.db import migrations

from marlin.fields import set_large_column_compression


def lz4(apps, schema_editor):
    set_large_column_compression(schema_editor, apps.get_model("tasks", "Task"), method="lz4")


def pglz(apps, schema_editor):
    set_large_column_compression(schema_editor, apps.get_model("tasks", "Task"), method="pglz")


class Migration(migrations.Migration):
    dependencies = [("tasks", "0006_lean_task_indexes")]
    operations = [migrations.RunPython(lz4, pglz)]
