"""The facts of the contacts recorded before the facts existed, worked out by the same
code as `manage.py rebuild_metric_facts` (ADR 0026). A fresh database has no contacts,
so this does nothing there. It runs after the latest migrations of the apps whose tables
it reads, so the code's models match the tables; if a later change makes that untrue,
replace this with a no-op and run `rebuild_metric_facts` after migrating instead."""

from typing import Any

from django.db import migrations


def facts_of_existing_contacts(apps: Any, schema_editor: Any) -> None:
    from openmash.metrics.facts import facts_rebuild

    facts_rebuild()


class Migration(migrations.Migration):
    dependencies = [
        ("metrics", "0001_initial"),
        ("contacts", "0006_contact_additions"),
        ("enquiries", "0012_outcome_per_child"),
        ("linkage", "0006_matcher_keys"),
        ("area", "0009_emergency_duty_team"),
    ]

    operations = [
        migrations.RunPython(facts_of_existing_contacts, migrations.RunPython.noop, elidable=True)
    ]
