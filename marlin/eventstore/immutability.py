"""SQL that makes the database itself refuse to change or remove events.

Installed by migration; on PostgreSQL UPDATE, DELETE and TRUNCATE fail, on SQLite UPDATE and DELETE
(SQLite has no TRUNCATE). The message names the rule so an operator knows why a statement failed.
"""

from __future__ import annotations

TABLE = "eventstore_event"
MESSAGE = "eventstore_event is append-only: events are never updated or deleted"

POSTGRESQL_INSTALL = [
    f"""
    CREATE OR REPLACE FUNCTION eventstore_refuse_change() RETURNS trigger AS $$
    BEGIN
        RAISE EXCEPTION '{MESSAGE}' USING ERRCODE = 'restrict_violation';
    END;
    $$ LANGUAGE plpgsql;
    """,
    f"""CREATE TRIGGER eventstore_event_no_update_delete BEFORE UPDATE OR DELETE ON {TABLE}
        FOR EACH ROW EXECUTE FUNCTION eventstore_refuse_change();""",
    f"""CREATE TRIGGER eventstore_event_no_truncate BEFORE TRUNCATE ON {TABLE}
        FOR EACH STATEMENT EXECUTE FUNCTION eventstore_refuse_change();""",
]
POSTGRESQL_REMOVE = [
    f"DROP TRIGGER IF EXISTS eventstore_event_no_truncate ON {TABLE};",
    f"DROP TRIGGER IF EXISTS eventstore_event_no_update_delete ON {TABLE};",
    "DROP FUNCTION IF EXISTS eventstore_refuse_change();",
]

SQLITE_INSTALL = [
    f"""CREATE TRIGGER IF NOT EXISTS eventstore_event_no_update BEFORE UPDATE ON {TABLE}
        BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END;""",
    f"""CREATE TRIGGER IF NOT EXISTS eventstore_event_no_delete BEFORE DELETE ON {TABLE}
        BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END;""",
]
SQLITE_REMOVE = [
    "DROP TRIGGER IF EXISTS eventstore_event_no_update;",
    "DROP TRIGGER IF EXISTS eventstore_event_no_delete;",
]


def install_sql(vendor: str) -> list[str]:
    return {"postgresql": POSTGRESQL_INSTALL, "sqlite": SQLITE_INSTALL}.get(vendor, [])


def remove_sql(vendor: str) -> list[str]:
    return {"postgresql": POSTGRESQL_REMOVE, "sqlite": SQLITE_REMOVE}.get(vendor, [])
