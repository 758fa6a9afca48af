"""Test settings: Marlin's own, plus a small support app with a test reactor and projection."""

import os

os.environ.setdefault("SECRET_KEY", "marlin-tests-only")
os.environ.setdefault("MARLIN_FAST_PASSWORD_HASHING", "1")
os.environ.setdefault("MARLIN_THROTTLE_USER", "100000/minute")
os.environ.setdefault("MARLIN_THROTTLE_ANON", "100000/minute")

from marlin.settings import *  # noqa: F403
from marlin.settings import INSTALLED_APPS

INSTALLED_APPS = [*INSTALLED_APPS, "tests.support"]

# The PostgreSQL pass sends reactor wake-ups to a real Redis (TEST_BROKER_URL); workers are started
# by the tests that need them. Without it (the SQLite pass) reactions run in-process, as embedded.
CELERY_BROKER_URL = os.environ.get("TEST_BROKER_URL", "")

# A second alias on the same test database, standing in for a read replica.
DATABASES = {**DATABASES, "replica": {**DATABASES["default"], "TEST": {"MIRROR": "default"}}}  # noqa: F405
