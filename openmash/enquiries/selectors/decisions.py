"""Every read for the MASH manager's decisions and the receiving teams' hand-ons: scoped by
role (and, for a hand-on, by the team it was passed to) and audited."""

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import (
    Count,
    F,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    prefetch_related_objects,
)
from django.http import Http404

from openmash.accounts.models import User
from openmash.area.deadlines import hand_on_deadlines_fill
from openmash.area.models import HandOnTeam, LevelOfNeed, Outcome
from openmash.contacts.codes import CHILD_ROLES, ContactState
from openmash.contacts.models import Contact, ContactPerson
from openmash.contacts.selectors import contact_get_visible_to
from openmash.core.audit import Actor, audit_record, audit_record_many
from openmash.core.keyset import KeysetPage, keyset_page_oldest_first
from openmash.core.models import AuditAction
from openmash.core.roles import AgencyType
from openmash.enquiries.models import (
    AgencyCheck,
    CheckFinding,
    CheckState,
    ClosureProposal,
    Decision,
    HandOn,
    HandOnState,
    Message,
    MessageStatus,
    ProposalState,
    RagRating,
)
from openmash.enquiries.selectors.checks import findings_for_contact
from openmash.enquiries.services.hand_ons import QUEUED_TEAMS
from openmash.enquiries.summary import HAND_ON_CHILDREN, suggested_findings

# The largest id a database row can have: larger ones are not looked up at all.
MAX_ID = 2**63 - 1
# How many answered hand-ons the queue shows under the pending ones.
RECENTLY_ANSWERED = 20
# Waiting hand-ons shown a page at a time, oldest first (keyset paging: the same cost on
# the last page as on the first, however many wait).
HAND_ONS_PER_PAGE = 50
# How many undelivered emails the decisions queue lists, the most recently tried first.
UNDELIVERED_LISTED = 50


def _require(actor: Actor, permission: str) -> User:
    if actor.token is not None or actor.user is None or not actor.user.has_perm(permission):
        raise PermissionDenied
    return actor.user


# A decision's children's outcomes, for the pages that show them (child_outcomes.children_of).
DECISION_CHILDREN = (
    "child_outcomes__outcome",
    "child_outcomes__level_of_need",
    "child_outcomes__person",
)


def _children() -> Prefetch:
    return Prefetch(
        "people",
        queryset=ContactPerson.objects.filter(role__in=CHILD_ROLES).order_by("position"),
        to_attr="children",
    )


# --- The decisions queue ---------------------------------------------------------------


@dataclass(frozen=True)
class DecisionQueue:
    """Contacts waiting for the manager (each with `pending_proposals`, `outstanding_checks`
    and, for a case returned by the team it was handed to, `returned_team` and
    `returned_reason` annotations) and contacts whose agency checks are still running
    (each with `outstanding_checks` and `total_checks`), both due first; and the emails the
    mail server did not take (at most UNDELIVERED_LISTED, with `more_undelivered` saying
    whether there are others)."""

    awaiting: Sequence[Contact]
    in_checks: Sequence[Contact]
    undelivered: Sequence[Message] = ()
    more_undelivered: bool = False


def _due_first(contacts: QuerySet[Contact]) -> QuerySet[Contact]:
    return contacts.select_related("rag_level").order_by(
        F("deadline_at").asc(nulls_last=True), "received_at", "id"
    )


