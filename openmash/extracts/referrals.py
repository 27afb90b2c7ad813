"""What the extracts count as a referral, its date, and its no-further-action flag: per
child, as the Children in Need census counts referrals (ADR 0022).

- **A referral** (in the Children in Need census sense) is a child the MASH decided to
  pass to children's social care for an assessment or a strategy discussion: the child's
  own outcome in a decision on the contact, the original or an amendment, is of one of
  those kinds (the area's configuration, Outcome.kind; by default "assessment (section
  17)" and "strategy discussion and section 47 enquiry"), as the indicators' conversion
  rate counts them. A sibling the same decision closed with advice is not a referral.
  Passing a contact to a child's allocated social worker is not a new referral (the
  child's case is open already), nor is a transfer to another local authority.
- **The referral date** is the day, in UK time, of the first decision giving the child
  such an outcome. Amending the decision later does not move it.
- **No further action.** OpenMASH does not record what children's social care did with
  a case after the hand-on (an assessment's outcome lives in their own system). What it
  records is whether the child stayed with them: a team can return a case to the MASH,
  and a manager amend the decision. So a referral is flagged "no further action" when
  the child's outcome in the decision in force (the latest amendment) is no longer an
  assessment or strategy discussion: amended to no further action, information and
  advice or early help, typically after social care returned it. A referral whose
  outcome in force is still an assessment or strategy discussion is not flagged (an
  assessment that ends with nothing more to do is a closure, RC8, not a referral with no
  further action). A case social care has returned and the manager has not yet decided
  again keeps its decision in force until then.
- **Primary need** is the child's own in the decision in force, and **factors** that
  decision's (the MASH records factors once for the contact); **the team** is the
  child's receiving team in the latest decision giving them an assessment or strategy
  discussion, and **the worker** the one children's social care named when it last
  accepted a hand-on naming the child.

Everything is read as it stands when the extract is made, not as it stood at the end
of the period.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Min, Q, QuerySet

from openmash.area.models import HandOnTeam, OutcomeKind
from openmash.contacts.models import ContactPerson
from openmash.core.period import Period
from openmash.enquiries.models import DecisionChild, HandOn, HandOnState
from openmash.extracts.children import (
    IDS_PER_QUERY,
    ChildIndex,
    child_index,
    children_in,
    chunked,
    once_per_child,
)


@dataclass(frozen=True)
class Referral:
    contact_id: int
    # The child's record in the contact (a ContactPerson id).
    person_id: int
    referred_at: datetime
    no_further_action: bool
    primary_need: str
    factor_codes: tuple[str, ...]
    team: str
    worker: str


# The kinds of outcome that make a child's outcome a referral to children's social care.
REFERRAL_KINDS = (OutcomeKind.ASSESSMENT, OutcomeKind.STRATEGY_DISCUSSION)


def _to_social_care() -> QuerySet[DecisionChild]:
    return DecisionChild.objects.filter(outcome__kind__in=REFERRAL_KINDS)


def referral_times_in(period: Period) -> QuerySet[Any]:
    """(person_id, referred_at) of every referral made in the period: each child's record
    first given an outcome to children's social care in it. A queryset of one query,
    usable as a subquery (`.values("person_id")`)."""
    return (
        _to_social_care()
        .order_by()
        .values("person_id")
        .annotate(referred_at=Min("decision__decided_at"))
        .filter(referred_at__gte=period.starts_at, referred_at__lt=period.ends_at)
    )


def referral_times(person_ids: Sequence[int]) -> dict[int, datetime]:
    """When each of these children's records became a referral, if it did: one query per
    500."""
    times: dict[int, datetime] = {}
    for chunk in chunked(sorted(set(person_ids)), IDS_PER_QUERY):
        times.update(
            _to_social_care()
            .filter(person_id__in=chunk)
            .order_by()
            .values("person_id")
            .annotate(referred_at=Min("decision__decided_at"))
            .values_list("person_id", "referred_at")
        )
    return times


def _in_force(rows: list[DecisionChild]) -> DecisionChild:
    """The child's row in the decision in force: the one no amendment replaces (the
    latest, if two are)."""
    replaced = {row.decision.amends_id for row in rows}
    current = [row for row in rows if row.decision_id not in replaced]
    return max(current or rows, key=lambda row: (row.decision.decided_at, row.decision_id))


def referrals_in(period: Period) -> dict[int, Referral]:
    """Every referral made in the period, by the child's record (person id): three
    queries."""
    made = referral_times_in(period)
    referred_at: dict[int, datetime] = dict(made.values_list("person_id", "referred_at"))
    people = made.values("person_id")
    rows: dict[int, list[DecisionChild]] = {}
    for row in (
        DecisionChild.objects.filter(person_id__in=people)
        .select_related("decision", "outcome")
        .only(
            "id",
            "person_id",
            "decision_id",
            "primary_need",
            "receiving_team",
            "outcome__kind",
            "decision__contact_id",
            "decision__amends_id",
            "decision__decided_at",
            "decision__factor_codes",
        )
        .order_by("decision__decided_at", "decision_id")
    ):
        rows.setdefault(row.person_id, []).append(row)
    workers: dict[int, str] = dict(
        HandOn.children.through.objects.filter(
            contactperson_id__in=people,
            handon__team=HandOnTeam.CHILDRENS_SOCIAL_CARE,
            handon__state=HandOnState.ACCEPTED,
        )
        .order_by("handon__created_at", "handon_id")
        .values_list("contactperson_id", "handon__allocated_worker")
    )
    referrals: dict[int, Referral] = {}
    for person_id, moment in referred_at.items():
        chain = rows.get(person_id, [])
        if not chain:  # decided and gone between the two queries: nothing to report
            continue
        in_force = _in_force(chain)
        to_social_care = [row for row in chain if row.outcome.kind in REFERRAL_KINDS]
        referrals[person_id] = Referral(
            contact_id=in_force.decision.contact_id,
            person_id=person_id,
            referred_at=moment,
            no_further_action=in_force.outcome.kind not in REFERRAL_KINDS,
            primary_need=in_force.primary_need,
            factor_codes=tuple(in_force.decision.factor_codes),
            team=to_social_care[-1].receiving_team if to_social_care else "",
            worker=workers.get(person_id, ""),
        )
    return referrals


@dataclass(frozen=True)
class ReferredChild:
    person: ContactPerson
    child_id: int
    referral: Referral


@dataclass(frozen=True)
class ReferredChildren:
    """Each child in each referral made in the period, in the order the referrals were
    made, and the index of every record of those children."""

    children: list[ReferredChild]
    index: ChildIndex


def referred_children(period: Period) -> ReferredChildren:
    """The children referred in the period: the referrals' three queries, one for the
    children, and the child index's few."""
    referrals = referrals_in(period)
    people = [
        person
        for person in children_in(Q(pk__in=referral_times_in(period).values("person_id")))
        if person.pk in referrals
    ]
    index = child_index(people)
    children = [
        ReferredChild(person=person, child_id=child, referral=referrals[person.pk])
        for person, child in once_per_child(people, index)
    ]
    children.sort(
        key=lambda each: (each.referral.referred_at, each.person.contact_id, each.person.position)
    )
    return ReferredChildren(children=children, index=index)
