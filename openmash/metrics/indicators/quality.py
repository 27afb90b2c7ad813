"""Quality: no further action by who referred, re-referrals, and amended decisions."""

from dataclasses import dataclass
from typing import Any

from django.db.models import (
    Count,
    F,
    Q,
    QuerySet,
    Sum,
)
from django.db.models.functions import Coalesce

from openmash.area.models import Outcome, OutcomeKind
from openmash.contacts.codes import ReferralSource
from openmash.metrics.cohort import (
    children_decided,
)
from openmash.metrics.figures import Amendments, Rate, RateRow, RateTable
from openmash.metrics.filters import MetricFilter
from openmash.metrics.indicators.outcomes import DECIDED
from openmash.metrics.indicators.registry import Group, Unit, indicator, shared
from openmash.metrics.indicators.tallies import tallied
from openmash.metrics.re_referral import RE_REFERRAL_DAYS

# Referrers who are people, not organisations: what they type as an organisation is not
# shown (it may be their own name).
INDIVIDUAL_SOURCES = (
    ReferralSource.FAMILY,
    ReferralSource.ACQUAINTANCE,
    ReferralSource.SELF,
    ReferralSource.OTHER_INDIVIDUAL,
    ReferralSource.ANONYMOUS,
)
NOT_AN_ORGANISATION = "Individuals, anonymous referrers and organisation not recorded"
LARGEST_ORGANISATIONS = 20
OTHER_ORGANISATIONS = "Every other organisation"
NFA = """No further action: the outcome of the decision in force is of the no further
action kind. Information and advice is a different kind and is not counted here."""


@dataclass(frozen=True)
class _NfaGroup:
    source: str
    organisation: str  # as typed, in small letters, trimmed; "" for individuals
    label: str  # the first of the ways it was typed (trimmed), in binary order
    nfa: int
    decided: int


@shared
def _nfa_groups(f: MetricFilter) -> tuple[_NfaGroup, ...]:
    """The children decided by the end of the period (each with their own outcome in the
    decision in force), and of them those with no further action, by their contact's
    referral source and referring organisation: three queries (children_decided's three
    parts, added up) for both indicators below."""
    is_nfa = Q(outcome__in=Outcome.objects.filter(kind=OutcomeKind.NO_FURTHER_ACTION).values("pk"))
    children = children_decided(f)
    # The rows, the path from a row to its referral source and organisation (the facts'
    # own copy for the many read from the facts alone; the contact's for the few read
    # child by child), and how many children (and of them with no further action) a
    # group of rows stands for.
    parts: list[tuple[QuerySet[Any], str, Sum | Count, Sum | Count]] = [
        (children.together, "", Sum("children"), Sum("children", filter=is_nfa)),
        (children.apart, "decision__contact__", Count("pk"), Count("pk", filter=is_nfa)),
        (children.changed, "decision__contact__", Count("pk"), Count("pk", filter=is_nfa)),
    ]
    merged: dict[tuple[str, str], tuple[str, int, int]] = {}
    for part, contact, counted, counted_nfa in parts:
        # By the organisation as typed; its key (trimmed of spaces, in small letters) and
        # label are worked out here for each of the few ways it was typed: lowering and
        # trimming every child's row in the database took half the query's time.
        rows = (
            part.values(
                m_source=F(f"{contact}referral_source"),
                m_organisation_typed=F(f"{contact}referrer_organisation"),
            )
            .annotate(nfa=Coalesce(counted_nfa, 0), decided=counted)
            .values_list("m_source", "m_organisation_typed", "nfa", "decided")
        )
        for source, typed, nfa_count, decided_count in rows:
            label = typed.strip(" ")
            key = (source, "" if source in INDIVIDUAL_SOURCES else label.lower())
            if key in merged:
                earlier, earlier_nfa, earlier_decided = merged[key]
                label = min(earlier, label)
                nfa_count += earlier_nfa
                decided_count += earlier_decided
            merged[key] = (label, nfa_count, decided_count)
    return tuple(
        _NfaGroup(source, organisation_key, label, nfa_count, decided)
        for (source, organisation_key), (label, nfa_count, decided) in merged.items()
    )


