"""October 2026 at the MASH, built through the real services at set times, with round
hourly costs and stage times, so test_costing.py can work every figure out by hand.

Rates from 1 January 2026 (any agency unless said): screener £30 an hour (£36 from
Wednesday 7 October, a pay award), MASH manager £60, police researcher £40, health
researcher £48. Screening 30 minutes (screener), RAG rating 10 (screener), police check
60 and health check 30 (researcher), decision 30 (manager), hand-on 20 (screener).

All times UK time:

D  Wed 30 Sep 10:00, taken 10:30, rated amber 11:00, police asked 11:00; police answer
   Thu 1 Oct 09:00; decided assessment (s17) 12:00, handed on to children's social care.
   Before the period: screening and rating. In it: the check, decision and hand-on.
A  Mon 5 Oct 09:00, taken 09:30, rated red 10:00, police and health asked 10:00; police
   answer 11:00, health 12:00; decided strategy discussion 13:00, handed on.
B  Tue 6 Oct 10:00, taken 10:15, rated red 10:30, re-graded amber 11:00, no checks;
   decided early help 20:00 (handed on); Thu 8 Oct 10:00 amended to assessment (s17),
   which withdraws early help's hand-on and hands on to children's social care.
C  Wed 7 Oct 09:00, taken 09:15, rated green 09:30; closure (no further action) proposed
   10:00 and agreed by the manager 11:00.
E  Fri 30 Oct 09:00, taken 09:30, rated amber 10:00, police asked 10:00; police answer
   Mon 2 Nov 09:00 (after the period).
F  Tue 20 Oct 14:00, taken by a police officer who screens (a screener at the police)
   15:00; nothing more.

Each contact is about a different child.
"""

from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from importlib import import_module

import pytest

from openmash.accounts.models import Agency, User
from openmash.area.calendar import LONDON
from openmash.core.roles import Role
from openmash.metrics.filters import MetricFilter
from openmash.value.models import StaffCost, StageTime
from tests.factories import Hub, a_decision

OCTOBER = MetricFilter(
    start=date(2026, 10, 1),
    end=date(2026, 10, 31),
    now=datetime(2026, 11, 20, 12, 0, tzinfo=LONDON),
)
LATER = datetime(2026, 11, 20, 12, 0, tzinfo=LONDON)
RATES_FROM = date(2026, 1, 1)
PAY_AWARD = date(2026, 10, 7)
CHILD_NAMES = {
    "D": ("Daisy", "Dawson"),
    "A": ("Alfie", "Archer"),
    "B": ("Bella", "Brooks"),
    "C": ("Chloe", "Carter"),
    "E": ("Evie", "Ellis"),
    "F": ("Freddie", "Fox"),
}


@pytest.fixture(autouse=True)
def value_defaults(request: pytest.FixtureRequest) -> None:
    """The default costs and times (migration value 0002), put back if a browser test
    on a transactional database emptied the tables before this test."""
    names = set(request.fixturenames)
    if not (request.node.get_closest_marker("django_db") or names & {"db", "transactional_db"}):
        return
    request.getfixturevalue("db")
    restore_value_defaults()


def restore_value_defaults() -> None:
    from django.apps import apps

    if not StaffCost.objects.exists() and not StageTime.objects.exists():
        import_module("openmash.value.migrations.0002_defaults").add_defaults(apps, None)


def at(day: int, hour: int, minute: int = 0, month: int = 10, year: int = 2026) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=LONDON)


@pytest.fixture
def round_rates(db: None, agencies: dict[str, Agency]) -> None:
    """Round figures in place of the defaults (see the module)."""
    StaffCost.objects.all().delete()
    StageTime.objects.all().delete()
    for role, agency_type, cost, start in [
        ("screener", "", "30", RATES_FROM),
        ("screener", "", "36", PAY_AWARD),
        ("mash_manager", "", "60", RATES_FROM),
        ("agency_researcher", "police", "40", RATES_FROM),
        ("agency_researcher", "health", "48", RATES_FROM),
    ]:
        StaffCost.objects.create(
            role=role, agency_type=agency_type, hourly_cost=Decimal(cost), effective_from=start
        )
    for stage, agency_type, role, minutes in [
        ("screening", "", "screener", "30"),
        ("rag_rating", "", "screener", "10"),
        ("agency_check", "police", "agency_researcher", "60"),
        ("agency_check", "health", "agency_researcher", "30"),
        ("decision", "", "mash_manager", "30"),
        ("hand_on", "", "screener", "20"),
    ]:
        StageTime.objects.create(
            stage=stage,
            agency_type=agency_type,
            role=role,
            minutes=Decimal(minutes),
            effective_from=RATES_FROM,
        )


@pytest.fixture
def hub(
    personas: dict[str, User], agencies: dict[str, Agency], make_user: Callable[..., User]
) -> Hub:
    users = {
        **personas,
        "health_researcher": make_user("health_researcher", Role.AGENCY_RESEARCHER, "health"),
        "police_screener": make_user("police_screener", Role.SCREENER, "police"),
    }
    return Hub(users=users, agencies=agencies, child_names=CHILD_NAMES)


STRATEGY = a_decision("strategy_s47", "Eastbridge children's services", level=4)
EARLY_HELP = a_decision("early_help", "Eastbridge early help hub", level=2)
ASSESSMENT = a_decision("assessment_s17", "Eastbridge children's services")


@pytest.fixture
def october(hub: Hub, round_rates: None) -> Hub:
    """The month described at the top of this module."""
    hub.receive("D", at(30, 10, month=9))
    hub.take("D", at(30, 10, 30, month=9))
    hub.rate("D", "amber", at(30, 11, month=9))
    hub.enquire("D", ["police"], at(30, 11, month=9))
    hub.answer("D", "police", at(1, 9))
    hub.decide("D", ASSESSMENT, at(1, 12))

    hub.receive("A", at(5, 9))
    hub.take("A", at(5, 9, 30))
    hub.rate("A", "red", at(5, 10))
    hub.enquire("A", ["police", "health"], at(5, 10))
    hub.answer("A", "police", at(5, 11))
    hub.answer("A", "health", at(5, 12))
    hub.decide("A", STRATEGY, at(5, 13))

    hub.receive("B", at(6, 10))
    hub.take("B", at(6, 10, 15))
    hub.rate("B", "red", at(6, 10, 30))
    hub.rate("B", "amber", at(6, 11))
    hub.enquire("B", [], at(6, 11))
    hub.decide("B", EARLY_HELP, at(6, 20))

    hub.receive("C", at(7, 9))
    hub.take("C", at(7, 9, 15))
    hub.rate("C", "green", at(7, 9, 30))
    hub.close_at_screening("C", proposed=at(7, 10), agreed=at(7, 11))

    hub.amend("B", ASSESSMENT, at(8, 10))

    hub.receive("F", at(20, 14))
    hub.take("F", at(20, 15), screener="police_screener")

    hub.receive("E", at(30, 9))
    hub.take("E", at(30, 9, 30))
    hub.rate("E", "amber", at(30, 10))
    hub.enquire("E", ["police"], at(30, 10))
    hub.answer("E", "police", at(2, 9, month=11))
    return hub
