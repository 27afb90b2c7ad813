"""Every read of strategy discussions: scoped by who is asking (the MASH sees every
discussion; another agency only those it is invited to, and of their actions only its
own) and audited."""

from collections.abc import Sequence
from dataclasses import dataclass
from uuid import UUID

from django.core.exceptions import PermissionDenied
from django.db.models import Exists, F, OuterRef, Prefetch, Q, QuerySet
from django.http import Http404

from openmash.accounts.models import Agency, User
from openmash.area.models import OutcomeKind
from openmash.contacts.codes import CHILD_ROLES
from openmash.contacts.models import Contact, ContactPerson
from openmash.core.audit import Actor, audit_record, audit_record_many
from openmash.core.models import AuditAction
from openmash.enquiries.models import Decision
from openmash.strategy.models import (
    DiscussionAttachment,
    DiscussionState,
    Invitation,
    StrategyAction,
    StrategyDiscussion,
)

MAX_ID = 2**63 - 1
# How many decided discussions the list shows under the open ones.
RECENTLY_DECIDED = 20


def _require(actor: Actor, permission: str) -> User:
    if actor.token is not None or actor.user is None or not actor.user.has_perm(permission):
        raise PermissionDenied
    return actor.user


def _sees_every_discussion(user: User) -> bool:
    return bool(user.has_perm("enquiries.view_all_findings"))


def _children() -> Prefetch:
    return Prefetch(
        "contact__people",
        queryset=ContactPerson.objects.filter(role__in=CHILD_ROLES).order_by("position"),
        to_attr="children",
    )


def _listed(discussions: QuerySet[StrategyDiscussion]) -> QuerySet[StrategyDiscussion]:
    return discussions.select_related("contact", "chair").prefetch_related(
        _children(),
        Prefetch(
            "invitations",
            queryset=Invitation.objects.select_related("agency", "person").order_by(
                "agency__name", "id"
            ),
        ),
    )


@dataclass(frozen=True)
class DiscussionList:
    """For the MASH: decisions waiting for their discussion to be raised, open
    discussions (soonest first, unscheduled first of all) and recently decided ones.
    For anyone else: the discussions its agency is invited to, the same way."""

    sees_all: bool
    awaiting: Sequence[Decision]
    open: Sequence[StrategyDiscussion]
    decided: Sequence[StrategyDiscussion]


def _awaiting_decisions() -> QuerySet[Decision]:
    """Decisions in force (not amended) whose outcome is a strategy discussion, with none
    raised from them yet: the discussion the MASH is offered to set up."""
    return (
        Decision.objects.filter(outcome__kind=OutcomeKind.STRATEGY_DISCUSSION)
        .exclude(Exists(Decision.objects.filter(amends=OuterRef("pk"))))
        .exclude(Exists(StrategyDiscussion.objects.filter(decision=OuterRef("pk"))))
        .select_related("contact", "outcome", "decided_by")
        .prefetch_related(
            Prefetch(
                "contact__people",
                queryset=ContactPerson.objects.filter(role__in=CHILD_ROLES).order_by("position"),
                to_attr="children",
            )
        )
        .order_by("decided_at", "id")
    )


def discussion_list_for(*, actor: Actor) -> DiscussionList:
    """The discussions this user may see (its invitations, for an agency), and, for the
    MASH, the decisions still waiting for one. Records each one listed."""
    user = _require(actor, "strategy.view_discussions")
    sees_all = _sees_every_discussion(user)
    discussions = StrategyDiscussion.objects.all()
    if not sees_all:
        if user.agency_id is None:
            discussions = discussions.none()
        else:
            discussions = discussions.filter(
                Exists(
                    Invitation.objects.filter(discussion=OuterRef("pk"), agency_id=user.agency_id)
                )
            )
    open_ = list(
        _listed(discussions.exclude(state=DiscussionState.CONCLUDED)).order_by(
            F("scheduled_for").asc(nulls_first=True), "raised_at", "id"
        )
    )
    decided = list(
        _listed(discussions.filter(state=DiscussionState.CONCLUDED)).order_by(
            "-outcome_recorded_at", "-id"
        )[:RECENTLY_DECIDED]
    )
    awaiting = list(_awaiting_decisions()) if sees_all else []
    audit_record_many(
        actor=actor,
        action=AuditAction.LIST,
        object_type="strategy_discussion",
        objects=[(each.pk, each.contact_id) for each in [*open_, *decided]],
        detail={"view": "strategy discussions"},
    )
    audit_record_many(
        actor=actor,
        action=AuditAction.LIST,
        object_type="decision",
        objects=[(each.pk, each.contact_id) for each in awaiting],
        detail={"view": "strategy discussions"},
    )
    return DiscussionList(sees_all, awaiting, open_, decided)


