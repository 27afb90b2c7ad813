"""The retention job: what the schedule says is due, and removing it (issue 14, item 8).

`retention_plan` reads only: every record due under the area's schedule
(openmash.governance.schedule) at a moment, oldest first, and the contacts that would be
due but are held back. The dry run (the page and `apply_retention --dry-run`) shows it.
`retention_apply` removes what is due, one record per transaction, each with an audit
event and a `Disposal` row, and never touches a record of a contact that is:
- still open in the MASH, or decided and not yet closed or handed on;
- handed on to a team that has not yet accepted it;
- the subject of a strategy discussion not yet concluded, or with actions not yet done;
- under a legal hold (openmash.governance.models.LegalHold).

Two machines running the job at once: on PostgreSQL the second finds the run lock taken
and does nothing; on any database each record is re-checked under its contact's row lock
and recorded under a unique key before it is changed, so a record is never done twice.
Audit events go a seal at a time, oldest first (openmash.core.audit_seals.
audit_prune_seal), so `verify_audit` still passes afterwards. Nothing here writes a name
or any other personal data to a log, an audit event or the run's counts.
"""

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any

from django.db import DatabaseError, IntegrityError, connection, transaction
from django.db.models import (
    BooleanField,
    CharField,
    Exists,
    ExpressionWrapper,
    Max,
    OuterRef,
    Q,
    QuerySet,
)
from django.db.models.deletion import ProtectedError
from django.db.models.functions import Cast
from django.utils import timezone

from openmash.area.models import OutcomeKind
from openmash.contacts.codes import CHILD_ROLES, ContactState
from openmash.contacts.models import Contact, ContactPerson
from openmash.core.audit import Actor, audit_record
from openmash.core.audit_seals import AuditPruneRefused, audit_prunable, audit_prune_seal
from openmash.core.models import AuditAction, AuditSeal
from openmash.enquiries.models import (
    Attachment,
    Decision,
    DecisionChild,
    HandOn,
    HandOnState,
    Message,
    MessageKind,
    MessageStatus,
)
from openmash.governance.anonymise import contact_anonymise, files_delete, message_anonymise
from openmash.governance.models import (
    Disposal,
    DisposalAction,
    LegalHold,
    RecordType,
    RetentionRun,
)
from openmash.governance.schedule import (
    AUDIT_MIN_MONTHS,
    CONTACT_TYPES,
    Rule,
    birthday,
    months_before,
    retention_schedule,
)
from openmash.linkage.models import IndexedPerson, IndexImport, IndexSource, LinkState, PersonLink
from openmash.strategy.models import (
    DiscussionAttachment,
    DiscussionState,
    StrategyAction,
    StrategyDiscussion,
)

logger = logging.getLogger(__name__)

SYSTEM = "retention"
# The MASH's part is over: closed, or handed on (closed_at is set then too).
FINISHED_STATES = (ContactState.CLOSED, ContactState.HANDED_ON)
LEADS_TO_ASSESSMENT = (OutcomeKind.ASSESSMENT, OutcomeKind.STRATEGY_DISCUSSION)
# Any fixed number: PostgreSQL's advisory lock that lets one retention run go at a time.
RETENTION_LOCK = 7_240_008

MESSAGE_KINDS = dict(MessageKind.choices)
HELD_LEGAL = "Legal hold"
HELD_HAND_ON = "Handed on, not yet accepted"
HELD_STRATEGY = "Strategy discussion in progress"
HELD_OPEN = "Still open in the MASH"


# --- Which contacts are protected ---------------------------------------------------------


def _open_hold(ref: str) -> Exists:
    return Exists(LegalHold.objects.filter(contact_id=OuterRef(ref), released_at__isnull=True))


def _waiting_hand_on(ref: str) -> Exists:
    return Exists(HandOn.objects.filter(contact_id=OuterRef(ref), state=HandOnState.PENDING))


def _strategy_in_progress(ref: str) -> Q:
    discussions = StrategyDiscussion.objects.filter(contact_id=OuterRef(ref)).exclude(
        state=DiscussionState.CONCLUDED
    )
    actions = StrategyAction.objects.filter(
        discussion__contact_id=OuterRef(ref), done_at__isnull=True
    )
    return Q(Exists(discussions)) | Q(Exists(actions))


