from django.apps import AppConfig


class EventStoreConfig(AppConfig):
    name = "marlin.eventstore"
    label = "eventstore"
    verbose_name = "Event log"
    default_auto_field = "django.db.models.BigAutoField"
