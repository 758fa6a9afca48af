"""``ReviewAssignmentView`` becomes ``ReviewAssignment``; the table is renamed in place, rows kept."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("reviews", "0001_initial"),
        ("tasks", "0003_projection_names"),
    ]

    operations = [
        migrations.RenameModel("ReviewAssignmentView", "ReviewAssignment"),
    ]
