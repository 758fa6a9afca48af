from django.apps import AppConfig


class DashboardConfig(AppConfig):
    """Pages for people (the ops dashboard): a layer above the apps, which reads them all."""

    name = "dashboard"
    verbose_name = "Dashboard"

    def ready(self) -> None:
        from dashboard import projections  # noqa: F401 - registration