def _open(prefix: str) -> Q:
    return Q(**{f"{prefix}closed_at__isnull": True}) | ~Q(**{f"{prefix}state__in": FINISHED_STATES})


def protected_contacts() -> QuerySet[Contact]:
    """Every contact nothing may be removed from now (the module's docstring says which)."""
    return Contact.objects.filter(
        _open("") | Q(_open_hold("pk")) | Q(_waiting_hand_on("pk")) | _strategy_in_progress("pk")
    )


def _anonymised_contacts() -> QuerySet[Disposal, Any]:
    return Disposal.objects.filter(object_type="contact").values("contact_id")


# --- The plan (the dry run) ---------------------------------------------------------------


@dataclass(frozen=True)
class DueItem:
    """One record due for removal: what, whose contact, and since when its clock ran."""

    record_type: str
    object_type: str
    object_id: int
    contact_id: int | None
    label: str
    since: datetime
    due_at: datetime
    action: str


@dataclass(frozen=True)
class HeldItem:
    """A contact that would be due, held back, and why."""

    record_type: str
    contact_id: int
    reference: str
    reasons: tuple[str, ...]


@dataclass
class RetentionPlan:
    now: datetime
    schedule: dict[str, Rule]
    due: dict[str, list[DueItem]] = field(default_factory=dict)
    # How many are due of each type (all of them, even when `due` lists only the first).
    due_counts: dict[str, int] = field(default_factory=dict)
    held: list[HeldItem] = field(default_factory=list)
    held_counts: dict[str, int] = field(default_factory=dict)

    @property
    def total_due(self) -> int:
        return sum(self.due_counts.values())


