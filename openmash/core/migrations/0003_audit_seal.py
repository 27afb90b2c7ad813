"""Audit seals (ADR 0009): hashes over ranges of audit events, chained.

Seals are append-only like the events (migration 0002's pattern): on PostgreSQL a
trigger rejects UPDATE and DELETE; on SQLite it rejects UPDATE (the test runner empties
tables with DELETE). No trigger refuses TRUNCATE: PostgreSQL's test flush uses it.
Verification records are ordinary rows (their state moves as a check runs).
"""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


POSTGRES_UP = """
CREATE OR REPLACE FUNCTION core_auditseal_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION USING MESSAGE = 'Audit seals are append-only: ' || TG_OP || ' refused';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER core_auditseal_no_update BEFORE UPDATE OR DELETE ON core_auditseal
    FOR EACH ROW EXECUTE FUNCTION core_auditseal_append_only();
"""
POSTGRES_DOWN = """
DROP TRIGGER IF EXISTS core_auditseal_no_update ON core_auditseal;
DROP FUNCTION IF EXISTS core_auditseal_append_only();
"""
SQLITE_UP = """
CREATE TRIGGER core_auditseal_no_update BEFORE UPDATE ON core_auditseal
BEGIN SELECT RAISE(ABORT, 'Audit seals are append-only: UPDATE refused'); END;
"""
SQLITE_DOWN = "DROP TRIGGER IF EXISTS core_auditseal_no_update;"


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
        ('core', '0002_audit_append_only'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='AuditSeal',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('first_event_id', models.BigIntegerField(unique=True)),
                ('last_event_id', models.BigIntegerField(unique=True)),
                ('event_count', models.PositiveIntegerField()),
                ('events_hash', models.CharField(max_length=64)),
                ('previous_hash', models.CharField(max_length=64, unique=True)),
                ('seal_hash', models.CharField(max_length=64, unique=True)),
                ('sealed_at', models.DateTimeField()),
            ],
            options={
                'ordering': ['first_event_id'],
                'constraints': [models.CheckConstraint(condition=models.Q(('last_event_id__gte', models.F('first_event_id'))), name='core_auditseal_range_in_order')],
            },
        ),
        migrations.CreateModel(
            name='AuditVerification',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('requested_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('expected_hash', models.CharField(blank=True, max_length=64)),
                ('state', models.CharField(choices=[('queued', 'Waiting to start'), ('running', 'Checking'), ('passed', 'Passed'), ('failed', 'Failed'), ('error', 'Could not finish')], default='queued', max_length=20)),
                ('started_at', models.DateTimeField(blank=True, null=True)),
                ('finished_at', models.DateTimeField(blank=True, null=True)),
                ('seals_checked', models.PositiveIntegerField(default=0)),
                ('events_checked', models.PositiveBigIntegerField(default=0)),
                ('latest_seal_hash', models.CharField(blank=True, max_length=64)),
                ('expected_hash_found', models.BooleanField(null=True)),
                ('problems', models.JSONField(default=list)),
                ('error', models.TextField(blank=True)),
                ('requested_by', models.ForeignKey(null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'ordering': ['-requested_at', '-id'],
            },
        ),
        migrations.RunPython(forwards, backwards),
    ]
