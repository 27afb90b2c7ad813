"""Every write to a strategy discussion. Each service is one transaction that checks the
actor's permission, validates (field errors in the MASH's words, nothing written), moves
the discussion's state only along MOVES, writes, and records what changed through
`_changed`, the one place every change passes (its audit event). A change an invited
agency (or children's social care) would see on the discussion's page is also published
through openmash.core.outbox, in the same transaction, so the event reaches the agencies'
own systems (openmash/events, docs/adr/0014-event-outbox.md) only if the change commits.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from urllib.parse import urlsplit

from django.core.exceptions import PermissionDenied
from django.core.files.base import File
from django.db import transaction
from django.db.models import Model
from django.utils import timezone

from openmash.accounts.models import Agency, User
from openmash.area.models import OutcomeKind
from openmash.contacts.models import Contact
from openmash.core.attachments import AttachmentRefused, discard, inspect_upload, store
from openmash.core.audit import Actor, audit_record
from openmash.core.errors import FieldErrors
from openmash.core.models import AuditAction
from openmash.core.outbox import EventKind, publish
from openmash.core.roles import AgencyType, Role
from openmash.enquiries.models import Decision
from openmash.strategy.models import (
    Attendance,
    DiscussionAttachment,
    DiscussionOrigin,
    DiscussionOutcome,
    DiscussionState,
    Invitation,
    StrategyAction,
    StrategyDiscussion,
)

TEXT_LIMIT = 20000
# Where each state may go: a discussion is scheduled (and may be moved while it is),
# held (its minutes recorded, and corrected until it is decided), then decided.
MOVES: dict[str, set[str]] = {
    DiscussionState.RAISED: {DiscussionState.SCHEDULED},
    DiscussionState.SCHEDULED: {DiscussionState.SCHEDULED, DiscussionState.MINUTED},
    DiscussionState.MINUTED: {DiscussionState.MINUTED, DiscussionState.CONCLUDED},
    DiscussionState.CONCLUDED: set(),
}


class DiscussionInvalid(FieldErrors):
    """The request breaks one or more rules; nothing was written."""


class DiscussionConflict(Exception):
    """The discussion has moved on (or is not there yet) for this change; nothing was
    written. The message says why, in the MASH's words."""


def _require(actor: Actor, permission: str, obj: Model | None = None) -> User:
    if actor.user is None or not actor.user.has_perm(permission, obj):
        raise PermissionDenied
    return actor.user


def _text(errors: dict[str, str], field: str, value: str, message: str, *, limit: int = 0) -> str:
    value = (value or "").strip()
    limit = limit or TEXT_LIMIT
    if not value:
        if message:
            errors[field] = message
    elif len(value) > limit:
        errors[field] = f"Enter {limit:,} characters or fewer"
    elif "\x00" in value:
        errors[field] = "Remove the invisible control characters"
    return value


def _raise_if(errors: dict[str, str]) -> None:
    if errors:
        raise DiscussionInvalid(errors)


def _locked(discussion_id: int) -> StrategyDiscussion:
    return StrategyDiscussion.objects.select_for_update().get(pk=discussion_id)


def _move(discussion: StrategyDiscussion, to: str, refusal: str) -> None:
    if to not in MOVES[discussion.state]:
        raise DiscussionConflict(refusal)
    discussion.state = to


def _changed(
    actor: Actor,
    discussion: StrategyDiscussion,
    change: str,
    *,
    action: AuditAction = AuditAction.UPDATE,
    obj: Model | None = None,
    **detail: object,
) -> None:
    """The one place every change to a discussion passes, inside its transaction: the
    audit event (what changed, never the text of the minutes). The services then publish
    what the agencies' systems are told (once per change, not per row: see each)."""
    audit_record(
        actor=actor,
        action=action,
        object_type="strategy_discussion" if obj is None else obj._meta.model_name or "",
        object_id=(obj or discussion).pk,
        contact_id=discussion.contact_id,
        detail={"change": change, "discussion": discussion.pk, **detail},
    )


# --- Raising ---------------------------------------------------------------------------


def strategy_decision_of(contact: Contact) -> Decision | None:
    """The decision in force on the contact (the latest amendment), if its outcome is a
    strategy discussion."""
    latest = (
        Decision.objects.filter(contact=contact)
        .select_related("outcome")
        .order_by("-decided_at", "-id")
        .first()
    )
    if latest is None or latest.outcome.kind != OutcomeKind.STRATEGY_DISCUSSION:
        return None
    return latest


