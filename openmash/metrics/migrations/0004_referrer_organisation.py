"""The referrer's organisation on each contact's facts; then the facts of every existing
contact worked out again by the code of `manage.py rebuild_metric_facts` (0003 did before
this column existed; it is now a no-op). A fresh database has no contacts, so the rebuild
does nothing there. It runs after the latest migrations of the apps whose tables it reads,
so the code's models match the tables; if a later change makes that untrue, replace the
rebuild here with a no-op and do it in the later migration instead."""

from typing import Any

from django.db import migrations, models


def facts_of_existing_contacts(apps: Any, schema_editor: Any) -> None:
    from openmash.metrics.facts import facts_rebuild

    facts_rebuild()


class Migration(migrations.Migration):
    dependencies = [
        ("metrics", "0003_children_of_the_decision"),
        ("contacts", "0006_contact_additions"),
        ("enquiries", "0016_open_at_indexes"),
        ("linkage", "0006_matcher_keys"),
        ("area", "0009_emergency_duty_team"),
    ]

    operations = [
        migrations.AddField(
            model_name="contactfact",
            name="referrer_organisation",
            field=models.CharField(blank=True, default="", max_length=200),
        ),
        migrations.RunPython(facts_of_existing_contacts, migrations.RunPython.noop, elidable=True),
    ]
