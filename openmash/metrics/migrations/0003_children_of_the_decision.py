"""How many children the latest decision gives an outcome, and whether any differs from
the decision's own, on each contact's facts; then the facts of every existing contact
worked out again by the code of `manage.py rebuild_metric_facts` (which 0002 did before
these columns existed; it is now a no-op). The rebuild has moved on to 0004, whose column
the code now writes: here it is a no-op."""

from typing import Any

from django.db import migrations, models


def facts_of_existing_contacts(apps: Any, schema_editor: Any) -> None:
    """Done by 0004 (the code's facts have a column this migration does not add)."""


class Migration(migrations.Migration):
    dependencies = [
        ("metrics", "0002_facts_of_existing_contacts"),
        ("contacts", "0006_contact_additions"),
        ("enquiries", "0013_hand_on_answered_index"),
        ("linkage", "0006_matcher_keys"),
        ("area", "0009_emergency_duty_team"),
    ]

    operations = [
        migrations.AddField(
            model_name="contactfact",
            name="children",
            field=models.PositiveIntegerField(default=0),
        ),
        migrations.AddField(
            model_name="contactfact",
            name="children_apart",
            field=models.BooleanField(default=False),
        ),
        migrations.RunPython(facts_of_existing_contacts, migrations.RunPython.noop, elidable=True),
    ]
