"""``PeriodView`` (one row per closed pay period) becomes ``ClosedPeriod``; rows kept."""

from django.db import migrations

from marlin.renames import rename_permissions


class Migration(migrations.Migration):
    dependencies = [
        ("payments", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.RenameModel("PeriodView", "ClosedPeriod"),
        rename_permissions("payments", "PeriodView", "ClosedPeriod", "closed period"),
    ]
