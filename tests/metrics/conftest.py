"""A week of the MASH, built through the real services at set times, whose indicators
tests/metrics/test_indicators.py works out by hand.

The week is Monday 5 to Sunday 11 October 2026 (British Summer Time, UTC+1). Every
contact is about a different child, so none is a re-referral (test_re_referrals.py has
its own). What happens to each contact, all times UK time:

A  Mon 09:00 police (6), police notification. Taken 09:30, rated red 10:00 (deadline
   13:00); police and health asked to check at 10:00 (due 12:00); police answer 11:00,
   health 13:00 (late); decided strategy discussion 13:30 (late); children's social
   care accepts 15:30.
B  Mon 10:00 school (2A), phone. Taken 10:15, rated red 10:30, re-graded amber 11:00
   (deadline Tue 10:00); no checks; decided early help 20:00; early help accepts Tue 10:00.
C  Tue 09:00 school (2A, "riverside primary school"), email. Taken 09:15, rated green
   09:30; closure proposed (no further action) 10:00, agreed by the manager 11:00.
I  Tue 14:00 GP (3A), portal. Taken 14:10, rated green 14:20; no checks; decided early
   help 16:00; early help returns it Wed 10:00; amended to no further action Thu 10:00.
D  Wed 12:00 GP (3A), portal. Taken 13:00, rated amber 13:30 (deadline Thu 12:00); police
   asked 13:30 (due 19:30) and not answered in the week. After the week (Tue 13 Oct)
   the check is waived and the contact decided: still open at the end of the period.
E  Thu 16:00 family member (1A) who typed her own name as the organisation, phone.
   Never taken: provisional amber deadline Fri 16:00.
G  Fri 09:00 school (2A), phone. Taken 09:30, rated amber 10:00; education asked 10:00 and
   waived 11:00; decided early help 12:00; amended to assessment (s17) 15:00, which
   withdraws the early help hand-on and hands on to children's social care (not
   answered).
F  Sat 20:00 police (6), police notification. Taken Sun 23:00, rated green Sun 23:30
   (deadline Tue 13 Oct 20:00): open, not yet due.

Outside the week: H1 received Sun 4 Oct 23:30 and taken by a second screener Mon 08:00
(open all week); H2 received Mon 12 Oct 00:30 (Sun 23:30 in UTC: after the week in UK
time).
"""

from collections.abc import Callable, Iterator
from datetime import date, datetime

import pytest

from openmash.accounts.models import Agency, User
from openmash.area.calendar import LONDON
from openmash.core.roles import Role
from openmash.metrics.facts import facts_rebuild
from openmash.metrics.filters import MetricFilter
from openmash.metrics.models import ContactFact
from tests.factories import Hub, Referrer, a_decision

WEEK_START = date(2026, 10, 5)
WEEK_END = date(2026, 10, 11)
# Long after the week: everything in the fixture has happened.
LATER = datetime(2026, 11, 20, 12, 0, tzinfo=LONDON)

REFERRERS = {
    "6": Referrer("PC Dan Reid", "Demo County Police", "police_notification"),
    "2A": Referrer("Jo Bennett", "Riverside Primary School", "phone"),
    "3A": Referrer("Dr Priya Shah", "Eastbridge Surgery", "portal"),
    "1A": Referrer("Karen Smith", "Karen Smith", "phone"),
}
# Every person's name in the fixture: none may appear on the dashboard.
CHILD_NAMES = {
    "A": ("Alfie", "Archer"),
    "B": ("Bella", "Brooks"),
    "C": ("Chloe", "Carter"),
    "I": ("Isaac", "Ingram"),
    "D": ("Daisy", "Dawson"),
    "E": ("Evie", "Ellis"),
    "G": ("George", "Gray"),
    "F": ("Freddie", "Fox"),
    "H1": ("Harry", "Hughes"),
    "H2": ("Hannah", "Hill"),
}


def at(day: int, hour: int, minute: int = 0, month: int = 10, year: int = 2026) -> datetime:
    """A moment in UK time, in October 2026 unless said otherwise."""
    return datetime(year, month, day, hour, minute, tzinfo=LONDON)


STRATEGY = a_decision("strategy_s47", "Eastbridge children's services", level=4)
EARLY_HELP = a_decision("early_help", "Eastbridge early help hub", level=2, need="N4")
ASSESSMENT = a_decision("assessment_s17", "Eastbridge children's services")
NFA = a_decision("nfa", level=1, need="N9")


