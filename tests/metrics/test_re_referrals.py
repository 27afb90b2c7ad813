"""Re-referrals within 12 months: the same child by the rule of openmash.linkage.same_child
or a confirmed person link, after a decision on an earlier contact."""

from datetime import date, datetime

import pytest

from openmash.contacts.submission import PersonDetails
from openmash.linkage import links
from openmash.linkage.conflicts import conflict_resolve, conflict_undo
from openmash.linkage.models import (
    ConflictState,
    IdentifierConflict,
    IndexedPerson,
    PersonLink,
    WrongHolder,
)
from openmash.metrics.filters import MetricFilter
from openmash.metrics.indicators.quality import re_referrals
from tests.factories import VALID_NHS_NUMBER, a_child, a_parent
from tests.metrics.conftest import NFA, Hub, at

pytestmark = pytest.mark.django_db

AMY = date(2017, 3, 7)


def _child(given: str, family: str, born: date, **overrides: object) -> PersonDetails:
    return a_child(
        given_names=given,
        family_name=family,
        date_of_birth=born,
        **{"nhs_number": "", **overrides},
    )


def _earlier(
    hub: Hub, name: str, child: PersonDetails, received: datetime, decided: datetime | None = None
) -> None:
    """A contact before the week, with a parent named too; decided if `decided` is given."""
    hub.receive(name, received, "2A", people=[child, a_parent()])
    if decided is not None:
        hub.take(name, received)
        hub.rate(name, "green", received)
        hub.enquire(name, [], received)
        hub.decide(name, NFA, decided)


def _link(hub: Hub, new: str, earlier: str, *, confirm: bool) -> None:
    link = PersonLink.objects.create(
        contact_person=hub.contacts[new].people.get(position=0),
        candidate=IndexedPerson.objects.get(
            contact_person=hub.contacts[earlier].people.get(position=0)
        ),
        probability=0.9,
    )
    if confirm:
        links.link_confirm(actor=hub.as_("screener"), link_id=link.pk)
    else:
        links.link_reject(actor=hub.as_("screener"), link_id=link.pk, reason="A cousin")


def test_it_counts_re_referrals_of_the_same_child_within_12_months(
    hub: Hub, the_week: MetricFilter
) -> None:
    # Before the week. Amy, by NHS number, decided in March: within 12 months.
    amy = _child("Amy", "Smith", AMY, nhs_number=VALID_NHS_NUMBER)
    _earlier(hub, "P1", amy, at(1, 10, month=3), at(2, 10, month=3))
    # Ben, decided in September 2025: more than 365 days before the week.
    ben = _child("Ben", "Cole", date(2016, 5, 1))
    _earlier(hub, "P2", ben, at(1, 10, month=9, year=2025), at(2, 10, month=9, year=2025))
    # Cara, never decided.
    cara = _child("Cara", "Lee", date(2016, 6, 6))
    _earlier(hub, "P3", cara, at(1, 10, month=8))
    # Dan, written in capitals.
    _earlier(
        hub, "P4", _child("DAN", "JONES", date(2015, 2, 2)), at(1, 10, month=8), at(1, 12, month=8)
    )
    # Eve: misspelt with day and month swapped later, so only a confirmed link joins her.
    _earlier(
        hub, "P5", _child("Eve", "Brown", date(2018, 3, 7)), at(1, 10, month=8), at(1, 12, month=8)
    )
    # Fay: the same by the rule, but a screener rejected the match.
    fay = _child("Fay", "Green", date(2019, 9, 9))
    _earlier(hub, "P6", fay, at(1, 10, month=8), at(1, 12, month=8))
    # Ivy: received before the week and decided only after her new contact came in.
    ivy = _child("Ivy", "Ward", date(2014, 4, 4))
    _earlier(hub, "P7", ivy, at(1, 10), at(6, 12))

    # The week: nine contacts.
    hub.receive("R1", at(5, 9), "2A", people=[amy])
    hub.receive("R2", at(5, 10), "2A", people=[ben])
    hub.receive("R3", at(5, 11), "2A", people=[cara])
    hub.receive("R4", at(5, 12), "2A", people=[_child("dan", "jones", date(2015, 2, 2))])
    hub.receive("R5", at(5, 13), "2A", people=[_child("Eva", "Browne", date(2018, 7, 3))])
    hub.receive("R6", at(5, 14), "2A", people=[fay])
    # A new child, with Amy named as a sibling.
    sibling = _child("Amy", "Smith", AMY, nhs_number=VALID_NHS_NUMBER, role="sibling")
    hub.receive("R7", at(5, 15), "2A", people=[_child("Gus", "Smith", date(2020, 1, 1)), sibling])
    # A new child whose parent is named in every earlier contact: a parent is not a child.
    hub.receive(
        "R8", at(5, 16), "2A", people=[_child("Hal", "Smith", date(2020, 2, 2)), a_parent()]
    )
    hub.receive("R9", at(5, 9), "2A", people=[ivy])
    _link(hub, "R5", "P5", confirm=True)
    _link(hub, "R6", "P6", confirm=False)

    figures = re_referrals(the_week)

    # R1 (NHS number), R4 (names ignoring capitals), R5 (confirmed link), R7 (sibling).
    assert (figures.numerator, figures.denominator) == (4, 9)