@indicator(
    key="nfa_by_source",
    cost=25,
    title="No further action by referral source",
    definition=f"""The share of decided children with no further action, by the referral
    source the referrer gave (Children in Need census codes). {NFA} {DECIDED}""",
    unit=Unit.PERCENT,
    group=Group.QUALITY,
)
def nfa_by_source(f: MetricFilter) -> RateTable:
    rows: dict[str, tuple[int, int]] = {}
    for group in _nfa_groups(f):
        nfa, decided = rows.get(group.source, (0, 0))
        rows[group.source] = (nfa + group.nfa, decided + group.decided)
    labels = dict(ReferralSource.choices)
    ordered = [code for code in ReferralSource.values if code in rows] + sorted(
        code for code in rows if code not in labels
    )
    return RateTable(
        "Referral source",
        "No further action",
        "Decided",
        RateRow(
            "",
            "All sources",
            sum(nfa for nfa, _ in rows.values()),
            sum(decided for _, decided in rows.values()),
        ),
        tuple(RateRow(code, str(labels.get(code, code)), *rows[code]) for code in ordered),
    )


@indicator(
    key="nfa_by_organisation",
    cost=15,
    title="No further action by referring organisation",
    definition=f"""The share of decided children with no further action, by the
    organisation the referrer gave (as typed, ignoring capitals and spaces at either end),
    for the {LARGEST_ORGANISATIONS} organisations with the most decided children; the rest
    are added together. Referrers who are individuals (family, acquaintances, the child,
    other individuals) and anonymous referrers are counted together and never named.
    {NFA} {DECIDED}""",
    unit=Unit.PERCENT,
    group=Group.QUALITY,
)
def nfa_by_organisation(f: MetricFilter) -> RateTable:
    # An organisation typed by referrers of several sources is one organisation. Its label
    # is the least of each source's labels, as the database's binary order would choose
    # (Python compares text by code point, the order of its UTF-8 bytes).
    merged: dict[str, tuple[str, int, int]] = {}
    for group in _nfa_groups(f):
        label, nfa, decided = merged.get(group.organisation, (group.label, 0, 0))
        merged[group.organisation] = (
            min(label, group.label),
            nfa + group.nfa,
            decided + group.decided,
        )
    groups = sorted(
        ((key, label, nfa, decided) for key, (label, nfa, decided) in merged.items()),
        key=lambda group: (-group[3], group[0]),
    )
    named = [group for group in groups if group[0]]
    largest = named[:LARGEST_ORGANISATIONS]
    rest = named[LARGEST_ORGANISATIONS:]
    unnamed = [group for group in groups if not group[0]]
    rows = [RateRow(key, label, nfa, decided) for key, label, nfa, decided in largest]
    if rest:
        rows.append(
            RateRow(
                "other",
                OTHER_ORGANISATIONS,
                sum(group[2] for group in rest),
                sum(group[3] for group in rest),
            )
        )
    if unnamed:
        rows.append(
            RateRow(
                "individuals",
                NOT_AN_ORGANISATION,
                sum(group[2] for group in unnamed),
                sum(group[3] for group in unnamed),
            )
        )
    return RateTable(
        "Referring organisation",
        "No further action",
        "Decided",
        RateRow(
            "",
            "All referrers",
            sum(group[2] for group in groups),
            sum(group[3] for group in groups),
        ),
        tuple(rows),
    )


@indicator(
    key="re_referrals",
    cost=15,
    title="Re-referrals within 12 months",
    definition=f"""The share of contacts received in the period about a child the MASH
    had already decided on in the {RE_REFERRAL_DAYS} days before: a child the contact is
    about (or a sibling named in it) was named in an earlier contact that the MASH first
    decided on no more than {RE_REFERRAL_DAYS} days before this contact was received.

    The same child means the same NHS number, the same unique pupil number, or the same
    family name, given names and date of birth; or a match a screener confirmed between
    the two records. A match a screener rejected or undid keeps the records apart, as does
    an identifier conflict (the same number on records whose names or dates of birth
    disagree) until a screener decides it, or once they decide different children. This
    is the area's cumulative-concern rule for re-referrals; the national figure (22% of
    referrals in England) counts referrals to children's social care instead.""",
    unit=Unit.PERCENT,
    group=Group.QUALITY,
)
def re_referrals(f: MetricFilter) -> Rate:
    # The flag is worked out when the contact's facts are written (re_referral.py).
    counts = tallied(f)
    return Rate(counts.re_referrals, counts.contacts)


@indicator(
    key="decisions_amended",
    cost=15,
    title="Decisions amended",
    definition="""The share of contacts received in the period and decided by its end
    whose decision was amended (with a recorded reason) by the end of the period, and how
    many amendments were made: a decision can be amended more than once, for instance
    when a team returns the case to the MASH.""",
    unit=Unit.PERCENT,
    group=Group.QUALITY,
)
def decisions_amended(f: MetricFilter) -> Amendments:
    counts = tallied(f)
    return Amendments(decided=counts.decided, amended=counts.amended, amendments=counts.amendments)