def decision_queue_for(*, actor: Actor) -> DecisionQueue:
    """What the MASH manager has to decide, due first; records each contact listed."""
    _require(actor, "enquiries.view_decisions_queue")
    outstanding = Count("agency_checks", filter=Q(agency_checks__state=CheckState.REQUESTED))
    awaiting = list(
        _due_first(Contact.objects.filter(state=ContactState.AWAITING_DECISION))
        .annotate(
            outstanding_checks=outstanding,
            returned_team=Subquery(_latest_return().values("team")[:1]),
            returned_reason=Subquery(_latest_return().values("return_reason")[:1]),
        )
        .prefetch_related(
            _children(),
            Prefetch(
                "closure_proposals",
                queryset=ClosureProposal.objects.filter(state=ProposalState.PROPOSED)
                .select_related("outcome", "proposed_by")
                .order_by("-proposed_at", "-id"),
                to_attr="pending_proposals",
            ),
        )
    )
    in_checks = list(
        _due_first(Contact.objects.filter(state=ContactState.CHECKS_IN_PROGRESS))
        .annotate(outstanding_checks=outstanding, total_checks=Count("agency_checks"))
        .prefetch_related(_children())
    )
    undelivered = list(
        _undelivered().select_related("contact", "to_user")[: UNDELIVERED_LISTED + 1]
    )
    audit_record_many(
        actor=actor,
        action=AuditAction.LIST,
        object_type="contact",
        objects=[(contact.pk, contact.pk) for contact in [*awaiting, *in_checks]],
        detail={"view": "decisions queue"},
    )
    audit_record_many(
        actor=actor,
        action=AuditAction.LIST,
        object_type="message",
        objects=[(message.pk, message.contact_id) for message in undelivered],
        detail={"view": "decisions queue"},
    )
    return DecisionQueue(
        awaiting=awaiting,
        in_checks=in_checks,
        undelivered=undelivered[:UNDELIVERED_LISTED],
        more_undelivered=len(undelivered) > UNDELIVERED_LISTED,
    )


def _latest_return() -> QuerySet[HandOn]:
    return HandOn.objects.filter(contact=OuterRef("pk"), state=HandOnState.RETURNED).order_by(
        "-responded_at", "-id"
    )


def _undelivered() -> QuerySet[Message]:
    """Emails the mail server did not take: still to be tried again, or given up."""
    return Message.objects.filter(status=MessageStatus.FAILED).order_by(
        F("last_attempt_at").desc(nulls_last=True), "-id"
    )


# --- The decision page -----------------------------------------------------------------


@dataclass(frozen=True)
class DecisionOptions:
    """The area's levels of need and the outcomes a manager may choose (not 'already
    open', which a screener records by passing the contact to the allocated worker)."""

    levels: list[LevelOfNeed]
    outcomes: list[Outcome]


def decision_options() -> DecisionOptions:
    return DecisionOptions(
        levels=list(LevelOfNeed.objects.order_by("number")),
        outcomes=list(
            Outcome.objects.filter(active=True)
            .exclude(hand_on_to=HandOnTeam.ALLOCATED_WORKER)
            .order_by("order", "id")
        ),
    )


@dataclass(frozen=True)
class DecisionPage:
    """Everything the MASH knows about a contact, for the manager deciding it."""

    contact: Contact
    ratings: list[RagRating]
    checks: list[AgencyCheck]
    proposals: list[ClosureProposal]
    # Newest first: the current decision, then what it amended, back to the original.
    decisions: list[Decision]
    hand_ons: list[HandOn]
    waived_by: dict[int, User] = field(default_factory=dict)
    # Emails about the contact that the mail server did not take.
    undelivered: list[Message] = field(default_factory=list)

    @property
    def current_decision(self) -> Decision | None:
        return next((d for d in self.decisions if not _is_amended(d, self.decisions)), None)

    @property
    def pending_proposal(self) -> ClosureProposal | None:
        return next((p for p in self.proposals if p.state == ProposalState.PROPOSED), None)


def _is_amended(decision: Decision, decisions: list[Decision]) -> bool:
    return any(other.amends_id == decision.pk for other in decisions)


