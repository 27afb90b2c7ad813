"""Outcomes: what the MASH decides, how often it leads to social care, and what early
help does with the cases stepped down to it.

Which outcomes are which is read from the area's configuration: each outcome says what
kind it is (Outcome.kind: no further action, information and advice, early help,
assessment, strategy discussion or other), so the figures count by kind whatever an area
calls its outcomes or however many it has of each kind.
"""

from collections import Counter
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum

from openmash.area.models import HandOnTeam, Outcome, OutcomeKind
from openmash.enquiries.models import HandOnState
from openmash.metrics.cohort import (
    children_decided,
    contacts_received,
    hand_on_answered_by,
    hand_on_withdrawn_by,
    hand_ons_on,
    with_outcome_in_force,
)
from openmash.metrics.figures import Breakdown, CountRow, RateRow, RateTable, StepDown
from openmash.metrics.filters import MetricFilter
from openmash.metrics.indicators.registry import Group, Unit, indicator, shared

DECIDED = """Counts each child named in the contacts received in the period that the MASH
had decided by the end of the period, by that child's own outcome in the decision in force
then (a contact about two siblings counts twice, once for each child's outcome, as the
Children in Need census counts referrals per child): an amended decision counts as
amended, not as first made."""


@shared
def decided_by_outcome(f: MetricFilter) -> Mapping[int, int]:
    """The children in the contacts received in the period and decided by its end, by
    their own outcome (id) in the decision in force then: three queries (once for every
    indicator that counts them, `shared`)."""
    decided = children_decided(f)
    counts: Counter[int] = Counter(
        dict(
            decided.together.values("outcome_id")
            .annotate(m_children=Sum("children"))
            .values_list("outcome_id", "m_children")
        )
    )
    for children in (decided.apart, decided.changed):
        counts.update(
            dict(
                children.values("outcome_id")
                .annotate(m_children=Count("pk"))
                .values_list("outcome_id", "m_children")
            )
        )
    return MappingProxyType(dict(counts))


def contacts_decided_by_outcome(f: MetricFilter) -> dict[int, int]:
    """Contacts received in the period and decided by its end, by the outcome (id) of the
    decision in force then (the most serious child's, ADR 0022): one query. The value for
    money figures cost work per contact, so they count contacts, not children."""
    decided: QuerySet[Any] = with_outcome_in_force(contacts_received(f), f).filter(
        Q(m_outcome__isnull=False)
    )
    return dict(
        decided.values("m_outcome")
        .annotate(contacts=Count("pk"))
        .values_list("m_outcome", "contacts")
    )


@indicator(
    key="outcome_shares",
    cost=35,
    title="Outcomes of MASH decisions",
    definition=f"""The share of decided children with each outcome (no further action,
    information and advice, step down to early help, assessment, strategy discussion and
    the others the area has set up). {DECIDED}""",
    unit=Unit.PERCENT,
    group=Group.OUTCOMES,
)
def outcome_shares(f: MetricFilter) -> Breakdown:
    counts = decided_by_outcome(f)
    outcomes = Outcome.objects.order_by("order", "id")
    return Breakdown(
        "Outcome",
        tuple(
            CountRow(outcome.code, outcome.label, counts[outcome.pk])
            for outcome in outcomes
            if outcome.pk in counts
        ),
    )


@indicator(
    key="conversion_to_social_care",
    cost=20,
    title="Conversion to a social-care assessment or strategy discussion",
    definition=f"""The share of decided children whose outcome is a children's social
    care assessment (such as under section 17) or a strategy discussion (and section 47
    enquiry): the outcomes the area has marked as those kinds. Other outcomes handed on
    to children's social care, such as passing the contact to a child's allocated worker,
    are not counted. {DECIDED}""",
    unit=Unit.PERCENT,
    group=Group.OUTCOMES,
)
def conversion_to_social_care(f: MetricFilter) -> RateTable:
    counts = decided_by_outcome(f)
    decided = sum(counts.values())
    kinds = dict(Outcome.objects.values_list("pk", "kind"))

    def of_kind(kind: OutcomeKind) -> int:
        return sum(count for pk, count in counts.items() if kinds.get(pk) == kind)

    assessment = of_kind(OutcomeKind.ASSESSMENT)
    strategy = of_kind(OutcomeKind.STRATEGY_DISCUSSION)
    return RateTable(
        "Outcome",
        "Children",
        "Decided",
        RateRow("", "Assessment or strategy discussion", assessment + strategy, decided),
        (
            RateRow(OutcomeKind.ASSESSMENT.value, "Social care assessment", assessment, decided),
            RateRow(
                OutcomeKind.STRATEGY_DISCUSSION.value, "Strategy discussion", strategy, decided
            ),
        ),
        shared_denominator=True,
    )


@indicator(
    key="step_down_to_early_help",
    cost=20,
    title="Step-down to early help",
    definition=f"""The share of decided children stepped down to early help (their
    outcome in the decision in force is of the early help kind), and what early help did
    with the cases handed to it by the end of the period: accepted them, returned them to
    the MASH, not answered yet, or had them withdrawn when an amended decision sent the
    case elsewhere. A hand-on is counted once however many of a contact's children it
    hands on; a case returned and handed on again counts each time. {DECIDED}""",
    unit=Unit.PERCENT,
    group=Group.OUTCOMES,
)
def step_down_to_early_help(f: MetricFilter) -> StepDown:
    counts = decided_by_outcome(f)
    early_help = Outcome.objects.filter(kind=OutcomeKind.EARLY_HELP).values_list("pk", flat=True)
    hand_ons = (
        hand_ons_on(f, since=f.starts_at)
        .filter(team=HandOnTeam.EARLY_HELP)
        .aggregate(
            made=Count("pk"),
            accepted=Count("pk", filter=hand_on_answered_by(f) & Q(state=HandOnState.ACCEPTED)),
            returned=Count("pk", filter=hand_on_answered_by(f) & Q(state=HandOnState.RETURNED)),
            withdrawn=Count("pk", filter=hand_on_withdrawn_by(f)),
        )
    )
    return StepDown(
        decided=sum(counts.values()),
        stepped_down=sum(counts.get(pk, 0) for pk in early_help),
        hand_ons=hand_ons["made"],
        accepted=hand_ons["accepted"],
        returned=hand_ons["returned"],
        pending=hand_ons["made"]
        - hand_ons["accepted"]
        - hand_ons["returned"]
        - hand_ons["withdrawn"],
        withdrawn=hand_ons["withdrawn"],
    )