def _as_moment(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def _contacts_of_type(record_type: str, cutoff: datetime) -> QuerySet[Contact]:
    """Finished contacts of this type closed before the cutoff, not yet anonymised."""
    serious = (
        Q(
            Exists(
                Decision.objects.filter(
                    contact=OuterRef("pk"), outcome__kind__in=LEADS_TO_ASSESSMENT
                )
            )
        )
        | Q(
            Exists(
                DecisionChild.objects.filter(
                    decision__contact=OuterRef("pk"), outcome__kind__in=LEADS_TO_ASSESSMENT
                )
            )
        )
        | Q(Exists(StrategyDiscussion.objects.filter(contact=OuterRef("pk"))))
    )
    contacts = Contact.objects.filter(closed_at__lt=cutoff).exclude(pk__in=_anonymised_contacts())
    if record_type == RecordType.CONTACT_ASSESSMENT:
        return contacts.filter(serious)
    return contacts.exclude(serious)


def _youngest_child_born(contacts: list[dict[str, Any]]) -> dict[int, date]:
    """The latest a child named in each contact can have been born: the date of birth (or
    expected date, for an unborn child); from an estimated age, the last day consistent
    with it; with nothing known, the day of the contact (as if a newborn), so an unknown
    age never shortens how long a record is kept."""
    received = {row["pk"]: timezone.localdate(row["received_at"]) for row in contacts}
    youngest: dict[int, date] = dict(received)
    seen: set[int] = set()
    people = ContactPerson.objects.filter(
        contact_id__in=list(received), role__in=sorted(CHILD_ROLES)
    ).values_list("contact_id", "date_of_birth", "expected_birth_date", "estimated_age")
    for contact_id, born, expected, age in people:
        on = received[contact_id]
        latest = born or expected
        if latest is None:
            latest = birthday(on, -age) if age is not None else on
        if contact_id not in seen:
            youngest[contact_id] = latest
            seen.add(contact_id)
        else:
            youngest[contact_id] = max(youngest[contact_id], latest)
    return youngest


def _chunked(rows: list[Any], size: int = 500) -> Iterator[list[Any]]:
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


def _plan_contacts(plan: RetentionPlan, rule: Rule, listed: int | None) -> None:
    now = plan.now
    candidates = _contacts_of_type(rule.record_type, rule.cutoff(now)).annotate(
        held_open=ExpressionWrapper(_open(""), output_field=BooleanField()),
        held_legal=_open_hold("pk"),
        held_hand_on=_waiting_hand_on("pk"),
        held_strategy=ExpressionWrapper(_strategy_in_progress("pk"), output_field=BooleanField()),
    )
    rows = list(
        candidates.order_by("closed_at", "pk").values(
            "pk",
            "reference",
            "received_at",
            "closed_at",
            "held_open",
            "held_legal",
            "held_hand_on",
            "held_strategy",
        )
    )
    youngest: dict[int, date] = {}
    if rule.keep_until_age is not None:
        for chunk in _chunked(rows):
            youngest.update(_youngest_child_born(chunk))
    due: list[DueItem] = []
    held = 0
    for row in rows:
        due_at = months_before(row["closed_at"], -rule.keep_months)
        if rule.keep_until_age is not None:
            due_at = max(due_at, _as_moment(birthday(youngest[row["pk"]], rule.keep_until_age)))
        if due_at > now:
            continue
        reasons = tuple(
            reason
            for flag, reason in (
                ("held_legal", HELD_LEGAL),
                ("held_hand_on", HELD_HAND_ON),
                ("held_strategy", HELD_STRATEGY),
                ("held_open", HELD_OPEN),
            )
            if row[flag]
        )
        if reasons:
            held += 1
            plan.held.append(HeldItem(rule.record_type, row["pk"], row["reference"], reasons))
            continue
        due.append(
            DueItem(
                record_type=rule.record_type,
                object_type="contact",
                object_id=row["pk"],
                contact_id=row["pk"],
                label=row["reference"],
                since=row["closed_at"],
                due_at=due_at,
                action=DisposalAction.ANONYMISED,
            )
        )
    plan.due_counts[rule.record_type] = len(due)
    plan.due[rule.record_type] = due if listed is None else due[:listed]
    plan.held_counts[rule.record_type] = held


def _messages_due(cutoff: datetime) -> QuerySet[Message]:
    return (
        Message.objects.filter(created_at__lt=cutoff)
        .exclude(status=MessageStatus.QUEUED)
        .exclude(contact_id__in=_anonymised_contacts())
        .exclude(_disposed("message"))
    )


def _disposed(object_type: str) -> Exists:
    """Already done by a run (Disposal holds any object's id as text)."""
    return Exists(
        Disposal.objects.filter(
            object_type=object_type, object_id=Cast(OuterRef("pk"), output_field=CharField())
        )
    )


def _attachments_due(cutoff: datetime) -> QuerySet[Attachment]:
    return Attachment.objects.filter(contact__closed_at__lt=cutoff)


def _discussion_attachments_due(cutoff: datetime) -> QuerySet[DiscussionAttachment]:
    return DiscussionAttachment.objects.filter(
        discussion__contact__closed_at__lt=cutoff, discussion__state=DiscussionState.CONCLUDED
    )


def _stale_feed_agencies(cutoff: datetime) -> list[int]:
    """Agencies whose feed was last applied before the cutoff (the agency stopped sending
    it): their records are a copy nobody keeps up to date."""
    last: dict[int, datetime] = {}
    for agency_id, when in (
        IndexImport.objects.filter(applied=True)
        .values("agency_id")
        .annotate(last=Max("uploaded_at"))
        .values_list("agency_id", "last")
    ):
        last[agency_id] = when
    for agency_id, when in (
        IndexedPerson.objects.filter(source=IndexSource.AGENCY)
        .values("agency_id")
        .annotate(last=Max("imported_at"))
        .values_list("agency_id", "last")
    ):
        if agency_id is not None:
            last[agency_id] = max(when, last.get(agency_id, when))
    return sorted(agency_id for agency_id, when in last.items() if when < cutoff)


def _index_records_due(cutoff: datetime) -> QuerySet[IndexedPerson]:
    linked_to_protected = PersonLink.objects.filter(
        candidate=OuterRef("pk"),
        state=LinkState.CONFIRMED,
        contact_person__contact__in=protected_contacts(),
    )
    return (
        IndexedPerson.objects.filter(source=IndexSource.AGENCY)
        .filter(Q(withdrawn_at__lt=cutoff) | Q(agency_id__in=_stale_feed_agencies(cutoff)))
        .exclude(Exists(linked_to_protected))
    )


@dataclass(frozen=True)
class _Part:
    """One kind of record under a record type: the records due (before protection), the
    contact they belong to (a field path, or "" for none), the values to read, and how a
    row's clock start and label come from them."""

    object_type: str
    records: QuerySet[Any]
    contact_field: str
    fields: tuple[str, ...]
    describe: Callable[[dict[str, Any]], tuple[datetime, str]]


def _plan_simple(plan: RetentionPlan, rule: Rule, listed: int | None, parts: list[_Part]) -> None:
    """Messages, attachments and index records. Those of a contact that is protected are
    held back; those of a contact anonymised in this same plan go with it, and are not
    counted twice."""
    going_with_contacts = {
        item.contact_id for record_type in CONTACT_TYPES for item in plan.due.get(record_type, [])
    }
    due: list[DueItem] = []
    held = 0
    for part in parts:
        records = part.records
        contact_field = part.contact_field
        if contact_field:
            protected = protected_contacts()
            held += records.filter(**{f"{contact_field}__in": protected}).count()
            records = records.exclude(**{f"{contact_field}__in": protected})
        fields = ("pk", *part.fields, *((contact_field + "_id",) if contact_field else ()))
        for row in records.values(*fields):
            contact_id = row.get(contact_field + "_id") if contact_field else None
            if contact_id in going_with_contacts:
                continue
            since, label = part.describe(row)
            due.append(
                DueItem(
                    record_type=rule.record_type,
                    object_type=part.object_type,
                    object_id=row["pk"],
                    contact_id=contact_id,
                    label=label,
                    since=since,
                    due_at=months_before(since, -rule.keep_months),
                    action=(
                        DisposalAction.ANONYMISED
                        if part.object_type == "message"
                        else DisposalAction.DELETED
                    ),
                )
            )
    due.sort(key=lambda item: (item.since, item.object_id))
    plan.due_counts[rule.record_type] = len(due)
    plan.due[rule.record_type] = due if listed is None else due[:listed]
    plan.held_counts[rule.record_type] = held


def _plan_audit(plan: RetentionPlan, rule: Rule, listed: int | None) -> None:
    cutoff = min(rule.cutoff(plan.now), months_before(plan.now, AUDIT_MIN_MONTHS))
    prunable = audit_prunable(before=cutoff, limit=100_000 if listed is None else listed + 1)
    plan.due_counts[rule.record_type] = len(prunable)
    plan.held_counts[rule.record_type] = 0
    chosen = prunable if listed is None else prunable[:listed]
    plan.due[rule.record_type] = [
        DueItem(
            record_type=rule.record_type,
            object_type="audit_seal",
            object_id=item.seal.pk,
            contact_id=None,
            label=(
                f"Seal {item.seal.pk}: {item.seal.event_count:,} events "
                f"(ids {item.seal.first_event_id} to {item.seal.last_event_id})"
            ),
            since=item.newest_event_at or item.seal.sealed_at,
            due_at=months_before(item.newest_event_at or item.seal.sealed_at, -rule.keep_months),
            action=DisposalAction.DELETED,
        )
        for item in chosen
    ]


def retention_plan(*, now: datetime | None = None, listed: int | None = None) -> RetentionPlan:
    """Everything due under the schedule at `now` (default: now), by record type, oldest
    first; `listed` caps how many of each type are listed (the counts are always whole).
    Reads only."""
    now = now or timezone.now()
    schedule = retention_schedule()
    plan = RetentionPlan(now=now, schedule=schedule)
    for record_type, rule in schedule.items():
        if not rule.active:
            plan.due[record_type], plan.due_counts[record_type] = [], 0
            plan.held_counts[record_type] = 0
            continue
        cutoff = rule.cutoff(now)
        if record_type in CONTACT_TYPES:
            _plan_contacts(plan, rule, listed)
        elif record_type == RecordType.MESSAGE:
            _plan_simple(
                plan,
                rule,
                listed,
                [
                    _Part(
                        "message",
                        _messages_due(cutoff),
                        "contact",
                        ("created_at", "kind", "contact__reference"),
                        lambda row: (
                            row["created_at"],
                            f"{MESSAGE_KINDS.get(row['kind'], row['kind'])} ({row['contact__reference']})",
                        ),
                    )
                ],
            )
        elif record_type == RecordType.ATTACHMENT:
            _plan_simple(
                plan,
                rule,
                listed,
                [
                    _Part(
                        "attachment",
                        _attachments_due(cutoff),
                        "contact",
                        ("contact__closed_at", "contact__reference"),
                        lambda row: (
                            row["contact__closed_at"],
                            f"File on {row['contact__reference']}",
                        ),
                    ),
                    _Part(
                        "discussion_attachment",
                        _discussion_attachments_due(cutoff),
                        "discussion__contact",
                        ("discussion__contact__closed_at", "discussion__contact__reference"),
                        lambda row: (
                            row["discussion__contact__closed_at"],
                            "File on a strategy discussion "
                            f"({row['discussion__contact__reference']})",
                        ),
                    ),
                ],
            )
        elif record_type == RecordType.INDEX_RECORD:
            _plan_simple(
                plan,
                rule,
                listed,
                [
                    _Part(
                        "indexed_person",
                        _index_records_due(cutoff),
                        "",
                        ("withdrawn_at", "imported_at", "agency__name"),
                        lambda row: (
                            row["withdrawn_at"] or row["imported_at"],
                            f"{row['agency__name'] or 'Agency'} index record {row['pk']}",
                        ),
                    )
                ],
            )
        elif record_type == RecordType.AUDIT_EVENT:
            _plan_audit(plan, rule, listed)
    return plan


# --- Applying it --------------------------------------------------------------------------


@contextmanager
def _run_lock() -> Iterator[bool]:
    """PostgreSQL: True if this process holds the run lock (another machine's run is not
    going on). Other databases: always True (each record's unique key still guards)."""
    if connection.vendor != "postgresql":
        yield True
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [RETENTION_LOCK])
        (held,) = cursor.fetchone() or (False,)
    try:
        yield bool(held)
    finally:
        if held:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [RETENTION_LOCK])


