"""The read tables are named for what they hold (``Task``), not ``TaskView``, which read like a
Django view class. ``RenameModel`` renames the tables in place: every row is kept."""

from django.db import migrations

from marlin.renames import rename_permissions


class Migration(migrations.Migration):
    dependencies = [
        ("tasks", "0002_task_reviewer"),
        # Their foreign keys name ``tasks.taskview``: they must be in the state before this rename,
        # which then points them at ``tasks.task`` (a later migration may otherwise see them
        # dangle); and their own renames first, so the state names their tables as the database
        # does when this one is undone (SQLite rebuilds the tables that point here).
        ("reviews", "0002_projection_names"),
        ("payments", "0002_projection_names"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.RenameModel("ProjectView", "Project"),
        migrations.RenameModel("SubmissionView", "Submission"),
        migrations.RenameModel("TaskView", "Task"),
        rename_permissions("tasks", "ProjectView", "Project", "project"),
        rename_permissions("tasks", "SubmissionView", "Submission", "submission"),
        rename_permissions("tasks", "TaskView", "Task", "task"),
    ]
