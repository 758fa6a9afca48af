from django.apps import AppConfig


class WorkbenchConfig(AppConfig):
    """Demo data and the workload simulation: a layer above the apps, which drives them all."""

    name = "workbench"
    verbose_name = "Workbench"
