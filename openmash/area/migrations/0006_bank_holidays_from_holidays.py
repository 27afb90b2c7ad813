"""Bank holidays come from the `holidays` package for every year, for the nation chosen in
the working hours (England and Wales, as before); the table that held them typed in by
hand keeps only the area's own closure days.

The rows that are England and Wales bank holidays (those 0002_defaults typed in for 2024
to 2028, and any an administrator added for later years) are deleted: the calendar now
closes the hub on them anyway. Every other row is a local closure day and stays."""

from datetime import date

import holidays
from django.db import migrations, models

# As openmash.area.calendar.SUBDIVISIONS, fixed here as the migration was written.
SUBDIVISIONS = {"england-and-wales": "ENG", "scotland": "SCT", "northern-ireland": "NIR"}
# The years 0002_defaults typed in, put back if the migration is reversed.
TYPED_YEARS = range(2024, 2029)


def _weekday_bank_holidays(nation: str, years: range | list[int]) -> dict[date, str]:
    # GOV.UK lists a substitute weekday, not the weekend day a holiday falls on.
    listed = holidays.UK(subdiv=SUBDIVISIONS[nation], years=years)
    return {
        day: name.replace("(observed)", "(substitute day)")
        for day, name in listed.items()
        if day.weekday() < 5
    }


def _nation(apps) -> str:
    hours = apps.get_model("area", "WorkingHours").objects.first()
    return hours.nation if hours is not None else "england-and-wales"


def delete_national_bank_holidays(apps, schema_editor):
    ClosureDay = apps.get_model("area", "ClosureDay")
    rows = list(ClosureDay.objects.values_list("pk", "day"))
    years = sorted({day.year for _, day in rows})
    national = _weekday_bank_holidays(_nation(apps), years)
    ClosureDay.objects.filter(pk__in=[pk for pk, day in rows if day in national]).delete()


def restore_typed_bank_holidays(apps, schema_editor):
    ClosureDay = apps.get_model("area", "ClosureDay")
    for day, name in sorted(_weekday_bank_holidays(_nation(apps), TYPED_YEARS).items()):
        ClosureDay.objects.get_or_create(day=day, defaults={"name": name})


class Migration(migrations.Migration):
    dependencies = [
        ("area", "0005_timescale_changes_apply_forward"),
    ]

    operations = [
        migrations.RenameModel(
            old_name="BankHoliday",
            new_name="ClosureDay",
        ),
        migrations.AlterModelOptions(
            name="closureday",
            options={"ordering": ["day"], "verbose_name": "local closure day"},
        ),
        migrations.AddField(
            model_name="workinghours",
            name="nation",
            field=models.CharField(
                choices=[
                    ("england-and-wales", "England and Wales"),
                    ("scotland", "Scotland"),
                    ("northern-ireland", "Northern Ireland"),
                ],
                default="england-and-wales",
                help_text="The hub is closed on this nation's bank holidays, as GOV.UK "
                "publishes them, every year, and on the area's local closure days.",
                max_length=20,
                verbose_name="bank holidays of",
            ),
        ),
        migrations.RunPython(delete_national_bank_holidays, restore_typed_bank_holidays),
    ]
