"""The statutory extracts and the outcome figures count each child's own outcome (ADR
0018): a contact about two siblings decided apart, one to an assessment and one closed
with advice, is one referral (the first child) in the Children in Need census and Annex A
List 3, two rows in List 1, and two decided children in the figures."""

from datetime import date

from openmash.contacts.codes import PersonRole
from openmash.core.period import Period
from openmash.enquiries.services.decisions import ChildOutcomeInput, DecisionInput
from openmash.extracts.annex_a import annex_a_list_1, annex_a_list_3
from openmash.extracts.cin_census import cin_census_referrals
from openmash.metrics.filters import MetricFilter
from openmash.metrics.indicators.outcomes import conversion_to_social_care, outcome_shares
from openmash.metrics.indicators.quality import nfa_by_source
from tests.extracts.conftest import Hub, at, decision, enquire
from tests.factories import a_child

NOVEMBER = Period(date(2026, 11, 1), date(2026, 11, 30))
TEAM = "Eastbridge assessment team"


def each_child(hub: Hub, name: str, *outcomes: tuple[str, str, int]) -> DecisionInput:
    """A decision giving the contact's children (in order) these (outcome, need, level)."""
    people = list(hub.contacts[name].people.order_by("position"))
    return DecisionInput(
        level_of_need=None,
        outcome="",
        factor_codes=["16A", "3B"],
        primary_need="",
        rationale="Decided for each child.",
        each_child=True,
        children=[
            ChildOutcomeInput(
                person_id=person.pk,
                level_of_need=level,
                outcome=outcome,
                primary_need=need,
                receiving_team=TEAM if outcome in ("assessment_s17", "strategy_s47") else "",
            )
            for person, (outcome, need, level) in zip(people, outcomes, strict=True)
        ],
    )


def siblings(hub: Hub) -> Hub:
    """S: Sid and his sister Sue, received 2 Nov from a school; Sid to an assessment (N1),
    Sue closed with information and advice (N9). T: Tom alone, 3 Nov from the police, no
    further action."""
    sid = a_child(
        given_names="Sid", family_name="Reed", date_of_birth=date(2018, 5, 1), nhs_number=""
    )
    sue = a_child(
        role=PersonRole.SIBLING,
        given_names="Sue",
        family_name="Reed",
        date_of_birth=date(2020, 6, 2),
        nhs_number="",
    )
    hub.receive("S", at(2026, 11, 2, 9), "2A", [sid, sue])
    enquire(hub, "S", at(2026, 11, 2, 9, 30))
    hub.decide(
        "S",
        each_child(hub, "S", ("assessment_s17", "N1", 3), ("information_advice", "N9", 1)),
        at(2026, 11, 2, 12),
    )
    tom = a_child(
        given_names="Tom", family_name="Hill", date_of_birth=date(2014, 1, 1), nhs_number=""
    )
    hub.receive("T", at(2026, 11, 3, 9), "6", [tom])
    enquire(hub, "T", at(2026, 11, 3, 9, 30))
    hub.decide("T", decision("nfa", need="N9", level=1), at(2026, 11, 3, 12))
    return hub


def test_the_census_refers_only_the_child_sent_to_social_care(hub: Hub) -> None:
    siblings(hub)
    sid = hub.child("S").pk

    rows = list(cin_census_referrals(NOVEMBER).table.rows)

    assert rows == [(sid, date(2026, 11, 2), "2A", 0, "N1", "16A,3B", "NOBT")]


def test_list_1_has_both_siblings_and_list_3_only_the_one_referred(hub: Hub) -> None:
    siblings(hub)
    sid, sue, tom = hub.child("S").pk, hub.child("S", 1).pk, hub.child("T").pk

    list_1 = [row[0] for row in annex_a_list_1(NOVEMBER).table.rows]
    list_3 = list(annex_a_list_3(NOVEMBER).table.rows)

    assert list_1 == [sid, sue, tom]
    assert [(row[0], row[7], row[9]) for row in list_3] == [(sid, "No", TEAM)]


def test_a_sibling_amended_to_an_assessment_becomes_a_referral_on_that_day(hub: Hub) -> None:
    siblings(hub)
    sid, sue = hub.child("S").pk, hub.child("S", 1).pk
    hub.amend(
        "S",
        each_child(hub, "S", ("assessment_s17", "N1", 3), ("assessment_s17", "N2", 3)),
        at(2026, 11, 4, 10),
    )

    rows = list(cin_census_referrals(NOVEMBER).table.rows)

    assert [(row[0], row[1], row[4]) for row in rows] == [
        (sid, date(2026, 11, 2), "N1"),
        (sue, date(2026, 11, 4), "N2"),
    ]


def test_a_referred_child_amended_to_nfa_is_flagged_but_the_sibling_is_not_listed(
    hub: Hub,
) -> None:
    siblings(hub)
    sid = hub.child("S").pk
    hub.amend(
        "S",
        each_child(hub, "S", ("nfa", "N9", 1), ("information_advice", "N9", 1)),
        at(2026, 11, 5, 10),
    )

    rows = list(annex_a_list_3(NOVEMBER).table.rows)

    assert [(row[0], row[7]) for row in rows] == [(sid, "Yes")]


def test_the_outcome_figures_count_each_child(hub: Hub) -> None:
    siblings(hub)
    f = MetricFilter(start=date(2026, 11, 1), end=date(2026, 11, 30), now=at(2026, 12, 1, 9))

    shares = {row.key: row.count for row in outcome_shares(f).rows}
    conversion = conversion_to_social_care(f)
    nfa = nfa_by_source(f)

    # Three children decided in two contacts: Sid, Sue and Tom, each by their own outcome.
    assert shares == {"assessment_s17": 1, "information_advice": 1, "nfa": 1}
    assert (conversion.overall.numerator, conversion.overall.denominator) == (1, 3)
    assert (nfa.overall.numerator, nfa.overall.denominator) == (1, 3)
    by_source = {row.key: (row.numerator, row.denominator) for row in nfa.rows}
    assert by_source == {"2A": (0, 2), "6": (1, 1)}
