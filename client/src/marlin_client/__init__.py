"""Marlin's Python client (``MarlinClient``) and terminal client (``marlin``)."""

from marlin_client.client import MarlinClient
from marlin_client.config import Config, load_config, save_config
from marlin_client.errors import ApiError, ConnectionFailed, MarlinError, NotSignedIn
from marlin_client.retry import RetryPolicy

__all__ = [
    "ApiError",
    "Config",
    "ConnectionFailed",
    "MarlinClient",
    "MarlinError",
    "NotSignedIn",
    "RetryPolicy",
    "load_config",
    "save_config",
]
