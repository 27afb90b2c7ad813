"""Each agency check and hand-on keeps when its contact was received (indexed), so the
dashboard reads a period's checks and hand-ons, not every one ever made."""

from typing import Any

from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def copy_received_at(apps: Any, schema_editor: Any) -> None:
    Contact = apps.get_model("contacts", "Contact")
    received = Subquery(Contact.objects.filter(pk=OuterRef("contact_id")).values("received_at")[:1])
    for name in ("AgencyCheck", "HandOn"):
        apps.get_model("enquiries", name).objects.update(contact_received_at=received)


class Migration(migrations.Migration):
    dependencies = [
        ("contacts", "0006_contact_additions"),
        ("enquiries", "0014_check_agency_contact_index"),
    ]

    operations = [
        migrations.AddField(
            model_name="agencycheck",
            name="contact_received_at",
            field=models.DateTimeField(null=True),
        ),
        migrations.AddField(
            model_name="handon",
            name="contact_received_at",
            field=models.DateTimeField(null=True),
        ),
        migrations.RunPython(copy_received_at, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="agencycheck",
            name="contact_received_at",
            field=models.DateTimeField(),
        ),
        migrations.AlterField(
            model_name="handon",
            name="contact_received_at",
            field=models.DateTimeField(),
        ),
        migrations.AddIndex(
            model_name="agencycheck",
            index=models.Index(fields=["contact_received_at"], name="check_contact_received"),
        ),
        migrations.AddIndex(
            model_name="handon",
            index=models.Index(fields=["contact_received_at"], name="hand_on_contact_received"),
        ),
    ]