def _claim(run: RetentionRun, item: DueItem, now: datetime) -> bool:
    """Record the disposal first: False if another run already has (its unique key)."""
    try:
        with transaction.atomic():
            Disposal.objects.create(
                run=run,
                record_type=item.record_type,
                object_type=item.object_type,
                object_id=str(item.object_id),
                contact_id=item.contact_id,
                action=item.action,
                done_at=now,
            )
    except IntegrityError:
        return False
    return True


def _lock_contact(contact_id: int | None) -> None:
    if contact_id is not None:
        list(Contact.objects.select_for_update().filter(pk=contact_id).values_list("pk"))


def _still_due(item: DueItem, rule: Rule, now: datetime) -> bool:
    """Asked again under the contact's row lock: is the record still due and unprotected?"""
    cutoff = rule.cutoff(now)
    if item.object_type == "contact":
        if protected_contacts().filter(pk=item.object_id).exists():
            return False
        if not _contacts_of_type(item.record_type, cutoff).filter(pk=item.object_id).exists():
            return False
        if rule.keep_until_age is not None:
            row = Contact.objects.filter(pk=item.object_id).values("pk", "received_at").get()
            youngest = _youngest_child_born([dict(row)])[item.object_id]
            return _as_moment(birthday(youngest, rule.keep_until_age)) <= now
        return True
    if item.contact_id is not None and protected_contacts().filter(pk=item.contact_id).exists():
        return False
    queries: dict[str, QuerySet[Any]] = {
        "message": _messages_due(cutoff),
        "attachment": _attachments_due(cutoff),
        "discussion_attachment": _discussion_attachments_due(cutoff),
        "indexed_person": _index_records_due(cutoff),
    }
    return queries[item.object_type].filter(pk=item.object_id).exists()