@transaction.atomic
def discussion_raise(
    *, actor: Actor, contact_id: int, reason: str = "", now: datetime | None = None
) -> StrategyDiscussion:
    """Raise a strategy discussion on a contact. When the MASH decided a strategy
    discussion, it is raised from that decision (once: DiscussionConflict for a second);
    otherwise police or social care raise it with a reason (required)."""
    contact = Contact.objects.select_for_update().get(pk=contact_id)
    user = _require(actor, "strategy.raise_discussion", contact)
    now = now or timezone.now()
    decision = strategy_decision_of(contact)
    errors: dict[str, str] = {}
    reason = _text(
        errors,
        "reason",
        reason,
        "" if decision is not None else "Enter why a strategy discussion is needed",
    )
    _raise_if(errors)
    if decision is not None and StrategyDiscussion.objects.filter(decision=decision).exists():
        raise DiscussionConflict(
            f"A strategy discussion has already been raised from the decision on "
            f"{contact.reference}."
        )
    if decision is not None:
        origin = DiscussionOrigin.DECISION
    elif user.agency is not None and user.agency.agency_type == AgencyType.POLICE:
        origin = DiscussionOrigin.POLICE
    else:
        origin = DiscussionOrigin.SOCIAL_CARE
    discussion = StrategyDiscussion.objects.create(
        contact=contact,
        decision=decision,
        origin=origin,
        reason=reason,
        raised_by=user,
        raised_at=now,
    )
    _changed(actor, discussion, "raised", action=AuditAction.CREATE, origin=origin)
    return discussion


# --- Scheduling and inviting -----------------------------------------------------------


@dataclass(frozen=True)
class ScheduleInput:
    day: date | None
    time: str
    place: str = ""
    call_link: str = ""
    chair_id: int | None = None


def _parse_time(value: str) -> tuple[int, int] | None:
    text = (value or "").strip().lower().replace(".", ":")
    hours, _, minutes = text.partition(":")
    if not (hours.isdigit() and minutes.isdigit() and len(minutes) == 2 and len(hours) <= 2):
        return None
    hour, minute = int(hours), int(minutes)
    if hour > 23 or minute > 59:
        return None
    return hour, minute


def _schedule_fields(
    errors: dict[str, str], data: ScheduleInput, now: datetime
) -> tuple[datetime | None, str, str, User | None]:
    when = None
    time = _parse_time(data.time)
    if data.day is None:
        errors["day"] = "Enter the date of the discussion"
    if time is None:
        errors["time"] = "Enter the time in 24-hour format, like 14:30"
    if data.day is not None and time is not None:
        when = timezone.make_aware(datetime(data.day.year, data.day.month, data.day.day, *time))
    if data.day is not None and data.day < timezone.localdate(now):
        errors["day"] = "The date must be today or in the future"
    place = _text(errors, "place", data.place, "", limit=200)
    link = (data.call_link or "").strip()
    if link:
        parts = urlsplit(link)
        if parts.scheme != "https" or not parts.netloc or len(link) > 500:
            errors["call_link"] = "Enter the call link as a web address starting https://"
    if not place and not link and "place" not in errors:
        errors["place"] = "Enter where it will be held, or a call link, or both"
    chair = (
        User.objects.filter(pk=data.chair_id, is_active=True).first()
        if data.chair_id is not None
        else None
    )
    if chair is None or not chair.has_role(Role.MASH_MANAGER):
        errors["chair_id"] = "Select the chair: a MASH or social care manager"
        chair = None
    return when, place, link, chair


