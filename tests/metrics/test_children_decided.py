"""Decided children counted from the facts (ADR 0022, issue 15): a contact whose decision
gave every child its own outcome counts as many children of that outcome as the facts
record; one that decided its children apart is read child by child; one amended after the
end of the period is counted as it was decided then."""

from datetime import date, datetime, timedelta

import pytest

from openmash.accounts.models import User
from openmash.area.calendar import LONDON
from openmash.contacts.models import Contact
from openmash.contacts.services import contact_create
from openmash.core.audit import Actor
from openmash.enquiries.models import Decision
from openmash.enquiries.services.decisions import (
    ChildOutcomeInput,
    DecisionInput,
    decision_amend,
    decision_record,
)
from openmash.enquiries.services.screening import contact_rate, contact_take, enquiry_open
from openmash.metrics.cohort import children_decided
from openmash.metrics.filters import MetricFilter
from openmash.metrics.indicators.registry import indicators_compute
from openmash.metrics.models import ContactFact
from tests.factories import a_child, a_parent, a_sibling, a_submission

RECEIVED = datetime(2026, 10, 6, 9, 0, tzinfo=LONDON)
DECIDED = RECEIVED + timedelta(hours=4)
AMENDED = datetime(2026, 10, 20, 10, 0, tzinfo=LONDON)
# Outcomes that close the case: no level of need above 1, no receiving team.
CLOSED = ("nfa", "information_advice")


@pytest.fixture
def siblings(school_referrer: User, screener: User) -> Contact:
    """A contact from a school about two siblings, screened and waiting for a decision."""
    contact, _ = contact_create(
        actor=Actor(user=school_referrer),
        submission=a_submission(
            people=[
                a_child(),
                a_sibling(),
                a_parent(),
            ]
        ),
        now=RECEIVED,
    )
    as_screener = Actor(user=screener)
    contact_take(actor=as_screener, contact_id=contact.pk, now=RECEIVED + timedelta(hours=1))
    contact_rate(
        actor=as_screener,
        contact_id=contact.pk,
        rag="amber",
        rationale="Bruising seen twice.",
        now=RECEIVED + timedelta(hours=2),
    )
    enquiry_open(
        actor=as_screener, contact_id=contact.pk, agency_ids=[], now=RECEIVED + timedelta(hours=2)
    )
    return contact


def each_child(contact: Contact, first: str, second: str) -> DecisionInput:
    amy, ben = contact.people.filter(role__in=["subject_child", "sibling"]).order_by("position")
    return DecisionInput(
        level_of_need=None,
        outcome="",
        factor_codes=["16A"],
        primary_need="",
        rationale="Each child's own needs.",
        each_child=True,
        children=[
            ChildOutcomeInput(
                person_id=person.pk,
                level_of_need=1 if outcome in CLOSED else 3,
                outcome=outcome,
                primary_need="N9" if outcome in CLOSED else "N1",
                receiving_team="" if outcome in CLOSED else "Team north",
            )
            for person, outcome in ((amy, first), (ben, second))
        ],
    )


def figures(as_at: datetime) -> tuple[dict[str, int], dict[str, tuple[int, int]]]:
    """Decided children by outcome code, and (no further action, decided) by source."""
    f = MetricFilter(start=date(2026, 10, 5), end=as_at.date(), now=as_at)
    computed = indicators_compute(f, ["outcome_shares", "nfa_by_source"])
    outcomes = {row.key: row.count for row in computed["outcome_shares"].rows}
    sources = {row.key: (row.numerator, row.denominator) for row in computed["nfa_by_source"].rows}
    return outcomes, sources


def test_children_decided_apart_are_read_one_by_one(
    siblings: Contact, personas: dict[str, User]
) -> None:
    decision_record(
        actor=Actor(user=personas["manager"]),
        contact_id=siblings.pk,
        data=each_child(siblings, "assessment_s17", "nfa"),
        now=DECIDED,
    )
    fact = ContactFact.objects.get(pk=siblings.pk)
    assert (fact.children, fact.children_apart) == (2, True)
    f = MetricFilter(start=date(2026, 10, 5), end=date(2026, 10, 11), now=AMENDED)
    parts = children_decided(f)
    assert parts.together.count() == 0
    assert parts.apart.count() == 2
    assert parts.changed.count() == 0
    outcomes, sources = figures(AMENDED)
    assert outcomes == {"assessment_s17": 1, "nfa": 1}
    assert sources == {"2A": (1, 2)}


def test_children_given_one_outcome_are_counted_from_the_facts(
    siblings: Contact, personas: dict[str, User]
) -> None:
    decision_record(
        actor=Actor(user=personas["manager"]),
        contact_id=siblings.pk,
        data=each_child(siblings, "nfa", "nfa"),
        now=DECIDED,
    )
    fact = ContactFact.objects.get(pk=siblings.pk)
    assert (fact.children, fact.children_apart) == (2, False)
    f = MetricFilter(start=date(2026, 10, 5), end=date(2026, 10, 11), now=AMENDED)
    parts = children_decided(f)
    assert list(parts.together.values_list("pk", "children")) == [(siblings.pk, 2)]
    assert parts.apart.count() == 0
    assert parts.changed.count() == 0
    outcomes, sources = figures(AMENDED)
    assert outcomes == {"nfa": 2}
    assert sources == {"2A": (2, 2)}


def test_a_decision_amended_after_the_period_counts_as_it_was(
    siblings: Contact, personas: dict[str, User]
) -> None:
    decision = decision_record(
        actor=Actor(user=personas["manager"]),
        contact_id=siblings.pk,
        data=each_child(siblings, "nfa", "nfa"),
        now=DECIDED,
    )
    decision_amend(
        actor=Actor(user=personas["manager"]),
        decision_id=decision.pk,
        data=each_child(siblings, "assessment_s17", "information_advice"),
        reason="The school called again.",
        now=AMENDED,
    )
    fact = ContactFact.objects.get(pk=siblings.pk)
    latest = Decision.objects.filter(contact=siblings).order_by("-decided_at", "-id").first()
    assert latest is not None and fact.decision_id == latest.pk
    assert (fact.children, fact.children_apart) == (2, True)
    # Before the amendment: both children closed, from the original decision's rows.
    before = AMENDED - timedelta(days=1)
    parts = children_decided(MetricFilter(start=date(2026, 10, 5), end=before.date(), now=before))
    assert (parts.together.count(), parts.apart.count(), parts.changed.count()) == (0, 0, 2)
    assert figures(before) == ({"nfa": 2}, {"2A": (2, 2)})
    # After it: each child's new outcome.
    after = AMENDED + timedelta(hours=1)
    assert figures(after) == (
        {"assessment_s17": 1, "information_advice": 1},
        {"2A": (0, 2)},
    )