def decision_page_for(*, actor: Actor, reference: str) -> DecisionPage:
    """The contact with its people and concerns, RAG history, every agency's check and
    findings, closure proposals, decisions and hand-ons: for the MASH's screeners and
    managers only. Records the read of the contact and of each check."""
    _require(actor, "enquiries.view_all_findings")
    contact = contact_get_visible_to(actor=actor, reference=reference)
    checks = findings_for_contact(actor=actor, contact=contact)
    waiver_ids = {check.waived_by_id for check in checks if check.waived_by_id is not None}
    return DecisionPage(
        contact=contact,
        ratings=list(
            RagRating.objects.filter(contact=contact)
            .select_related("level", "set_by")
            .order_by("-set_at", "-id")
        ),
        checks=checks,
        proposals=list(
            ClosureProposal.objects.filter(contact=contact)
            .select_related("outcome", "proposed_by", "responded_by")
            .order_by("-proposed_at", "-id")
        ),
        decisions=list(
            Decision.objects.filter(contact=contact)
            .select_related("level_of_need", "outcome", "decided_by")
            .prefetch_related(*DECISION_CHILDREN)
            .order_by("-decided_at", "-id")
        ),
        hand_ons=list(
            HandOn.objects.filter(contact=contact)
            .select_related(
                "contact",
                "responded_by",
                "decision__outcome",
                "decision__level_of_need",
                "decision__decided_by",
            )
            .prefetch_related(*HAND_ON_CHILDREN)
            .order_by("-created_at", "-id")
        ),
        waived_by=User.objects.in_bulk(waiver_ids) if waiver_ids else {},
        undelivered=list(_undelivered().filter(contact=contact).select_related("to_user")),
    )


@dataclass(frozen=True)
class DecisionTarget:
    """The ids a manager's decision or amendment needs: no personal data, so not audited
    (the service records what is written)."""

    contact_id: int
    # Every decision on the contact, and the current one (the one not amended).
    decision_ids: list[int]
    current_decision_id: int | None


def decision_target_for(*, actor: Actor, reference: str) -> DecisionTarget:
    _require(actor, "enquiries.decide")
    if "\x00" in reference:  # no reference holds one, and PostgreSQL refuses to compare it
        raise Http404
    contact_id = Contact.objects.filter(reference=reference).values_list("pk", flat=True).first()
    if contact_id is None:
        raise Http404
    decisions = list(
        Decision.objects.filter(contact_id=contact_id)
        .order_by("-decided_at", "-id")
        .values_list("pk", "amended_by")
    )
    current = next((pk for pk, amended_by in decisions if amended_by is None), None)
    return DecisionTarget(
        contact_id=contact_id,
        decision_ids=[pk for pk, _ in decisions],
        current_decision_id=current,
    )


def released_findings_for(*, actor: Actor, contact_id: int) -> list[dict[str, Any]]:
    """The findings their agencies released to the receiving team, as each would cross:
    the choices of the manager's decision form when it is posted (the page shown after
    records the read of every finding; the service records what is passed on)."""
    _require(actor, "enquiries.decide")
    return suggested_findings(
        CheckFinding.objects.filter(agency_check__contact_id=contact_id)
        .select_related("agency_check__agency", "person")
        .order_by("agency_check__agency__name", "person__position")
    )


def decision_children_for(*, actor: Actor, contact_id: int) -> list[ContactPerson]:
    """The children named in the contact, in order: each gets an outcome in the manager's
    decision form when it is posted (the page shown after records the read of the
    contact; the service records what is decided)."""
    _require(actor, "enquiries.decide")
    return list(
        ContactPerson.objects.filter(contact_id=contact_id, role__in=CHILD_ROLES)
        .only("id", "contact_id", "position", "role", "given_names", "family_name")
        .order_by("position")
    )


def check_for_waiving(*, actor: Actor, check_id: int) -> AgencyCheck:
    """An agency check, with its agency and contact, for a screener or manager deciding
    it is no longer needed; records the read."""
    _require(actor, "enquiries.screen_contact")
    if not 1 <= check_id <= MAX_ID:
        raise Http404
    check = AgencyCheck.objects.select_related("agency", "contact").filter(pk=check_id).first()
    if check is None:
        raise Http404
    audit_record(
        actor=actor,
        action=AuditAction.READ,
        object_type="agency_check",
        object_id=check.pk,
        contact_id=check.contact_id,
        detail={"view": "waive"},
    )
    return check