@transaction.atomic
def discussion_schedule(
    *, actor: Actor, discussion_id: int, data: ScheduleInput, now: datetime | None = None
) -> StrategyDiscussion:
    """Set (or move) when and where the discussion is held, and who chairs it. Only
    before its minutes are recorded."""
    _require(actor, "strategy.run_discussion")
    now = now or timezone.now()
    discussion = _locked(discussion_id)
    errors: dict[str, str] = {}
    when, place, link, chair = _schedule_fields(errors, data, now)
    _raise_if(errors)
    assert when is not None and chair is not None
    moved = discussion.state == DiscussionState.SCHEDULED
    _move(
        discussion,
        DiscussionState.SCHEDULED,
        "The discussion has been held: it can no longer be rescheduled.",
    )
    discussion.scheduled_for = when
    discussion.place = place
    discussion.call_link = link
    discussion.chair = chair
    discussion.save(update_fields=["state", "scheduled_for", "place", "call_link", "chair"])
    _changed(
        actor,
        discussion,
        "rescheduled" if moved else "scheduled",
        scheduled_for=when.isoformat(),
        chair=chair.pk,
    )
    publish(EventKind.STRATEGY_RESCHEDULED if moved else EventKind.STRATEGY_SCHEDULED, discussion)
    return discussion


@transaction.atomic
def discussion_invite(
    *,
    actor: Actor,
    discussion_id: int,
    agency_ids: Sequence[int] = (),
    person_ids: Sequence[int] = (),
    now: datetime | None = None,
) -> list[Invitation]:
    """Invite agencies and, optionally, named people (each invited as one of their
    agency's). Those already invited are left as they are; only before the minutes."""
    user = _require(actor, "strategy.run_discussion")
    now = now or timezone.now()
    discussion = _locked(discussion_id)
    if discussion.state not in (DiscussionState.RAISED, DiscussionState.SCHEDULED):
        raise DiscussionConflict("The discussion has been held: nobody more can be invited.")
    errors: dict[str, str] = {}
    agencies = list(Agency.objects.filter(pk__in=set(agency_ids)))
    if len(agencies) != len(set(agency_ids)):
        errors["agency_ids"] = "Select agencies from the list"
    people = list(
        User.objects.filter(
            pk__in=set(person_ids), is_active=True, agency__isnull=False
        ).select_related("agency")
    )
    if len(people) != len(set(person_ids)):
        errors["person_ids"] = "Select people from the list"
    if not agencies and not people and not errors:
        errors["agency_ids"] = "Select at least one agency or person to invite"
    _raise_if(errors)
    invited_agencies = set(
        discussion.invitations.filter(person__isnull=True).values_list("agency_id", flat=True)
    )
    invited_people = set(
        discussion.invitations.filter(person__isnull=False).values_list("person_id", flat=True)
    )
    made = [
        Invitation(discussion=discussion, agency=agency, invited_by=user, invited_at=now)
        for agency in agencies
        if agency.pk not in invited_agencies
    ] + [
        Invitation(
            discussion=discussion,
            agency=person.agency,
            person=person,
            invited_by=user,
            invited_at=now,
        )
        for person in people
        if person.pk not in invited_people
    ]
    for invitation in made:
        invitation.save()
        _changed(
            actor,
            discussion,
            "invited",
            action=AuditAction.CREATE,
            obj=invitation,
            agency=invitation.agency_id,
            person=invitation.person_id,
        )
    if made:
        # One event for the invitations made together: to every agency now invited.
        publish(EventKind.STRATEGY_INVITED, discussion)
    return made


@transaction.atomic
def attendance_record(
    *,
    actor: Actor,
    discussion_id: int,
    attendance: dict[int, str],
    now: datetime | None = None,
) -> StrategyDiscussion:
    """Who attended, invitation by invitation (every invitation needs an answer other than
    'not recorded'). Once the discussion is scheduled, and until it is decided."""
    _require(actor, "strategy.run_discussion")
    now = now or timezone.now()
    discussion = _locked(discussion_id)
    if discussion.state not in (DiscussionState.SCHEDULED, DiscussionState.MINUTED):
        raise DiscussionConflict(
            "Attendance is recorded once the discussion is scheduled, and before it is decided."
        )
    invitations = list(discussion.invitations.all())
    errors: dict[str, str] = {}
    answers = {value for value, _ in Attendance.choices} - {Attendance.NOT_RECORDED}
    for invitation in invitations:
        if attendance.get(invitation.pk) not in answers:
            errors[f"attendance_{invitation.pk}"] = "Select whether they attended"
    if not invitations:
        errors["attendance"] = "Invite the agencies first"
    _raise_if(errors)
    changed = False
    for invitation in invitations:
        if invitation.attendance == attendance[invitation.pk]:
            continue
        invitation.attendance = attendance[invitation.pk]
        invitation.attendance_recorded_at = now
        invitation.save(update_fields=["attendance", "attendance_recorded_at"])
        _changed(actor, discussion, "attendance", obj=invitation, attendance=invitation.attendance)
        changed = True
    if changed:
        publish(EventKind.STRATEGY_ATTENDANCE, discussion)
    return discussion