def _dispose(run: RetentionRun, item: DueItem, rule: Rule, actor: Actor, now: datetime) -> bool:
    """Remove one record in its own transaction; False if it was no longer due or another
    machine got there first."""
    if item.object_type == "audit_seal":
        return _prune_seal(run, item, rule, actor, now)
    with transaction.atomic():
        contact_id = item.contact_id
        _lock_contact(contact_id)
        if not _still_due(item, rule, now) or not _claim(run, item, now):
            return False
        detail: dict[str, Any] = {"retention": item.record_type}
        if item.object_type == "contact":
            contact = Contact.objects.get(pk=item.object_id)
            detail["removed"] = contact_anonymise(contact, on_commit=transaction.on_commit)
            action, object_type = AuditAction.UPDATE, "contact"
        elif item.object_type == "message":
            message_anonymise(Message.objects.filter(pk=item.object_id))
            action, object_type = AuditAction.UPDATE, "message"
        elif item.object_type == "attachment":
            files_delete(list(Attachment.objects.filter(pk=item.object_id)), transaction.on_commit)
            action, object_type = AuditAction.DELETE, "attachment"
        elif item.object_type == "discussion_attachment":
            files_delete(
                list(DiscussionAttachment.objects.filter(pk=item.object_id)),
                transaction.on_commit,
            )
            action, object_type = AuditAction.DELETE, "discussion_attachment"
        else:
            IndexedPerson.objects.filter(pk=item.object_id).delete()
            action, object_type = AuditAction.DELETE, "indexed_person"
        detail["action"] = str(item.action)
        audit_record(
            actor=actor,
            action=action,
            object_type=object_type,
            object_id=item.object_id,
            contact_id=contact_id,
            detail=detail,
        )
    return True