def closure_proposal_for(*, actor: Actor, proposal_id: int) -> ClosureProposal:
    """A closure proposal and its contact's reference, for the manager answering it."""
    _require(actor, "enquiries.decide")
    if not 1 <= proposal_id <= MAX_ID:
        raise Http404
    proposal = ClosureProposal.objects.select_related("contact").filter(pk=proposal_id).first()
    if proposal is None:
        raise Http404
    return proposal


def message_for_retry(*, actor: Actor, message_id: int) -> Message:
    """An email and its contact's reference, for the manager trying it again (the
    service records what is done)."""
    _require(actor, "enquiries.retry_message")
    if not 1 <= message_id <= MAX_ID:
        raise Http404
    message = Message.objects.select_related("contact").filter(pk=message_id).first()
    if message is None:
        raise Http404
    return message


# --- Hand-ons --------------------------------------------------------------------------


def hand_on_teams_for(user: User) -> list[str]:
    """The teams whose hand-ons this user answers: the rules decide, per team."""
    return [
        team
        for team in QUEUED_TEAMS
        if user.has_perm("enquiries.respond_to_hand_on", HandOn(team=team))
    ]


@dataclass(frozen=True)
class HandOnQueue:
    teams: list[str]
    pending: list[HandOn]  # this page of the waiting hand-ons
    answered: list[HandOn]
    page: KeysetPage  # the waiting hand-ons' page, with its cursors and (capped) count


def _hand_ons_with_contact() -> QuerySet[HandOn]:
    """Hand-ons with their contact and decision (its outcome and level of need) in the
    list's own query; HAND_ON_QUEUE_RELATED is read for the lists afterwards."""
    return HandOn.objects.select_related("contact", "decision__outcome", "decision__level_of_need")


# The rest of what the queue shows of each hand-on: the children it concerns (ordered as
# the contact names them) with each child's outcome, and who decided, answered and has it.
# Read once for the waiting and the answered lists together; joined into each list's query,
# the three joins to the users made PostgreSQL plan each list for longer (about 7 ms) than
# it took to run it (1 ms).
HAND_ON_QUEUE_RELATED = (*HAND_ON_CHILDREN, "decision__decided_by", "responded_by", "assigned_to")


def hand_on_queue_for(
    *,
    actor: Actor,
    assigned_to_me: bool = False,
    after: str | None = None,
    before: str | None = None,
) -> HandOnQueue:
    """The cases passed to the user's team: a page of the waiting ones, oldest first
    (`after` and `before` are keyset cursors), then the most recently answered; with
    `assigned_to_me`, only those assigned to the user. Records each one listed."""
    user = _require(actor, "enquiries.view_hand_on_queue")
    teams = hand_on_teams_for(user)
    mine = _hand_ons_with_contact().filter(team__in=teams)
    if assigned_to_me:
        mine = mine.filter(assigned_to=user)
    page = keyset_page_oldest_first(
        mine.filter(state=HandOnState.PENDING),
        moment="created_at",
        per_page=HAND_ONS_PER_PAGE,
        after=after,
        before=before,
    )
    pending = list(page.object_list)
    hand_on_deadlines_fill(pending)
    answered = list(
        # Every answered hand-on has its answer's time (accepted, returned or
        # withdrawn), so the index hand_on_answered gives them in this order.
        mine.exclude(state=HandOnState.PENDING).order_by("-responded_at", "-id")[:RECENTLY_ANSWERED]
    )
    prefetch_related_objects([*pending, *answered], *HAND_ON_QUEUE_RELATED)
    audit_record_many(
        actor=actor,
        action=AuditAction.LIST,
        object_type="hand_on",
        objects=[(hand_on.pk, hand_on.contact_id) for hand_on in [*pending, *answered]],
    )
    return HandOnQueue(teams=teams, pending=pending, answered=answered, page=page)