@pytest.fixture
def hub(
    personas: dict[str, User], agencies: dict[str, Agency], make_user: Callable[..., User]
) -> Hub:
    users = {
        **personas,
        "second_screener": make_user("second_screener", Role.SCREENER),
        "health_researcher": make_user("health_researcher", Role.AGENCY_RESEARCHER, "health"),
        "education_researcher": make_user(
            "education_researcher", Role.AGENCY_RESEARCHER, "education"
        ),
    }
    return Hub(
        users=users,
        agencies=agencies,
        referrers=REFERRERS,
        child_names=CHILD_NAMES,
        first_born=date(2017, 1, 1),
    )


@pytest.fixture
def week(hub: Hub) -> Hub:
    """The week described at the top of this module."""
    hub.receive("H1", at(4, 23, 30), "6")
    hub.take("H1", at(5, 8), screener="second_screener")

    hub.receive("A", at(5, 9), "6")
    hub.take("A", at(5, 9, 30))
    hub.rate("A", "red", at(5, 10))
    hub.enquire("A", ["police", "health"], at(5, 10))
    hub.answer("A", "police", at(5, 11))

    hub.receive("B", at(5, 10), "2A")
    hub.take("B", at(5, 10, 15))
    hub.rate("B", "red", at(5, 10, 30))
    hub.rate("B", "amber", at(5, 11))
    hub.enquire("B", [], at(5, 11))

    hub.answer("A", "health", at(5, 13))
    hub.decide("A", STRATEGY, at(5, 13, 30))
    hub.accept("A", "childrens_social_care", at(5, 15, 30))
    hub.decide("B", EARLY_HELP, at(5, 20))

    hub.receive("C", at(6, 9), "2A", organisation="riverside primary school ", channel="email")
    hub.take("C", at(6, 9, 15))
    hub.rate("C", "green", at(6, 9, 30))
    hub.accept("B", "early_help", at(6, 10))
    hub.close_at_screening("C", proposed=at(6, 10), agreed=at(6, 11))

    hub.receive("I", at(6, 14), "3A")
    hub.take("I", at(6, 14, 10))
    hub.rate("I", "green", at(6, 14, 20))
    hub.enquire("I", [], at(6, 14, 20))
    hub.decide("I", a_decision("early_help", "Westford early help hub", level=2), at(6, 16))
    hub.send_back("I", at(7, 10))

    hub.receive("D", at(7, 12), "3A")
    hub.take("D", at(7, 13))
    hub.rate("D", "amber", at(7, 13, 30))
    hub.enquire("D", ["police"], at(7, 13, 30))

    hub.amend("I", NFA, at(8, 10))
    hub.receive("E", at(8, 16), "1A")

    hub.receive("G", at(9, 9), "2A")
    hub.take("G", at(9, 9, 30))
    hub.rate("G", "amber", at(9, 10))
    hub.enquire("G", ["education"], at(9, 10))
    hub.waive("G", "education", at(9, 11))
    hub.decide("G", EARLY_HELP, at(9, 12))
    hub.amend("G", ASSESSMENT, at(9, 15))

    hub.receive("F", at(10, 20), "6")
    hub.take("F", at(11, 23))
    hub.rate("F", "green", at(11, 23, 30))

    hub.receive("H2", at(12, 0, 30), "6")
    # After the week.
    hub.waive("D", "police", at(13, 9))
    hub.decide("D", ASSESSMENT, at(13, 10))
    return hub


@pytest.fixture
def the_week() -> MetricFilter:
    return MetricFilter(start=WEEK_START, end=WEEK_END, now=LATER)


@pytest.fixture(autouse=True)
def _facts_match_a_rebuild(request: pytest.FixtureRequest) -> Iterator[None]:
    """After every test here that used the database: the indicator facts the services
    wrote as the test went (openmash.metrics.models.ContactFact) are the rows a rebuild
    from the workflow's tables writes (ADR 0026), whatever the test did."""
    uses_database = "db" in request.fixturenames or bool(
        request.node.get_closest_marker("django_db")
    )
    yield
    if not uses_database:
        return
    written = list(ContactFact.objects.order_by("contact_id").values())
    facts_rebuild()
    assert list(ContactFact.objects.order_by("contact_id").values()) == written
