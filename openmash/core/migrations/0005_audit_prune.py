"""Audit prunes (docs/adr/0025-retention-and-subject-access.md): the events of a sealed
range removed at the end of their retention period, the seal kept.

PostgreSQL: the audit events' trigger (migration 0002) now lets a DELETE through only for
an event inside a seal that has a prune row, which must be written first in the same
transaction; UPDATE is refused as before, and so is every other DELETE. Prunes are
append-only like the seals (UPDATE and DELETE refused on PostgreSQL, UPDATE on SQLite,
whose test flush empties tables with DELETE). SQLite's events were never protected from
DELETE by the database (the application refuses it), so nothing changes there for them.
"""

import django.db.models.deletion
from django.db import migrations, models

POSTGRES_UP = """
CREATE OR REPLACE FUNCTION core_auditevent_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' AND EXISTS (
        SELECT 1 FROM core_auditprune p JOIN core_auditseal s ON s.id = p.seal_id
        WHERE OLD.id BETWEEN s.first_event_id AND s.last_event_id
    ) THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION USING MESSAGE = 'The audit log is append-only: ' || TG_OP || ' refused';
END;
$$ LANGUAGE plpgsql;
CREATE OR REPLACE FUNCTION core_auditprune_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION USING MESSAGE = 'Audit prunes are append-only: ' || TG_OP || ' refused';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER core_auditprune_no_update BEFORE UPDATE OR DELETE ON core_auditprune
    FOR EACH ROW EXECUTE FUNCTION core_auditprune_append_only();
"""
POSTGRES_DOWN = """
DROP TRIGGER IF EXISTS core_auditprune_no_update ON core_auditprune;
DROP FUNCTION IF EXISTS core_auditprune_append_only();
CREATE OR REPLACE FUNCTION core_auditevent_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION USING MESSAGE = 'The audit log is append-only: ' || TG_OP || ' refused';
END;
$$ LANGUAGE plpgsql;
"""
SQLITE_UP = """
CREATE TRIGGER core_auditprune_no_update BEFORE UPDATE ON core_auditprune
BEGIN SELECT RAISE(ABORT, 'Audit prunes are append-only: UPDATE refused'); END;
"""
SQLITE_DOWN = "DROP TRIGGER IF EXISTS core_auditprune_no_update;"


def forwards(apps, schema_editor):
    sql = {"postgresql": POSTGRES_UP, "sqlite": SQLITE_UP}.get(schema_editor.connection.vendor)
    if sql:
        schema_editor.execute(sql)


def backwards(apps, schema_editor):
    sql = {"postgresql": POSTGRES_DOWN, "sqlite": SQLITE_DOWN}.get(schema_editor.connection.vendor)
    if sql:
        schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0004_heartbeat_and_refused_reads"),
    ]

    operations = [
        migrations.CreateModel(
            name="AuditPrune",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("pruned_at", models.DateTimeField()),
                ("event_count", models.PositiveIntegerField()),
                ("reason", models.CharField(max_length=200)),
                (
                    "seal",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="prune",
                        to="core.auditseal",
                    ),
                ),
            ],
            options={
                "ordering": ["seal_id"],
            },
        ),
        migrations.RunPython(forwards, backwards),
    ]