def hand_on_get_for(*, actor: Actor, hand_on_id: int) -> HandOn:
    """A hand-on with its contact's people and concerns and the decision: never what the
    agencies found. Http404 for a hand-on passed to another team, as for one that does
    not exist. Records the read."""
    user = _require(actor, "enquiries.view_hand_on_queue")
    if not 1 <= hand_on_id <= MAX_ID:
        raise Http404
    hand_on = (
        HandOn.objects.select_related(
            "contact__rag_level",
            "decision__outcome",
            "decision__level_of_need",
            "decision__decided_by",
            "responded_by",
            "assigned_to",
            "assigned_by",
        )
        .prefetch_related(
            Prefetch("contact__people", queryset=ContactPerson.objects.order_by("position")),
            "contact__factors",
            *HAND_ON_CHILDREN,
        )
        .filter(pk=hand_on_id)
        .first()
    )
    if hand_on is None or not user.has_perm("enquiries.respond_to_hand_on", hand_on):
        raise Http404
    if hand_on.state == HandOnState.PENDING:
        hand_on_deadlines_fill([hand_on])
    audit_record(
        actor=actor,
        action=AuditAction.READ,
        object_type="hand_on",
        object_id=hand_on.pk,
        contact_id=hand_on.contact_id,
    )
    return hand_on


# --- Hand-ons, for a receiving team's own system (API) -----------------------------------

# The team an agency's system receives hand-ons for: the teams with a queue in OpenMASH
# (services.hand_ons.QUEUED_TEAMS). A case decided for the police or another local
# authority is closed by the MASH with no hand-on to read.
TEAM_OF_AGENCY_TYPE = {
    AgencyType.EARLY_HELP: HandOnTeam.EARLY_HELP,
    AgencyType.CHILDRENS_SOCIAL_CARE: HandOnTeam.CHILDRENS_SOCIAL_CARE,
}
# How many hand-ons the API lists, the waiting ones first.
HAND_ONS_LISTED = 100


def team_for_token(actor: Actor) -> str:
    """The receiving team whose hand-ons the actor's API token reads (PermissionDenied
    for a token of any other agency, or no token)."""
    if actor.token is None:
        raise PermissionDenied
    team = TEAM_OF_AGENCY_TYPE.get(AgencyType(actor.token.agency.agency_type))
    if team is None:
        raise PermissionDenied
    return team


def _hand_ons_summarised() -> QuerySet[HandOn]:
    return HandOn.objects.select_related(
        "contact", "decision__outcome", "decision__level_of_need", "decision__decided_by"
    ).prefetch_related(*HAND_ON_CHILDREN)


def hand_ons_for_token(*, actor: Actor) -> list[HandOn]:
    """The hand-ons to the token's team, waiting ones first (oldest first), then the
    most recently answered, at most HAND_ONS_LISTED; records each one listed."""
    team = team_for_token(actor)
    mine = _hand_ons_summarised().filter(team=team)
    pending = list(
        mine.filter(state=HandOnState.PENDING).order_by("created_at", "id")[:HAND_ONS_LISTED]
    )
    answered = list(
        # Every answered hand-on has its answer's time (accepted, returned or
        # withdrawn), so the index hand_on_answered gives them in this order.
        mine.exclude(state=HandOnState.PENDING).order_by("-responded_at", "-id")[
            : HAND_ONS_LISTED - len(pending)
        ]
    )
    hand_ons = [*pending, *answered]
    hand_on_deadlines_fill(hand_ons)
    audit_record_many(
        actor=actor,
        action=AuditAction.LIST,
        object_type="hand_on",
        objects=[(hand_on.pk, hand_on.contact_id) for hand_on in hand_ons],
        detail={"view": "api"},
    )
    return hand_ons


def hand_on_for_token(*, actor: Actor, hand_on_id: int) -> HandOn:
    """A hand-on to the token's team; Http404 for one to another team, as for one that
    does not exist. Records the read."""
    team = team_for_token(actor)
    if not 1 <= hand_on_id <= MAX_ID:
        raise Http404
    hand_on = _hand_ons_summarised().filter(pk=hand_on_id, team=team).first()
    if hand_on is None:
        raise Http404
    hand_on_deadlines_fill([hand_on])
    audit_record(
        actor=actor,
        action=AuditAction.READ,
        object_type="hand_on",
        object_id=hand_on.pk,
        contact_id=hand_on.contact_id,
        detail={"view": "api"},
    )
    return hand_on
