"""A MASH in 2019 whose records the retention schedule reaches by 2027, built through the
real services at set times (tests.factories.Hub).

  N  Nina Hall, born 2012: no further action at screening, agreed 10 Jan 2019 11:00.
     Due for anonymising six years later (a contact that went no further).
  A  Alfie Shaw, born 1 Mar 2012: assessment (s17) decided 11 Jan 2019, accepted by
     children's social care. Kept until he is 25 (1 Mar 2037).
  H  Holly Reed, born 2013: no further action 14 Jan 2019, under a legal hold.
  W  Will Ford, born 2014: stepped down to early help 15 Jan 2019; early help has not
     accepted it (a hand-on waiting).
  R  Rosa King, born 2020: no further action 10 Nov 2025: not due until 2031.
  O  Owen Lee, born 2015: received 16 Jan 2019 and never screened (still open).
"""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from openmash.accounts.models import Agency, User
from openmash.core.audit import Actor
from openmash.enquiries.services.decisions import DecisionInput
from openmash.governance.models import LegalHold
from tests.factories import Hub, a_child, a_parent

LONDON = ZoneInfo("Europe/London")
# When the tests run the job: every 2019 contact that went no further is due.
IN_2027 = datetime(2027, 1, 4, 9, 0, tzinfo=LONDON)


def at(year: int, month: int, day: int, hour: int = 9, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=LONDON)


def decision(outcome: str, team: str = "") -> DecisionInput:
    return DecisionInput(
        level_of_need=3 if outcome != "nfa" else 1,
        outcome=outcome,
        factor_codes=["16A"],
        primary_need="N1" if outcome != "nfa" else "N9",
        rationale="Worked out from the agencies' research.",
        receiving_team=team,
    )


class RetentionHub(Hub):
    def closed(self, name: str, when: datetime, child: tuple[str, str, date]) -> None:
        """Received at `when`, closed with no further action at screening by 11:00."""
        given, family, born = child
        self.receive(
            name,
            when,
            people=[
                a_child(given_names=given, family_name=family, date_of_birth=born, nhs_number=""),
                a_parent(given_names="Pat", family_name=family),
            ],
        )
        self.screen(name, when)
        self.close_at_screening(name, when, at(when.year, when.month, when.day, 11))


@pytest.fixture
def hub(personas: dict[str, User], agencies: dict[str, Agency]) -> RetentionHub:
    users = dict(personas)
    return RetentionHub(users=users, agencies=agencies)


@pytest.fixture
def in_2019(hub: RetentionHub, ig_officer: User) -> RetentionHub:
    """The contacts described at the top of this module."""
    hub.closed("N", at(2019, 1, 10), ("Nina", "Hall", date(2012, 5, 2)))

    hub.receive(
        "A",
        at(2019, 1, 11),
        people=[a_child(given_names="Alfie", family_name="Shaw", date_of_birth=date(2012, 3, 1))],
    )
    hub.screen("A", at(2019, 1, 11))
    hub.enquire("A", [], at(2019, 1, 11))
    hub.decide("A", decision("assessment_s17", "Eastbridge assessment team"), at(2019, 1, 11, 12))
    hub.accept("A", "childrens_social_care", at(2019, 1, 11, 15), worker="Sam Patel")

    hub.closed("H", at(2019, 1, 14), ("Holly", "Reed", date(2013, 6, 7)))
    LegalHold.objects.create(
        contact=hub.contacts["H"], reason="Claim 2026/17 in progress", placed_by=ig_officer
    )

    hub.receive(
        "W",
        at(2019, 1, 15),
        people=[a_child(given_names="Will", family_name="Ford", date_of_birth=date(2014, 2, 2))],
    )
    hub.screen("W", at(2019, 1, 15))
    hub.enquire("W", [], at(2019, 1, 15))
    hub.decide("W", decision("early_help", "Eastbridge early help"), at(2019, 1, 15, 12))

    hub.closed("R", at(2025, 11, 10), ("Rosa", "King", date(2020, 8, 8)))
    hub.receive(
        "O",
        at(2019, 1, 16),
        people=[a_child(given_names="Owen", family_name="Lee", date_of_birth=date(2015, 4, 4))],
    )
    return hub


def actor(user: User) -> Actor:
    return Actor(user=user)
