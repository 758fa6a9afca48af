"""``PeriodView`` (one row per closed pay period) becomes ``ClosedPeriod``; rows kept."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("payments", "0001_initial"),
    ]

    operations = [
        migrations.RenameModel("PeriodView", "ClosedPeriod"),
    ]
