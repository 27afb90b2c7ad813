"""Default hourly costs and staff times, so value for money shows figures from the first
day. Every one is an ASSUMPTION, not a measured figure: an area replaces them in Django
admin with its finance team's costs and its own time study (docs/value-for-money.md).

Hourly costs, from 1 April 2024: an assumed annual salary for the post, plus 30% for the
employer's National Insurance and pension contributions, over 1,650 working hours a year
(37 hours a week less leave, bank holidays and some sickness):

    hourly cost = salary x 1.30 / 1,650, to the penny.

They include those on-costs and exclude overheads (accommodation, IT, management,
training) and qualification costs. Staff time per stage is an estimate of the hands-on
time each recorded piece of work takes.
"""

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.db import migrations

EFFECTIVE_FROM = date(2024, 4, 1)
ON_COSTS = Decimal("1.30")
HOURS_A_YEAR = Decimal(1650)
COST_SOURCE = (
    "Assumption. {post}: salary £{salary:,} a year, x 1.30 for employer National "
    "Insurance and pension, / 1,650 working hours. Excludes overheads. Replace with your "
    "finance team's figure."
)
TIME_SOURCE = "Assumption: an estimate of the hands-on time; replace with your own time study."

# role, agency type ("" for any), assumed salary, the post
STAFF_COSTS = [
    ("screener", "", 42000, "MASH social worker who screens contacts"),
    ("mash_manager", "", 56000, "MASH team manager who decides"),
    ("agency_researcher", "police", 34000, "Police MASH researcher (police staff)"),
    ("agency_researcher", "health", 49000, "MASH safeguarding nurse (NHS band 7)"),
    ("agency_researcher", "education", 38000, "Education safeguarding officer"),
    ("agency_researcher", "probation", 37000, "Probation officer"),
    ("agency_researcher", "", 35000, "Researcher at any other agency"),
    ("early_help_coordinator", "", 35000, "Early help coordinator"),
]

# stage, agency type ("" for any), whose time, minutes
STAGE_TIMES = [
    ("screening", "", "screener", "30"),
    ("rag_rating", "", "screener", "10"),
    ("agency_check", "police", "agency_researcher", "45"),
    ("agency_check", "health", "agency_researcher", "40"),
    ("agency_check", "education", "agency_researcher", "30"),
    ("agency_check", "probation", "agency_researcher", "30"),
    ("agency_check", "early_help", "early_help_coordinator", "20"),
    ("agency_check", "", "agency_researcher", "30"),
    ("decision", "", "mash_manager", "30"),
    ("hand_on", "", "screener", "20"),
]


def hourly_cost(salary: int) -> Decimal:
    return (Decimal(salary) * ON_COSTS / HOURS_A_YEAR).quantize(
        Decimal("0.01"), rounding=ROUND_HALF_UP
    )


def add_defaults(apps, schema_editor):
    StaffCost = apps.get_model("value", "StaffCost")
    StageTime = apps.get_model("value", "StageTime")
    for role, agency_type, salary, post in STAFF_COSTS:
        StaffCost.objects.create(
            role=role,
            agency_type=agency_type,
            hourly_cost=hourly_cost(salary),
            includes_on_costs=True,
            effective_from=EFFECTIVE_FROM,
            source=COST_SOURCE.format(salary=salary, post=post),
        )
    for stage, agency_type, role, minutes in STAGE_TIMES:
        StageTime.objects.create(
            stage=stage,
            agency_type=agency_type,
            role=role,
            minutes=Decimal(minutes),
            effective_from=EFFECTIVE_FROM,
            source=TIME_SOURCE,
        )


def remove_defaults(apps, schema_editor):
    apps.get_model("value", "StaffCost").objects.filter(effective_from=EFFECTIVE_FROM).delete()
    apps.get_model("value", "StageTime").objects.filter(effective_from=EFFECTIVE_FROM).delete()


class Migration(migrations.Migration):
    dependencies = [("value", "0001_initial")]

    operations = [migrations.RunPython(add_defaults, remove_defaults)]
