"""Test-only: suspend the event table's triggers (to flush a test database, or to tamper)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from marlin.eventstore.immutability import install_sql, remove_sql


@contextmanager
def triggers_suspended(connection: Any) -> Iterator[None]:
    vendor = connection.vendor
    with connection.cursor() as cursor:
        if vendor == "postgresql":
            cursor.execute("SET session_replication_role = replica")
        else:
            for statement in remove_sql(vendor):
                cursor.execute(statement)
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            if vendor == "postgresql":
                cursor.execute("SET session_replication_role = DEFAULT")
            else:
                for statement in install_sql(vendor):
                    cursor.execute(statement)
