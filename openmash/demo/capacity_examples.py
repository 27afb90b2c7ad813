"""A worked scenario: a county MASH of the size the evaluations describe (about 20
contacts a working day), with the RAG timescales and agencies of the area defaults
(red 4 hours, amber 24, green 72, clock hours). A starting point to edit, and what the
tests and the documentation run.

Demonstration data, so it lives in the demo app rather than in the engine; like the
engine it imports no Django (tests/capacity runs it with Django absent)."""

from datetime import date

from openmash.capacity.scenario import (
    Arrivals,
    HubHours,
    LogNormal,
    OnCall,
    Rating,
    Rota,
    Scenario,
    StaffGroup,
)

# Share of a day's contacts arriving in each hour: most in office hours, a few at night
# (police notifications).
HOURLY_SHARES = (
    (0.005,) * 8  # 00:00 to 08:00
    + (0.06, 0.11, 0.11, 0.10, 0.08, 0.10, 0.10, 0.09, 0.08)  # 08:00 to 17:00
    + (0.03, 0.025, 0.02, 0.015, 0.015, 0.015, 0.01)  # 17:00 to 24:00
)
CONTACTS_PER_DAY = (22.0, 22.0, 21.0, 21.0, 22.0, 6.0, 6.0)  # Monday first
ENGLAND_BANK_HOLIDAYS_2025 = (
    date(2025, 1, 1),
    date(2025, 4, 18),
    date(2025, 4, 21),
    date(2025, 5, 5),
    date(2025, 5, 26),
    date(2025, 8, 25),
    date(2025, 12, 25),
    date(2025, 12, 26),
)


# Targets for the worked example (share of each rating's contacts decided within its
# timescale) that its staff can meet: what the planner's targets form offers at first.
WORKED_EXAMPLE_TARGETS = {"red": 0.85, "amber": 0.8, "green": 0.9}


def county_mash(**changes: object) -> Scenario:
    """The worked scenario; keyword arguments replace its fields."""
    arrivals = Arrivals.from_profile(
        per_day=CONTACTS_PER_DAY,
        hourly_shares=tuple(share / sum(HOURLY_SHARES) for share in HOURLY_SHARES),
    )
    ratings = (
        Rating(
            name="red",
            share=0.1,
            timescale_hours=4,
            # Immediate safety first: education is asked later, if at all.
            checks={"police": 1.0, "health": 1.0},
        ),
        Rating(
            name="amber",
            share=0.4,
            timescale_hours=24,
            checks={"police": 0.9, "health": 0.9, "education": 0.8},
        ),
        Rating(
            name="green", share=0.5, timescale_hours=72, checks={"health": 0.7, "education": 0.7}
        ),
    )
    office = Rota.office(start=9, end=17)
    red_out_of_hours = Rota.office(start=9, end=17, on_call=OnCall(people=1, ratings=("red",)))
    fields: dict[str, object] = {
        "name": "County MASH (worked example)",
        "arrivals": arrivals,
        "ratings": ratings,
        "screening": StaffGroup(
            name="screeners",
            staff=5,
            work_time=LogNormal(median_hours=0.5, p90_hours=1.5),
            rota=red_out_of_hours,
            absence=0.1,
        ),
        "agencies": (
            StaffGroup(
                name="police",
                staff=2,
                work_time=LogNormal(median_hours=0.5, p90_hours=1.5),
                rota=red_out_of_hours,
                absence=0.1,
            ),
            StaffGroup(
                name="health",
                staff=4,
                work_time=LogNormal(median_hours=0.5, p90_hours=1.5),
                rota=red_out_of_hours,
                absence=0.1,
            ),
            StaffGroup(
                name="education",
                staff=2,
                work_time=LogNormal(median_hours=0.5, p90_hours=1.5),
                rota=office,
                absence=0.1,
            ),
        ),
        "decision": StaffGroup(
            name="managers",
            staff=3,
            work_time=LogNormal(median_hours=0.25, p90_hours=0.75),
            rota=red_out_of_hours,
            absence=0.1,
        ),
        "hub_hours": HubHours(bank_holidays=ENGLAND_BANK_HOLIDAYS_2025),
        "start": date(2025, 3, 3),
        "horizon_days": 35,
        "warm_up_days": 7,
        "replications": 10,
        "seed": 1,
    }
    fields.update(changes)
    return Scenario(**fields)  # type: ignore[arg-type]
