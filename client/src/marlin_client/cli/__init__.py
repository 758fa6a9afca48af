"""The terminal client, ``marlin``."""