# --- The chair's record ----------------------------------------------------------------


def _chaired(actor: Actor, discussion_id: int) -> tuple[User, StrategyDiscussion]:
    discussion = _locked(discussion_id)
    return _require(actor, "strategy.chair_discussion", discussion), discussion


@transaction.atomic
def minutes_record(
    *, actor: Actor, discussion_id: int, minutes: str, now: datetime | None = None
) -> StrategyDiscussion:
    """The chair records the minutes (and may correct them until the decision is
    recorded). Shared with the invited agencies only."""
    user, discussion = _chaired(actor, discussion_id)
    now = now or timezone.now()
    errors: dict[str, str] = {}
    minutes = _text(errors, "minutes", minutes, "Enter the minutes of the discussion")
    _raise_if(errors)
    if discussion.scheduled_for is not None and discussion.scheduled_for > now:
        raise DiscussionConflict("The discussion has not been held yet: it is still to come.")
    corrected = discussion.state == DiscussionState.MINUTED
    _move(
        discussion,
        DiscussionState.MINUTED,
        "Minutes are recorded once the discussion is scheduled, and before it is decided.",
    )
    discussion.minutes = minutes
    discussion.minutes_recorded_by = user
    discussion.minutes_recorded_at = now
    discussion.save(
        update_fields=["state", "minutes", "minutes_recorded_by", "minutes_recorded_at"]
    )
    _changed(actor, discussion, "minutes corrected" if corrected else "minutes recorded")
    publish(EventKind.STRATEGY_MINUTES, discussion)
    return discussion


@transaction.atomic
def outcome_record(
    *,
    actor: Actor,
    discussion_id: int,
    outcome: str,
    detail: str = "",
    now: datetime | None = None,
) -> StrategyDiscussion:
    """The chair records the discussion's decision: a section 47 enquiry (single-agency
    or joint with police), no further action, or something else described. Needs the
    minutes; final."""
    user, discussion = _chaired(actor, discussion_id)
    now = now or timezone.now()
    errors: dict[str, str] = {}
    if outcome not in DiscussionOutcome.values:
        errors["outcome"] = "Select the decision of the strategy discussion"
    detail = _text(
        errors,
        "detail",
        detail,
        "Describe the decision" if outcome == DiscussionOutcome.OTHER else "",
    )
    _raise_if(errors)
    _move(
        discussion,
        DiscussionState.CONCLUDED,
        "Record the minutes first: the decision follows the discussion."
        if discussion.state != DiscussionState.CONCLUDED
        else "The decision of this discussion has already been recorded.",
    )
    discussion.outcome = outcome
    discussion.outcome_detail = detail
    discussion.outcome_recorded_by = user
    discussion.outcome_recorded_at = now
    discussion.save(
        update_fields=[
            "state",
            "outcome",
            "outcome_detail",
            "outcome_recorded_by",
            "outcome_recorded_at",
        ]
    )
    _changed(actor, discussion, "decided", outcome=outcome)
    publish(EventKind.STRATEGY_DECIDED, discussion)
    return discussion


@dataclass(frozen=True)
class ActionInput:
    description: str
    owner_agency_id: int | None
    owner_person_id: int | None
    due_on: date | None