@dataclass(frozen=True)
class DiscussionRead:
    """One discussion as this user may see it: `actions` are every action for the MASH,
    and the user's agency's own (or their own) for an invited agency; `own_invitations`
    are the user's agency's."""

    discussion: StrategyDiscussion
    sees_all: bool
    invitations: Sequence[Invitation]
    own_invitations: Sequence[Invitation]
    actions: Sequence[StrategyAction]
    children: Sequence[ContactPerson]
    attachments: Sequence[DiscussionAttachment]


def discussion_get_for(*, actor: Actor, discussion_id: int) -> DiscussionRead:
    """The discussion, if this user may see it (Http404 otherwise, so a discussion an
    agency is not invited to is as if it did not exist). Records the read."""
    user = _require(actor, "strategy.view_discussions")
    if not 0 < discussion_id <= MAX_ID:
        raise Http404
    discussion = (
        StrategyDiscussion.objects.select_related(
            "contact", "decision__outcome", "raised_by", "chair", "minutes_recorded_by"
        )
        .filter(pk=discussion_id)
        .first()
    )
    if discussion is None or not user.has_perm("strategy.view_discussion", discussion):
        raise Http404
    sees_all = _sees_every_discussion(user)
    invitations = list(discussion.invitations.select_related("agency", "person"))
    actions = discussion.actions.select_related("owner_agency", "owner_person", "done_by")
    if not sees_all:
        actions = actions.filter(
            Q(owner_person=user) | Q(owner_person__isnull=True, owner_agency_id=user.agency_id)
        )
    children = list(
        ContactPerson.objects.filter(contact_id=discussion.contact_id, role__in=CHILD_ROLES)
    )
    audit_record(
        actor=actor,
        action=AuditAction.READ,
        object_type="strategy_discussion",
        object_id=discussion.pk,
        contact_id=discussion.contact_id,
    )
    # Its files are shared like its minutes: whoever sees the discussion sees them all.
    attachments = list(
        discussion.attachments.select_related("uploaded_by", "uploaded_by_agency").order_by(
            "uploaded_at", "id"
        )
    )
    audit_record_many(
        actor=actor,
        action=AuditAction.LIST,
        object_type="strategy_attachment",
        objects=[(each.pk, discussion.contact_id) for each in attachments],
    )
    return DiscussionRead(
        discussion=discussion,
        sees_all=sees_all,
        invitations=invitations,
        own_invitations=[each for each in invitations if each.agency_id == user.agency_id],
        actions=list(actions),
        children=children,
        attachments=attachments,
    )


def contact_for_raising(*, actor: Actor, reference: str) -> Contact:
    """The contact a strategy discussion is to be raised on, if this user may raise one
    on it (Http404 otherwise). Records the read."""
    if "\x00" in reference:
        raise Http404
    contact = Contact.objects.filter(reference=reference).first()
    if (
        contact is None
        or actor.user is None
        or not actor.user.has_perm("strategy.raise_discussion", contact)
    ):
        raise Http404
    audit_record(
        actor=actor,
        action=AuditAction.READ,
        object_type="contact",
        object_id=contact.pk,
        contact_id=contact.pk,
        detail={"view": "raise a strategy discussion"},
    )
    return contact


def invitable() -> tuple[list[Agency], list[User]]:
    """Who may be invited: every agency, and the active people of the partner agencies
    (for a named invitation)."""
    agencies = list(Agency.objects.order_by("name"))
    people = list(
        User.objects.filter(is_active=True, agency__is_mash_partner=True)
        .select_related("agency")
        .order_by("agency__name", "last_name", "first_name", "id")
    )
    return agencies, people


def discussion_attachment_for_download(*, actor: Actor, public_id: UUID) -> DiscussionAttachment:
    """A discussion's file, for the MASH or an invited agency: Http404 for no such file,
    PermissionDenied for anyone else. Records the download."""
    user = _require(actor, "strategy.view_discussions")
    attachment = (
        DiscussionAttachment.objects.select_related("discussion")
        .filter(public_id=public_id)
        .first()
    )
    if attachment is None:
        raise Http404
    if not user.has_perm("strategy.discussion_attachments", attachment.discussion):
        raise PermissionDenied
    audit_record(
        actor=actor,
        action=AuditAction.READ,
        object_type="strategy_attachment",
        object_id=attachment.pk,
        contact_id=attachment.discussion.contact_id,
        detail={"download": True, "sha256": attachment.sha256},
    )
    return attachment
