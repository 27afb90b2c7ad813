"""Once the facts of the contacts recorded before the facts existed, worked out by the
code of `manage.py rebuild_metric_facts` (ADR 0026). A later change added columns that
code writes, so the rebuild moved to the latest migration that needs it (0003): run here,
before those columns exist, it would fail on a database with contacts. A no-op kept so
the migration graph stays as deployed databases recorded it."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("metrics", "0001_initial"),
        ("contacts", "0006_contact_additions"),
        ("enquiries", "0012_outcome_per_child"),
        ("linkage", "0006_matcher_keys"),
        ("area", "0009_emergency_duty_team"),
    ]

    operations = [migrations.RunPython(migrations.RunPython.noop, migrations.RunPython.noop)]
