"""An outcome per child (ADR 0022): DecisionChild, and the children a hand-on concerns.

Every decision made before this had one outcome for the whole contact, so each child
named in the contact (the child it is about and any sibling) gets a row copying the
decision's level of need, outcome, primary need and receiving team; every hand-on
concerns every child named in its contact. Adults are never given an outcome."""

import django.db.models.deletion
from django.db import migrations, models

# The roles of openmash.contacts.codes.CHILD_ROLES, as they were when this was written.
CHILD_ROLES = ("subject_child", "sibling")
BATCH = 1000


def _children_by_contact(ContactPerson, contact_ids):
    children = {}
    for person_id, contact_id in (
        ContactPerson.objects.filter(contact_id__in=contact_ids, role__in=CHILD_ROLES)
        .order_by("contact_id", "position")
        .values_list("pk", "contact_id")
    ):
        children.setdefault(contact_id, []).append(person_id)
    return children


def backfill(apps, schema_editor):
    Decision = apps.get_model("enquiries", "Decision")
    DecisionChild = apps.get_model("enquiries", "DecisionChild")
    HandOn = apps.get_model("enquiries", "HandOn")
    ContactPerson = apps.get_model("contacts", "ContactPerson")
    Through = HandOn.children.through
    decisions = list(
        Decision.objects.order_by("pk").values_list(
            "pk", "contact_id", "level_of_need_id", "outcome_id", "primary_need", "receiving_team"
        )
    )
    for start in range(0, len(decisions), BATCH):
        batch = decisions[start : start + BATCH]
        children = _children_by_contact(ContactPerson, {row[1] for row in batch})
        DecisionChild.objects.bulk_create(
            DecisionChild(
                decision_id=pk,
                person_id=person_id,
                level_of_need_id=level_id,
                outcome_id=outcome_id,
                primary_need=primary_need,
                receiving_team=receiving_team,
            )
            for pk, contact_id, level_id, outcome_id, primary_need, receiving_team in batch
            for person_id in children.get(contact_id, [])
        )
    hand_ons = list(HandOn.objects.order_by("pk").values_list("pk", "contact_id"))
    for start in range(0, len(hand_ons), BATCH):
        batch = hand_ons[start : start + BATCH]
        children = _children_by_contact(ContactPerson, {row[1] for row in batch})
        Through.objects.bulk_create(
            Through(handon_id=pk, contactperson_id=person_id)
            for pk, contact_id in batch
            for person_id in children.get(contact_id, [])
        )


class Migration(migrations.Migration):

    dependencies = [
        ('area', '0007_urgent_first'),
        ('contacts', '0006_contact_additions'),
        ('enquiries', '0011_message_kinds'),
    ]

    operations = [
        migrations.AddField(
            model_name='handon',
            name='children',
            field=models.ManyToManyField(blank=True, related_name='hand_ons', to='contacts.contactperson'),
        ),
        migrations.CreateModel(
            name='DecisionChild',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('primary_need', models.CharField(choices=[('N1', 'N1 Abuse or neglect'), ('N2', "N2 Child's disability or illness"), ('N3', 'N3 Parental disability or illness'), ('N4', 'N4 Family in acute stress'), ('N5', 'N5 Family dysfunction'), ('N6', 'N6 Socially unacceptable behaviour'), ('N7', 'N7 Low income'), ('N8', 'N8 Absent parenting'), ('N9', 'N9 Cases other than children in need'), ('N0', 'N0 Not stated')], max_length=2)),
                ('receiving_team', models.CharField(blank=True, max_length=200)),
                ('decision', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='child_outcomes', to='enquiries.decision')),
                ('level_of_need', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='area.levelofneed')),
                ('outcome', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='area.outcome')),
                ('person', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='decision_outcomes', to='contacts.contactperson')),
            ],
            options={
                'ordering': ['decision_id', 'person__position'],
                'constraints': [models.UniqueConstraint(fields=('decision', 'person'), name='one_outcome_per_child_per_decision')],
            },
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]