@transaction.atomic
def action_add(
    *, actor: Actor, discussion_id: int, data: ActionInput, now: datetime | None = None
) -> StrategyAction:
    """The chair adds an action agreed at the discussion, owned by an agency (or a named
    person of it), due on a day. Once the minutes are recorded."""
    user, discussion = _chaired(actor, discussion_id)
    now = now or timezone.now()
    if discussion.state not in (DiscussionState.MINUTED, DiscussionState.CONCLUDED):
        raise DiscussionConflict("Actions are added once the minutes are recorded.")
    errors: dict[str, str] = {}
    description = _text(errors, "description", data.description, "Enter the action")
    person = (
        User.objects.filter(pk=data.owner_person_id, is_active=True, agency__isnull=False).first()
        if data.owner_person_id is not None
        else None
    )
    if data.owner_person_id is not None and person is None:
        errors["owner_person_id"] = "Select a person from the list"
    agency = (
        Agency.objects.filter(pk=data.owner_agency_id).first()
        if data.owner_agency_id is not None
        else None
    )
    if agency is None and person is not None:
        agency = person.agency
    if agency is None and "owner_person_id" not in errors:
        errors["owner_agency_id"] = "Select the agency that owns the action"
    elif agency is not None and person is not None and person.agency_id != agency.pk:
        errors["owner_person_id"] = f"The named person must be one of {agency.name}'s, or nobody"
    elif agency is not None and not discussion.invitations.filter(agency=agency).exists():
        # An action's owner reads it on the discussion page, which only invitees see.
        errors["owner_agency_id"] = f"Invite {agency.name} first, or select an invited agency"
    if data.due_on is None:
        errors["due_on"] = "Enter the date the action is due"
    elif data.due_on < timezone.localdate(now):
        errors["due_on"] = "The due date must be today or in the future"
    _raise_if(errors)
    assert agency is not None and data.due_on is not None
    action = StrategyAction.objects.create(
        discussion=discussion,
        description=description,
        owner_agency=agency,
        owner_person=person,
        due_on=data.due_on,
        created_by=user,
        created_at=now,
    )
    _changed(
        actor,
        discussion,
        "action added",
        action=AuditAction.CREATE,
        obj=action,
        owner_agency=agency.pk,
        owner_person=person.pk if person else None,
        due_on=data.due_on.isoformat(),
    )
    publish(EventKind.STRATEGY_ACTION_ADDED, action)
    return action


@transaction.atomic
def action_complete(*, actor: Actor, action_id: int, now: datetime | None = None) -> StrategyAction:
    """Mark an action done: a MASH manager, or whoever owns it. Once."""
    action = StrategyAction.objects.select_for_update().get(pk=action_id)
    user = _require(actor, "strategy.complete_action", action)
    now = now or timezone.now()
    if action.done_at is not None:
        raise DiscussionConflict("This action has already been marked done.")
    action.done_by = user
    action.done_at = now
    action.save(update_fields=["done_by", "done_at"])
    discussion = StrategyDiscussion.objects.get(pk=action.discussion_id)
    _changed(actor, discussion, "action done", obj=action)
    publish(EventKind.STRATEGY_ACTION_DONE, action)
    return action


def discussion_attachment_add(
    *, actor: Actor, discussion_id: int, upload: File | None
) -> DiscussionAttachment:
    """Attaches a file to the discussion (the MASH, or an invited agency), judged by its
    content (openmash.core.attachments); stored, recorded and audited in one transaction,
    the stored file removed again if it does not commit. Raises DiscussionInvalid (field
    "attachment") for a missing or refused file."""
    stored: list[str] = []
    try:
        with transaction.atomic():
            discussion = _locked(discussion_id)
            user = _require(actor, "strategy.discussion_attachments", discussion)
            if upload is None:
                raise DiscussionInvalid({"attachment": "Select a file to attach"})
            try:
                inspected = inspect_upload(upload)
            except AttachmentRefused as refused:
                raise DiscussionInvalid({"attachment": str(refused)}) from refused
            name = store(upload, inspected)
            stored.append(name)
            attachment = DiscussionAttachment.objects.create(
                discussion=discussion,
                stored_name=name,
                filename=inspected.filename,
                content_type=inspected.kind.content_type,
                size=inspected.size,
                sha256=inspected.sha256,
                uploaded_by=user,
                uploaded_by_agency_id=None if _sees_every(user) else user.agency_id,
            )
            # Never the file's name (it may name the child): its hash says which file.
            audit_record(
                actor=actor,
                action=AuditAction.CREATE,
                object_type="strategy_attachment",
                object_id=attachment.pk,
                contact_id=discussion.contact_id,
                detail={
                    "discussion": discussion.pk,
                    "content_type": inspected.kind.content_type,
                    "size": inspected.size,
                    "sha256": inspected.sha256,
                },
            )
            return attachment
    except BaseException:
        for each in stored:
            discard(each)
        raise


def _sees_every(user: User) -> bool:
    return bool(user.has_perm("enquiries.view_all_findings"))
