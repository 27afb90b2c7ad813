"""What the extracts count as a referral, its date, and its no-further-action flag.

- **A referral** (in the Children in Need census sense) is a contact the MASH decided to
  pass to children's social care for an assessment or a strategy discussion: a decision
  on it, the original or an amendment, has an outcome of one of those kinds (the area's
  configuration, Outcome.kind; by default "assessment (section 17)" and "strategy
  discussion and section 47 enquiry"), as the indicators' conversion rate counts them.
  Passing a contact to a child's allocated social worker is not a new referral (the
  child's case is open already), nor is a transfer to another local authority.
- **The referral date** is the day, in UK time, of the first such decision. Amending the
  decision later does not move it.
- **No further action.** OpenMASH does not record what children's social care did with
  a case after the hand-on (an assessment's outcome lives in their own system). What it
  records is whether the case stayed with them: a team can return a case to the MASH,
  and a manager amend the decision. So a referral is flagged "no further action" when
  the decision in force (the latest amendment) is no longer an assessment or strategy
  discussion: amended to no further action, information and advice or early help,
  typically after social care returned it. A referral whose decision in force is still
  an assessment or strategy discussion is not flagged (an assessment that ends with
  nothing more to do is a closure, RC8, not a referral with no further action). A case
  social care has returned and the manager has not yet decided again keeps its decision
  in force until then.
- **Primary need and factors** come from the decision in force; **the team** is the
  receiving team of the latest assessment or strategy discussion decision, and **the
  worker** the one children's social care named when it last accepted the case.

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
from openmash.enquiries.models import Decision, HandOn, HandOnState
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
    referred_at: datetime
    no_further_action: bool
    primary_need: str
    factor_codes: tuple[str, ...]
    team: str
    worker: str


# The kinds of outcome that make a contact a referral to children's social care.
REFERRAL_KINDS = (OutcomeKind.ASSESSMENT, OutcomeKind.STRATEGY_DISCUSSION)


def _to_social_care() -> QuerySet[Decision]:
    return Decision.objects.filter(outcome__kind__in=REFERRAL_KINDS)


def referral_times_in(period: Period) -> QuerySet[Any]:
    """(contact_id, referred_at) of every referral made in the period: contacts first
    sent to children's social care in it. A queryset of one query, usable as a subquery
    (`.values("contact_id")`)."""
    return (
        _to_social_care()
        .order_by()
        .values("contact_id")
        .annotate(referred_at=Min("decided_at"))
        .filter(referred_at__gte=period.starts_at, referred_at__lt=period.ends_at)
    )


def referral_times(contact_ids: Sequence[int]) -> dict[int, datetime]:
    """When each of these contacts became a referral, if it did: one query per 500."""
    times: dict[int, datetime] = {}
    for chunk in chunked(sorted(set(contact_ids)), IDS_PER_QUERY):
        times.update(
            _to_social_care()
            .filter(contact_id__in=chunk)
            .order_by()
            .values("contact_id")
            .annotate(referred_at=Min("decided_at"))
            .values_list("contact_id", "referred_at")
        )
    return times


def _in_force(decisions: list[Decision]) -> Decision:
    """The decision in force: the one no amendment replaces (the latest, if two are)."""
    replaced = {decision.amends_id for decision in decisions}
    current = [decision for decision in decisions if decision.pk not in replaced]
    return max(current or decisions, key=lambda decision: (decision.decided_at, decision.pk))


def referrals_in(period: Period) -> dict[int, Referral]:
    """Every referral made in the period, by contact id: three queries."""
    made = referral_times_in(period)
    referred_at: dict[int, datetime] = dict(made.values_list("contact_id", "referred_at"))
    contacts = made.values("contact_id")
    decisions: dict[int, list[Decision]] = {}
    for decision in (
        Decision.objects.filter(contact_id__in=contacts)
        .select_related("outcome")
        .only(
            "id",
            "contact_id",
            "amends_id",
            "decided_at",
            "primary_need",
            "factor_codes",
            "receiving_team",
            "outcome__kind",
        )
        .order_by("decided_at", "id")
    ):
        decisions.setdefault(decision.contact_id, []).append(decision)
    workers: dict[int, str] = dict(
        HandOn.objects.filter(
            contact_id__in=contacts,
            team=HandOnTeam.CHILDRENS_SOCIAL_CARE,
            state=HandOnState.ACCEPTED,
        )
        .order_by("created_at", "id")
        .values_list("contact_id", "allocated_worker")
    )
    referrals: dict[int, Referral] = {}
    for contact_id, moment in referred_at.items():
        chain = decisions.get(contact_id, [])
        if not chain:  # decided and gone between the two queries: nothing to report
            continue
        in_force = _in_force(chain)
        to_social_care = [decision for decision in chain if decision.outcome.kind in REFERRAL_KINDS]
        referrals[contact_id] = Referral(
            contact_id=contact_id,
            referred_at=moment,
            no_further_action=in_force.outcome.kind not in REFERRAL_KINDS,
            primary_need=in_force.primary_need,
            factor_codes=tuple(in_force.factor_codes),
            team=to_social_care[-1].receiving_team if to_social_care else "",
            worker=workers.get(contact_id, ""),
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
    """The children of the referrals made in the period: the referrals' three queries,
    one for the children, and the child index's few."""
    referrals = referrals_in(period)
    people = [
        person
        for person in children_in(Q(contact_id__in=referral_times_in(period).values("contact_id")))
        if person.contact_id in referrals
    ]
    index = child_index(people)
    children = [
        ReferredChild(person=person, child_id=child, referral=referrals[person.contact_id])
        for person, child in once_per_child(people, index)
    ]
    children.sort(
        key=lambda each: (each.referral.referred_at, each.person.contact_id, each.person.position)
    )
    return ReferredChildren(children=children, index=index)
