"""Value for money worked out by hand on October 2026 (tests/value/conftest.py).

Work recorded in October, with its cost (screener £30 an hour before 7 October, £36 from
then; manager £60; police researcher £40; health researcher £48):

screening, 30 min    A 5 Oct £15, B 6 Oct £15, C 7 Oct £18, F 20 Oct (police) £18,
                     E 30 Oct £18                                  5 pieces, 2.5 h, £84
RAG rating, 10 min   A £5, B £5 + £5 (re-grade), C £6, E £6       5 pieces, 50 min, £27
agency check         D police 1 Oct £40, A police £40 (60 min each);
                     A health £24 (30 min)                         3 pieces, 2.5 h, £104
decision, 30 min     D, A, B, B's amendment, C: £30 each           5 pieces, 2.5 h, £150
hand-on, 20 min      D 1 Oct £10, A £10, B early help 6 Oct £10,
                     B children's social care 8 Oct £12            4 pieces, 80 min, £42

Total £407 over 580 minutes (9 hours 40 minutes). Not counted: D's screening and rating (in
September) and E's police check (answered in November).

By agency: children's social care 18 pieces, 400 minutes, £285; police (F's screening
and two checks) 3 pieces, 2.5 h, £98; health 1 piece, 0.5 h, £24.

Contacts received in October: A, B, C, E, F (5): £407 / 5 = £81.40 a contact. First
decisions in October: D, A, B, C (4): £407 / 4 = £101.75 a decision.

Decided contacts received in October, by the outcome in force at the end: A strategy
discussion (£15 + £5 + £40 + £24 + £30 + £10 = £124), B assessment (£15 + £10 + £30 +
£30 + £10 + £12 = £107), C no further action (£18 + £6 + £30 = £54): 3 contacts, £285,
£95 each.
"""

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from openmash.core.side_by_side import connections_for
from openmash.metrics.filters import MetricFilter
from openmash.value.costing import ValueForMoney
from openmash.value.selectors import value_for_money_compute
from tests.value.conftest import LATER, OCTOBER, Hub, at

pytestmark = pytest.mark.django_db


def pennies(value: Decimal | None) -> Decimal:
    assert value is not None
    return value.quantize(Decimal("0.01"))


@pytest.fixture
def costs(october: Hub) -> ValueForMoney:
    return value_for_money_compute(OCTOBER)


def test_it_counts_and_costs_each_stage(costs: ValueForMoney) -> None:
    by_stage = {line.key: line for line in costs.stages}
    assert {key: line.items for key, line in by_stage.items()} == {
        "screening": 5,
        "rag_rating": 5,
        "agency_check": 3,
        "decision": 5,
        "hand_on": 4,
    }
    assert {key: pennies(line.cost) for key, line in by_stage.items()} == {
        "screening": Decimal("84.00"),
        "rag_rating": Decimal("27.00"),
        "agency_check": Decimal("104.00"),
        "decision": Decimal("150.00"),
        "hand_on": Decimal("42.00"),
    }
    assert by_stage["rag_rating"].hours * 60 == pytest.approx(Decimal(50))
    assert by_stage["hand_on"].hours * 60 == pytest.approx(Decimal(80))


def test_it_adds_up_the_total(costs: ValueForMoney) -> None:
    assert pennies(costs.cost) == Decimal("407.00")
    assert costs.hours * 60 == pytest.approx(Decimal(580))
    assert costs.items == 22
    assert costs.gaps == ()


def test_it_shows_each_agencys_contribution(costs: ValueForMoney) -> None:
    by_agency = {line.name: line for line in costs.agencies}
    assert list(by_agency) == ["Children's Social Care", "Police", "Health"]
    social_care, police, health = by_agency.values()
    assert (social_care.items, pennies(social_care.cost)) == (18, Decimal("285.00"))
    assert social_care.hours * 60 == pytest.approx(Decimal(400))
    assert (police.items, police.hours, pennies(police.cost)) == (
        3,
        Decimal("2.5"),
        Decimal("98.00"),
    )
    assert (health.items, health.hours, pennies(health.cost)) == (
        1,
        Decimal("0.5"),
        Decimal("24.00"),
    )
    police_stages = {line.key: (line.items, pennies(line.cost)) for line in police.stages}
    assert police_stages == {
        "screening": (1, Decimal("18.00")),
        "agency_check": (2, Decimal("80.00")),
    }


def test_it_divides_by_contacts_and_decisions(costs: ValueForMoney) -> None:
    assert costs.contacts_received == 5
    assert costs.decisions == 4
    assert pennies(costs.cost_per_contact) == Decimal("81.40")
    assert pennies(costs.cost_per_decision) == Decimal("101.75")