def test_a_decision_exactly_365_days_before_still_counts(hub: Hub, the_week: MetricFilter) -> None:
    child = _child("Kit", "Moss", date(2016, 1, 1))
    _earlier(hub, "P1", child, at(5, 9, year=2025), at(5, 10, year=2025))
    _earlier(
        hub, "P2", _child("Lou", "Moss", date(2016, 2, 2)), at(5, 9, year=2025), at(5, 9, year=2025)
    )
    hub.receive("R1", at(5, 10), "2A", people=[child])  # 365 days after P1's decision
    hub.receive("R2", at(5, 10), "2A", people=[_child("Lou", "Moss", date(2016, 2, 2))])
    hub.receive("R3", at(5, 10, 1), "2A", people=[_child("Lou", "Moss", date(2016, 2, 2))])

    figures = re_referrals(the_week)

    # R1 exactly 365 days; R2 and R3 365 days and an hour or more after P2's decision.
    assert (figures.numerator, figures.denominator) == (1, 3)


def test_an_identifier_conflict_keeps_two_children_apart_until_decided(
    hub: Hub, the_week: MetricFilter
) -> None:
    # Maya, decided in March; Ellie arrives in the week with Maya's NHS number.
    maya = _child("Maya", "Okafor", date(2014, 3, 9), nhs_number=VALID_NHS_NUMBER)
    _earlier(hub, "P1", maya, at(1, 10, month=3), at(2, 10, month=3))
    ellie = _child("Ellie", "Harper", date(2016, 11, 21), nhs_number=VALID_NHS_NUMBER)
    hub.receive("R1", at(5, 9), "2A", people=[ellie])
    conflict = IdentifierConflict.objects.get()

    # Open: not a re-referral of Maya.
    assert re_referrals(the_week).numerator == 0

    # Decided the same child: the number joins them.
    conflict_resolve(
        actor=hub.as_("screener"),
        conflict_id=conflict.pk,
        outcome=ConflictState.SAME_CHILD,
        reason="Ellie is the name she uses",
    )
    assert re_referrals(the_week).numerator == 1

    # Undone, then decided different children with Ellie's number in error: apart, and
    # a later contact about Ellie with the wrong number is no re-referral of Maya either.
    conflict_undo(actor=hub.as_("screener"), conflict_id=conflict.pk, reason="Two girls")
    assert re_referrals(the_week).numerator == 0
    conflict_resolve(
        actor=hub.as_("screener"),
        conflict_id=conflict.pk,
        outcome=ConflictState.DIFFERENT,
        wrong_holder=WrongHolder.CONTACT_PERSON,
        reason="The school copied the number",
    )
    assert (re_referrals(the_week).numerator, re_referrals(the_week).denominator) == (0, 1)
    hub.receive("R2", at(5, 10), "2A", people=[ellie])
    # Ellie's new record conflicts with Maya's (a new, open conflict), never with her own.
    assert IdentifierConflict.objects.filter(state=ConflictState.OPEN).count() == 1
    assert (re_referrals(the_week).numerator, re_referrals(the_week).denominator) == (0, 2)
