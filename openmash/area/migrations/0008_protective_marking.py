from django.db import migrations, models


def create_default(apps, schema_editor):
    ProtectiveMarking = apps.get_model("area", "ProtectiveMarking")
    if not ProtectiveMarking.objects.exists():
        ProtectiveMarking.objects.create(marking="OFFICIAL-SENSITIVE")


class Migration(migrations.Migration):

    dependencies = [
        ("area", "0007_urgent_first"),
    ]

    operations = [
        migrations.CreateModel(
            name="ProtectiveMarking",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("marking", models.CharField(default="OFFICIAL-SENSITIVE", help_text="Printed at the top and bottom of every page, e.g. OFFICIAL-SENSITIVE.", max_length=60)),
            ],
            options={
                "verbose_name": "protective marking",
                "verbose_name_plural": "protective marking",
            },
        ),
        migrations.RunPython(create_default, migrations.RunPython.noop),
    ]