def test_it_costs_each_outcome_from_the_work_on_its_contacts(costs: ValueForMoney) -> None:
    assert {line.key: (line.contacts, pennies(line.cost)) for line in costs.outcomes} == {
        "assessment_s17": (1, Decimal("107.00")),
        "strategy_s47": (1, Decimal("124.00")),
        "nfa": (1, Decimal("54.00")),
    }
    assert {line.key: pennies(line.per_contact) for line in costs.outcome_kinds} == {
        "nfa": Decimal("54.00"),
        "assessment": Decimal("107.00"),
        "strategy_discussion": Decimal("124.00"),
    }
    assert (costs.decided.contacts, pennies(costs.decided.cost)) == (3, Decimal("285.00"))
    assert pennies(costs.decided.per_contact) == Decimal("95.00")


def test_a_later_change_to_a_rate_does_not_rewrite_the_period(october: Hub) -> None:
    from openmash.value.models import StaffCost

    StaffCost.objects.create(
        role="screener", hourly_cost=Decimal(90), effective_from=date(2026, 11, 1)
    )
    assert pennies(value_for_money_compute(OCTOBER).cost) == Decimal("407.00")


def test_a_backdated_correction_applies_from_its_date(october: Hub) -> None:
    from openmash.value.models import StageTime

    # Decisions take 60 minutes from 6 October: B's, its amendment and C's double.
    StageTime.objects.create(
        stage="decision", role="mash_manager", minutes=Decimal(60), effective_from=date(2026, 10, 6)
    )
    assert pennies(value_for_money_compute(OCTOBER).cost) == Decimal("497.00")


def test_it_lists_the_figures_it_used(costs: ValueForMoney) -> None:
    screener = [figure.value for figure in costs.costs if figure.key == "screener"]
    assert screener == [Decimal("30.00"), Decimal("36.00")]
    assert {figure.key for figure in costs.times} == {
        "screening",
        "rag_rating",
        "agency_check",
        "decision",
        "hand_on",
    }


def test_it_reports_work_with_no_hourly_cost(october: Hub) -> None:
    from openmash.value.models import StaffCost

    StaffCost.objects.filter(role="agency_researcher", agency_type="health").delete()
    costs = value_for_money_compute(OCTOBER)
    assert pennies(costs.cost) == Decimal("383.00")
    assert [(gap.role, gap.agency, gap.hours) for gap in costs.gaps] == [
        ("Agency researcher", "Health", Decimal("0.5"))
    ]


def test_an_empty_period_costs_nothing(october: Hub) -> None:
    costs = value_for_money_compute(
        MetricFilter(start=date(2026, 8, 1), end=date(2026, 8, 31), now=LATER)
    )
    assert (costs.items, costs.cost, costs.cost_per_contact, costs.cost_per_decision) == (
        0,
        Decimal(0),
        None,
        None,
    )


def test_the_period_ends_now_when_now_is_earlier(october: Hub) -> None:
    # On 6 October at noon: A's work, B's screening and two ratings, D's check, decision
    # and hand-on: screening 2 x £15, ratings 3 x £5, checks £40 + £40 + £24,
    # decisions 2 x £30, hand-ons 2 x £10.
    so_far = MetricFilter(start=date(2026, 10, 1), end=date(2026, 10, 31), now=at(6, 12))
    assert pennies(value_for_money_compute(so_far).cost) == Decimal("229.00")


def test_it_uses_the_same_number_of_queries_however_much_work(october: Hub) -> None:
    with CaptureQueriesContext(connection) as small:
        value_for_money_compute(OCTOBER)
    for number in range(6):
        name = f"extra{number}"
        october.receive(name, at(12, 9 + number), number=number + 10)
        october.take(name, at(12, 9 + number, 30))
        october.rate(name, "amber", at(12, 9 + number, 40))
        october.enquire(name, ["police", "health"], at(12, 9 + number, 40))
        october.answer(name, "police", at(13, 9 + number))
    with CaptureQueriesContext(connection) as large:
        value_for_money_compute(OCTOBER)
    assert len(large.captured_queries) == len(small.captured_queries) <= 12


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite counts on one connection")
@pytest.mark.django_db(transaction=True)
def test_counted_over_several_connections_it_costs_what_one_connection_costs(
    october: Hub, settings: Any
) -> None:
    # On PostgreSQL the stages are counted side by side (ADR 0034).
    settings.OPENMASH_METRICS_CONNECTIONS = 1
    one_by_one = value_for_money_compute(OCTOBER)
    settings.OPENMASH_METRICS_CONNECTIONS = 4

    side_by_side = value_for_money_compute(OCTOBER)

    assert connections_for(8) == 4
    assert side_by_side == one_by_one
    assert pennies(side_by_side.cost) == pennies(one_by_one.cost) > 0
