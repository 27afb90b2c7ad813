"""What someone with direct database access could do to the audit log, for tests only."""

from collections.abc import Iterator
from contextlib import contextmanager
from importlib import import_module
from typing import Any

from django.db import connection


def _migration(name: str) -> Any:
    return import_module(f"openmash.core.migrations.{name}")


@contextmanager
def append_only_triggers_dropped() -> Iterator[None]:
    """Someone with database access disables the triggers that refuse changes; put back after."""
    tables = {
        "core_auditevent": ("core_auditevent_no_update", _migration("0002_audit_append_only")),
        "core_auditseal": ("core_auditseal_no_update", _migration("0003_audit_seal")),
    }
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Django's foreign keys are checked at commit; PostgreSQL will not alter a
            # table with checks pending, so make them now.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        for table, (trigger, _) in tables.items():
            if connection.vendor == "postgresql":
                cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER {trigger}")
            else:
                cursor.execute(f"DROP TRIGGER {trigger}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            for table, (trigger, migration) in tables.items():
                if connection.vendor == "postgresql":
                    cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
                    cursor.execute(f"ALTER TABLE {table} ENABLE TRIGGER {trigger}")
                else:
                    cursor.execute(migration.SQLITE_UP)
            if connection.vendor == "postgresql":
                cursor.execute("SET CONSTRAINTS ALL DEFERRED")


def tamper(sql: str, params: list[Any]) -> None:
    with append_only_triggers_dropped(), connection.cursor() as cursor:
        cursor.execute(sql, params)
