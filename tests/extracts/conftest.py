"""October 2026 in the MASH, built through the real services at set times, whose extracts
the tests work out by hand. All times UK time; the period is 1 to 31 October 2026.

Amy Smith (NHS number AMY_NHS)
  A0  received 1 Oct 2025; decided assessment (s17) 3 Oct 2025 09:00: a referral more
      than a year before A2, so not counted in A2's last 12 months.
  A1  received 10 Mar 2026 09:00; decided assessment (s17) 11:00: a referral seven
      months before A2.
  A2  received Mon 5 Oct 09:00 from the police (6), naming her "Amelia Smith" with the
      same NHS number and her mother; decided strategy discussion 13:30, team
      "Eastbridge assessment team"; children's social care accepts 15:30, worker "Sam
      Patel". A referral in the period, with 2 referrals before it in OpenMASH and 1 in
      the 12 months before.
Ben Jones and his sister Bella (no identifiers in common with anyone)
  B   received Tue 6 Oct 10:00 from a school (2A); decided early help 12:00; amended to
      assessment (s17) Wed 7 Oct 10:00 with primary need N5 and factors 3B, 4B: a
      referral dated 7 Oct, with the amendment's need and factors.
Cara Brown
  C   received Thu 8 Oct 09:00 from a GP (3A); decided assessment (s17) 11:00 (N1,
      16A); children's social care returns it Fri 9 Oct 10:00; amended to no further
      action 15:00 (N9, 21): a referral with no further action.
Dan Green
  D   received Mon 12 Oct 09:00 from a school (2A); closed at screening with no further
      action (agreed 11:00): a contact, never a referral.
Eve White (age estimated at 6, no date of birth)
  E   received Fri 30 Oct 16:00 from the police (6); taken and rated, still open at the
      end of the period; decided assessment (s17) Mon 2 Nov: a contact in October, a
      referral in November.
Finn Black
  F   received Wed 30 Sep 23:30 (22:30 UTC, still September in the UK): in neither list.
"""

from collections.abc import Callable
from datetime import date, datetime
from typing import Any

import pytest

from openmash.accounts.models import Agency, User
from openmash.area.calendar import LONDON
from openmash.area.models import HandOnTeam
from openmash.contacts.codes import PersonRole
from openmash.core.period import Period
from openmash.enquiries.services.decisions import DecisionInput
from openmash.people.identifiers import nhs_number_check_digit
from tests import factories
from tests.factories import Referrer, a_child, a_parent

OCTOBER = Period(date(2026, 10, 1), date(2026, 10, 31))
SOCIAL_CARE = HandOnTeam.CHILDRENS_SOCIAL_CARE.value


def valid_nhs_number(serial: int) -> str:
    """A valid NHS number for each serial (some serials give none: the next is tried)."""
    while True:
        first_nine = f"48577{serial:04d}"
        check = nhs_number_check_digit(first_nine)
        if check is not None:
            return first_nine + str(check)
        serial += 1


AMY_NHS = valid_nhs_number(10)

SOURCES = {
    "6": Referrer("PC Dan Reid", "Demo County Police", "police_notification"),
    "2A": Referrer("Jo Bennett", "Riverside Primary School", "phone"),
    "3A": Referrer("Dr Priya Shah", "Eastbridge Surgery", "portal"),
}


def at(year: int, month: int, day: int, hour: int = 9, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=LONDON)


def decision(
    outcome: str,
    *,
    need: str = "N1",
    factors: tuple[str, ...] = ("16A",),
    team: str = "Eastbridge assessment team",
    level: int = 3,
) -> DecisionInput:
    return DecisionInput(
        level_of_need=level,
        outcome=outcome,
        factor_codes=list(factors),
        primary_need=need,
        rationale="Worked out by the MASH from the agencies' research.",
        receiving_team=team if outcome in ("assessment_s17", "strategy_s47", "early_help") else "",
    )


class Hub(factories.Hub):
    """tests.factories.Hub, but closing a fresh contact at screening in one step, as
    these tests do."""

    def close_at_screening(self, name: str, when: datetime) -> None:  # type: ignore[override]
        """The screener takes and rates the contact and proposes no further action at
        `when`; the manager agrees at 11:00 that day."""
        self.screen(name, when)
        super().close_at_screening(name, when, at(when.year, when.month, when.day, 11))


