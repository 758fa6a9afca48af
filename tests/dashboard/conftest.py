"""The page tests share one real browser fixture (``tests/support/browser.py``)."""

from tests.support.browser import browser  # noqa: F401  (a fixture, used by name)
