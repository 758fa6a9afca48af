from django.apps import AppConfig


class MarlinConfig(AppConfig):
    name = "marlin"
    verbose_name = "Marlin"
