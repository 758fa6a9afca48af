"""The database itself refuses UPDATE, DELETE (and TRUNCATE on PostgreSQL) on events; the position
counter's single row is created here."""

from django.db import migrations

from marlin.eventstore.immutability import install_sql, remove_sql


def install(apps, schema_editor):
    for statement in install_sql(schema_editor.connection.vendor):
        schema_editor.execute(statement)
    counter = apps.get_model("eventstore", "PositionCounter")
    counter.objects.using(schema_editor.connection.alias).get_or_create(pk=1)


def remove(apps, schema_editor):
    for statement in remove_sql(schema_editor.connection.vendor):
        schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("eventstore", "0001_initial")]
    operations = [migrations.RunPython(install, remove)]