def _prune_seal(run: RetentionRun, item: DueItem, rule: Rule, actor: Actor, now: datetime) -> bool:
    cutoff = min(rule.cutoff(now), months_before(now, AUDIT_MIN_MONTHS))
    seal = AuditSeal.objects.filter(pk=item.object_id).first()
    if seal is None:
        return False
    with transaction.atomic():
        prune = audit_prune_seal(
            actor=actor,
            seal=seal,
            before=cutoff,
            reason=f"Retention schedule: audit events kept {rule.keep_months} months",
            now=now,
        )
        if prune is None or not _claim(run, item, now):
            return False
    return True


@dataclass
class RetentionOutcome:
    run: RetentionRun | None
    # None: another machine's run holds the lock; nothing was done here.
    done: dict[str, int] = field(default_factory=dict)
    skipped: int = 0
    failed: int = 0


def retention_apply(*, now: datetime | None = None, limit: int | None = None) -> RetentionOutcome:
    """Anonymise or delete everything due now under the schedule (at most `limit`
    records), each in its own transaction with its audit event. Returns what was done.

    Guarantees: never touches a protected contact's records (checked again under the
    contact's row lock); never does one record twice, even with two machines running it;
    audit events go only a whole seal at a time, oldest first, and never within a year;
    one record that cannot be removed is logged (by id) and the run goes on.
    """
    now = now or timezone.now()
    actor = Actor(system=SYSTEM)
    with _run_lock() as held:
        if not held:
            logger.info("Another machine is applying the retention schedule; nothing done here.")
            return RetentionOutcome(run=None)
        plan = retention_plan(now=now)
        run = RetentionRun.objects.create(started_at=now)
        outcome = RetentionOutcome(run=run)
        budget = limit
        for record_type, items in plan.due.items():
            rule = plan.schedule[record_type]
            for item in items:
                if budget is not None and budget <= 0:
                    break
                try:
                    done = _dispose(run, item, rule, actor, now)
                except (AuditPruneRefused, ProtectedError, DatabaseError) as error:
                    outcome.failed += 1
                    logger.warning(
                        "Retention could not remove %s %s: %s",
                        item.object_type,
                        item.object_id,
                        type(error).__name__,
                    )
                    if isinstance(error, AuditPruneRefused):
                        break  # later seals must wait for this one
                    continue
                if done:
                    outcome.done[record_type] = outcome.done.get(record_type, 0) + 1
                    if budget is not None:
                        budget -= 1
                else:
                    outcome.skipped += 1
        run.finished_at = timezone.now()
        run.counts = outcome.done
        if outcome.failed:
            run.error = f"{outcome.failed} records could not be removed (see the log)"
        run.save(update_fields=["finished_at", "counts", "error"])
    return outcome


def retention_last_run() -> RetentionRun | None:
    return RetentionRun.objects.first()


__all__ = [
    "DueItem",
    "HeldItem",
    "RetentionOutcome",
    "RetentionPlan",
    "protected_contacts",
    "retention_apply",
    "retention_last_run",
    "retention_plan",
]
