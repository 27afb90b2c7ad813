"""The defaults from MASH-DOMAIN.md: RAG timescales, working hours, England and Wales
bank holidays 2024 to 2028 (from GOV.UK), levels of need and outcomes. Areas change them
in Django admin. (0006 leaves bank holidays to the `holidays` package and deletes these
rows.)"""

from datetime import date, time
from decimal import Decimal

from django.db import migrations

RAG_LEVELS = [
    # code, label, colour, order, decision hours, check hours, default agency types, unrated
    ("red", "Red", "red", 1, "4", "2", ["police", "health", "education", "probation"], False),
    ("amber", "Amber", "orange", 2, "24", "6", ["police", "health", "education"], True),
    ("green", "Green", "green", 3, "72", "24", ["health", "education"], False),
]

BANK_HOLIDAYS = [
    ("2024-01-01", "New Year's Day"),
    ("2024-03-29", "Good Friday"),
    ("2024-04-01", "Easter Monday"),
    ("2024-05-06", "Early May bank holiday"),
    ("2024-05-27", "Spring bank holiday"),
    ("2024-08-26", "Summer bank holiday"),
    ("2024-12-25", "Christmas Day"),
    ("2024-12-26", "Boxing Day"),
    ("2025-01-01", "New Year's Day"),
    ("2025-04-18", "Good Friday"),
    ("2025-04-21", "Easter Monday"),
    ("2025-05-05", "Early May bank holiday"),
    ("2025-05-26", "Spring bank holiday"),
    ("2025-08-25", "Summer bank holiday"),
    ("2025-12-25", "Christmas Day"),
    ("2025-12-26", "Boxing Day"),
    ("2026-01-01", "New Year's Day"),
    ("2026-04-03", "Good Friday"),
    ("2026-04-06", "Easter Monday"),
    ("2026-05-04", "Early May bank holiday"),
    ("2026-05-25", "Spring bank holiday"),
    ("2026-08-31", "Summer bank holiday"),
    ("2026-12-25", "Christmas Day"),
    ("2026-12-28", "Boxing Day (substitute day)"),
    ("2027-01-01", "New Year's Day"),
    ("2027-03-26", "Good Friday"),
    ("2027-03-29", "Easter Monday"),
    ("2027-05-03", "Early May bank holiday"),
    ("2027-05-31", "Spring bank holiday"),
    ("2027-08-30", "Summer bank holiday"),
    ("2027-12-27", "Christmas Day (substitute day)"),
    ("2027-12-28", "Boxing Day (substitute day)"),
    ("2028-01-03", "New Year's Day (substitute day)"),
    ("2028-04-14", "Good Friday"),
    ("2028-04-17", "Easter Monday"),
    ("2028-05-01", "Early May bank holiday"),
    ("2028-05-29", "Spring bank holiday"),
    ("2028-08-28", "Summer bank holiday"),
    ("2028-12-25", "Christmas Day"),
    ("2028-12-26", "Boxing Day"),
]

LEVELS_OF_NEED = [
    (1, "Universal", "Needs met by universal services: schools, GPs, health visitors."),
    (2, "Additional needs (early help)", "Needs met by a targeted early help offer."),
    (3, "Complex needs", "Child in need: a children's social care assessment (section 17)."),
    (4, "Acute (child protection)", "Significant harm suspected: strategy discussion, s47."),
]

OUTCOMES = [
    # code, label, order, hand on to, closes at screening, next steps for the referrer
    ("nfa", "No further action", 1, "", True,
     "The MASH will take no further action. Please contact us again if anything changes."),
    ("information_advice", "Information and advice, or signposting to universal services", 2,
     "", True,
     "The MASH has given information and advice. Universal services can support the family."),
    ("early_help", "Step down to early help", 3, "early_help", False,
     "The early help team will contact the family to offer support."),
    ("assessment_s17", "Children's social care assessment (section 17)", 4,
     "childrens_social_care", False,
     "A social worker will assess the child's needs. They may contact you for information."),
    ("strategy_s47", "Strategy discussion and section 47 enquiry", 5,
     "childrens_social_care", False,
     "A strategy discussion will be held. A social worker may contact you for information."),
    ("police_action", "Police action", 6, "police", False,
     "The police will take the action they need to."),
    ("transfer_la", "Transfer to another local authority", 7, "another_la", False,
     "The child lives in another area; their local authority has been sent the contact."),
    ("already_open", "Already open: passed to the allocated worker", 8, "allocated_worker",
     False, "The child already has a social worker, who has been given this information."),
]


def add_defaults(apps, schema_editor):
    RagLevel = apps.get_model("area", "RagLevel")
    WorkingHours = apps.get_model("area", "WorkingHours")
    LevelOfNeed = apps.get_model("area", "LevelOfNeed")
    Outcome = apps.get_model("area", "Outcome")
    for code, label, colour, order, decision, check, agencies, unrated in RAG_LEVELS:
        RagLevel.objects.update_or_create(
            code=code,
            defaults={
                "label": label,
                "colour": colour,
                "order": order,
                "decision_hours": Decimal(decision),
                "decision_counting": "clock",
                "check_hours": Decimal(check),
                "check_counting": "clock",
                "default_check_agency_types": agencies,
                "default_for_unrated": unrated,
            },
        )
    if not WorkingHours.objects.exists():
        WorkingHours.objects.create(opens=time(9, 0), closes=time(17, 0))
    for number, label, description in LEVELS_OF_NEED:
        LevelOfNeed.objects.get_or_create(
            number=number, defaults={"label": label, "description": description}
        )
    for code, label, order, hand_on_to, closes, next_steps in OUTCOMES:
        Outcome.objects.get_or_create(
            code=code,
            defaults={
                "label": label,
                "order": order,
                "hand_on_to": hand_on_to,
                "closes_at_screening": closes,
                "next_steps": next_steps,
            },
        )


def add_typed_bank_holidays(apps, schema_editor):
    # Apart from the other defaults so that tests/conftest.py, which puts the defaults
    # back after a test empties the tables, does not put back what 0006 deletes.
    BankHoliday = apps.get_model("area", "BankHoliday")
    for day, name in BANK_HOLIDAYS:
        BankHoliday.objects.get_or_create(day=date.fromisoformat(day), defaults={"name": name})


class Migration(migrations.Migration):
    dependencies = [("area", "0001_initial")]

    operations = [
        migrations.RunPython(add_defaults, migrations.RunPython.noop),
        migrations.RunPython(add_typed_bank_holidays, migrations.RunPython.noop),
    ]
