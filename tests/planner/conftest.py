"""A recorded week of the MASH, built through the real services at set times, that the
calibration tests estimate from by hand; and small scenarios that simulate quickly.

The week is Monday 2 to Sunday 8 March 2026 (GMT). One screener, one manager, one police
researcher and one health researcher do all the work. All times UK time:

A  Mon 09:10 arrives. Taken 09:20, rated red 09:40 (deadline 13:10), enquiry 09:50 asking
   police and health; police answer 10:50, health 11:20; decided 13:40 (late).
B  Mon 09:40 arrives. Taken 09:45, rated amber 09:55, enquiry 10:00 asking police and
   health; health waived 10:30; police answer 11:10; decided 12:00.
C  Mon 14:05 arrives. Taken 14:10, rated amber 14:30, enquiry 14:50 asking police;
   police answer 15:35; decided 16:35.
D  Tue 10:00 arrives. Taken 10:30, rated green 10:45, enquiry 10:50 asking health;
   health answer 12:00; decided 12:15.
E  Wed 02:30 arrives (at night). Taken 09:00, rated amber 09:20, closure proposed 09:30,
   agreed by the manager 10:00.
F  Sat 11:00 arrives. Never taken: unrated.

So, worked out by hand (each task from the later of its being ready and the same person
finishing their previous one, to its being recorded):
- screening (taken to enquiry, or to the closure proposal): 30, 10, 40, 20, 30 minutes;
- police checks: 60, 20 (waited behind A until 10:50), 45 minutes;
- health checks: 90, 70 minutes;
- decisions (ready when the last check was answered or waived, or the proposal made):
  B 50 (11:10 to 12:00), A 100 (12:00 to 13:40), C 60, D 15, E 30 minutes.
"""

from collections.abc import Callable
from datetime import date, datetime
from typing import Any

import pytest

from openmash.accounts.models import Agency, User
from openmash.area.calendar import LONDON
from openmash.capacity.scenario import (
    Arrivals,
    Fixed,
    LogNormal,
    Rating,
    Rota,
    Scenario,
    StaffGroup,
)
from openmash.core.roles import Role
from tests.factories import Hub, a_decision

WEEK_START = date(2026, 3, 2)
WEEK_END = date(2026, 3, 8)
TODAY = date(2026, 3, 20)
LATER = datetime(2026, 3, 20, 12, 0, tzinfo=LONDON)


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """A moment in UK time in March 2026."""
    return datetime(2026, 3, day, hour, minute, tzinfo=LONDON)


# Every contact decided in the week goes to early help.
EARLY_HELP = a_decision(
    "early_help",
    "Early help hub",
    level=2,
    need="N4",
    rationale="Needs met by a family support worker.",
)


@pytest.fixture
def hub(
    personas: dict[str, User], agencies: dict[str, Agency], make_user: Callable[..., User]
) -> Hub:
    users = {
        **personas,
        "health_researcher": make_user("health_researcher", Role.AGENCY_RESEARCHER, "health"),
    }
    return Hub(users=users, agencies=agencies)


@pytest.fixture
def week(hub: Hub) -> Hub:
    """The week described at the top of this module."""
    hub.receive("A", at(2, 9, 10))
    hub.take("A", at(2, 9, 20))
    hub.rate("A", "red", at(2, 9, 40))
    hub.receive("B", at(2, 9, 40))
    hub.take("B", at(2, 9, 45))
    hub.enquire("A", ["police", "health"], at(2, 9, 50))
    hub.rate("B", "amber", at(2, 9, 55))
    hub.enquire("B", ["police", "health"], at(2, 10))
    hub.waive("B", "health", at(2, 10, 30))
    hub.answer("A", "police", at(2, 10, 50))
    hub.answer("B", "police", at(2, 11, 10))
    hub.answer("A", "health", at(2, 11, 20))
    hub.decide("B", EARLY_HELP, at(2, 12))
    hub.decide("A", EARLY_HELP, at(2, 13, 40))

    hub.receive("C", at(2, 14, 5))
    hub.take("C", at(2, 14, 10))
    hub.rate("C", "amber", at(2, 14, 30))
    hub.enquire("C", ["police"], at(2, 14, 50))
    hub.answer("C", "police", at(2, 15, 35))
    hub.decide("C", EARLY_HELP, at(2, 16, 35))

    hub.receive("D", at(3, 10))
    hub.take("D", at(3, 10, 30))
    hub.rate("D", "green", at(3, 10, 45))
    hub.enquire("D", ["health"], at(3, 10, 50))
    hub.answer("D", "health", at(3, 12))
    hub.decide("D", EARLY_HELP, at(3, 12, 15))

    hub.receive("E", at(4, 2, 30))
    hub.take("E", at(4, 9))
    hub.rate("E", "amber", at(4, 9, 20))
    hub.close_at_screening("E", proposed=at(4, 9, 30), agreed=at(4, 10))

    hub.receive("F", at(7, 11))
    return hub


def small_scenario(**changes: Any) -> Scenario:
    """A hub small enough to simulate in a fraction of a second: a few contacts an hour
    in office hours, two ratings, one agency."""
    office = Rota.office()
    fields: dict[str, Any] = {
        "name": "Small hub",
        "arrivals": Arrivals(
            rates=tuple(
                tuple(1.0 if day < 5 and 9 <= hour < 17 else 0.0 for hour in range(24))
                for day in range(7)
            )
        ),
        "ratings": (
            Rating(
                name="red", share=0.2, timescale_hours=4, counting="working", checks={"police": 1.0}
            ),
            Rating(name="amber", share=0.8, timescale_hours=24, checks={"police": 0.5}),
        ),
        "screening": StaffGroup(
            name="screeners",
            staff=1,
            work_time=LogNormal(median_hours=0.25, p90_hours=0.5),
            rota=office,
            absence=0.1,
        ),
        "agencies": (
            StaffGroup(
                name="police", staff=1, work_time=Fixed(hours=0.5), rota=office, absence=0.1
            ),
        ),
        "decision": StaffGroup(
            name="managers",
            staff=1,
            work_time=LogNormal(median_hours=0.2, p90_hours=0.4),
            rota=office,
        ),
        "start": date(2026, 3, 2),
        "horizon_days": 7,
        "warm_up_days": 2,
        "replications": 2,
        "seed": 3,
    }
    fields.update(changes)
    return Scenario(**fields)


@pytest.fixture
def small_settings(settings: Any) -> Any:
    """Calibrated scenarios simulate a short horizon twice, so runs are quick."""
    settings.PLANNER_HORIZON_DAYS = 7
    settings.PLANNER_WARM_UP_DAYS = 2
    settings.PLANNER_REPLICATIONS = 2
    return settings
