from django.db import models


class PingTally(models.Model):
    """A projection for kernel tests: how many pings each name received, and when last."""

    name = models.CharField(max_length=50, primary_key=True)
    count = models.PositiveIntegerField(default=0)
    last_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.name}: {self.count}"