@pytest.fixture
def hub(personas: dict[str, User], agencies: dict[str, Agency]) -> Hub:
    return Hub(users=dict(personas), agencies=agencies, referrers=SOURCES)


def enquire(hub: Hub, name: str, when: datetime) -> None:
    """The contact is screened and an enquiry opened, asking no agency."""
    hub.screen(name, when)
    hub.enquire(name, [], when)


def referral(hub: Hub, name: str, when: datetime, source: str, people: list[Any]) -> None:
    """A contact received at `when` and decided assessment (s17) two hours later."""
    hub.receive(name, when, source, people)
    enquire(hub, name, when)
    hub.decide(name, decision("assessment_s17"), at(when.year, when.month, when.day, 11))


@pytest.fixture
def october(hub: Hub) -> Hub:
    """The month described at the top of this module."""
    amy = a_child(
        given_names="Amy", family_name="Smith", date_of_birth=date(2016, 4, 2), nhs_number=AMY_NHS
    )
    hub.receive("A0", at(2025, 10, 1), "2A", [amy])
    enquire(hub, "A0", at(2025, 10, 1))
    hub.decide("A0", decision("assessment_s17"), at(2025, 10, 3, 9))
    referral(hub, "A1", at(2026, 3, 10), "2A", [amy])

    amelia = a_child(
        given_names="Amelia",
        family_name="Smith",
        date_of_birth=date(2016, 4, 2),
        nhs_number=AMY_NHS,
    )
    hub.receive("A2", at(2026, 10, 5, 9), "6", [amelia, a_parent()])
    enquire(hub, "A2", at(2026, 10, 5, 9, 30))
    hub.decide("A2", decision("strategy_s47", level=4), at(2026, 10, 5, 13, 30))
    hub.accept("A2", SOCIAL_CARE, at(2026, 10, 5, 15, 30), worker="Sam Patel")

    ben = a_child(
        given_names="Ben",
        family_name="Jones",
        date_of_birth=date(2019, 7, 20),
        sex="M",
        nhs_number="",
    )
    bella = a_child(
        role=PersonRole.SIBLING,
        given_names="Bella",
        family_name="Jones",
        date_of_birth=date(2021, 1, 9),
        nhs_number="",
    )
    hub.receive("B", at(2026, 10, 6, 10), "2A", [ben, bella])
    enquire(hub, "B", at(2026, 10, 6, 10, 30))
    hub.decide("B", decision("early_help", level=2, need="N4"), at(2026, 10, 6, 12))
    hub.amend("B", decision("assessment_s17", need="N5", factors=("3B", "4B")), at(2026, 10, 7, 10))

    cara = a_child(
        given_names="Cara", family_name="Brown", date_of_birth=date(2012, 11, 30), nhs_number=""
    )
    hub.receive("C", at(2026, 10, 8, 9), "3A", [cara])
    enquire(hub, "C", at(2026, 10, 8, 9, 30))
    hub.decide("C", decision("assessment_s17"), at(2026, 10, 8, 11))
    hub.send_back("C", at(2026, 10, 9, 10), SOCIAL_CARE, reason="Not for social care.")
    hub.amend("C", decision("nfa", need="N9", factors=("21",), level=1), at(2026, 10, 9, 15))

    dan = a_child(
        given_names="Dan",
        family_name="Green",
        date_of_birth=date(2015, 2, 14),
        sex="M",
        nhs_number="",
    )
    hub.receive("D", at(2026, 10, 12, 9), "2A", [dan])
    hub.close_at_screening("D", at(2026, 10, 12, 10))

    eve = a_child(
        given_names="Eve", family_name="White", date_of_birth=None, estimated_age=6, nhs_number=""
    )
    hub.receive("E", at(2026, 10, 30, 16), "6", [eve])
    enquire(hub, "E", at(2026, 10, 30, 16, 30))
    hub.decide("E", decision("assessment_s17"), at(2026, 11, 2, 10))

    finn = a_child(given_names="Finn", family_name="Black", nhs_number="")
    hub.receive("F", at(2026, 9, 30, 23, 30), "6", [finn])
    return hub


@pytest.fixture
def manager(personas: dict[str, User]) -> User:
    return personas["manager"]


Build = Callable[[int], Hub]
