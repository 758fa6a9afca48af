"""The read tables are named for what they hold (``Task``), not ``TaskView``, which read like a
Django view class. ``RenameModel`` renames the tables in place: every row is kept."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("tasks", "0002_task_reviewer"),
    ]

    operations = [
        migrations.RenameModel("ProjectView", "Project"),
        migrations.RenameModel("SubmissionView", "Submission"),
        migrations.RenameModel("TaskView", "Task"),
    ]
