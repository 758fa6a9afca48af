"""``ReviewAssignmentView`` becomes ``ReviewAssignment``; the table is renamed in place, rows kept."""

from django.db import migrations

from marlin.renames import rename_permissions


class Migration(migrations.Migration):
    dependencies = [
        ("reviews", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.RenameModel("ReviewAssignmentView", "ReviewAssignment"),
        rename_permissions("reviews", "ReviewAssignmentView", "ReviewAssignment", "review assignment"),
    ]
