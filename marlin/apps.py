from django.apps import AppConfig


class MarlinConfig(AppConfig):
    name = "marlin"
    verbose_name = "Marlin"

    def ready(self) -> None:
        from marlin import idle_connections
        from marlin.api import schema  # noqa: F401 - registers the OpenAPI extensions

        idle_connections.connect()
