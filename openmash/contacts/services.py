"""Every write to contacts goes through here, with its audit event in the same transaction."""

import hashlib
import json
import uuid
from dataclasses import asdict
from datetime import datetime
from functools import partial

from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django_tasks import task_backends
from django_tasks_db.backend import DatabaseBackend

from openmash.accounts.models import User
from openmash.area.calendar import calendar_for_area
from openmash.area.deadlines import decision_deadline, provisional_level
from openmash.area.models import WorkingHours
from openmash.contacts.codes import ContactState, ReferralSource
from openmash.contacts.models import (
    Contact,
    ContactDraft,
    ContactFactor,
    ContactPerson,
)
from openmash.contacts.submission import ContactSubmission, FieldError, submission_errors
from openmash.core.audit import Actor, AuditActorMissing, audit_record
from openmash.core.intake import contact_received
from openmash.core.metric_facts import contacts_changed
from openmash.core.models import AuditAction
from openmash.linkage.index import index_contact_people
from openmash.people.identifiers import (
    gp_practice_normal,
    nhs_number_digits,
    postcode_normal,
    school_urn_normal,
    upn_normal,
)

DRAFT_FIELD_LIMIT = 1000


class ContactInvalid(Exception):
    """The submission breaks one or more rules; nothing was written."""

    def __init__(self, errors: list[FieldError]) -> None:
        super().__init__(f"{len(errors)} field error(s)")
        self.errors = errors


class IdempotencyKeyReused(Exception):
    """The key was used before with a different request; nothing was written."""


def _match_in_background(contact_id: int) -> None:
    from openmash.linkage.tasks import match_contact_people

    match_contact_people.enqueue(contact_id)


def _queue_matching(contact_id: int) -> None:
    """Queues the matching of a new contact's people against the person index.

    With the database task backend the task is a row in the contact's own transaction:
    it commits with the contact or not at all, so a process killed straight after the
    commit cannot leave a contact that is never matched, and it costs no second commit.
    Any other backend (or one that runs tasks at once) is handed the task once the
    contact is safely stored; a queue that cannot be reached is logged, never an error.
    """
    if isinstance(task_backends["default"], DatabaseBackend):
        _match_in_background(contact_id)
    else:
        transaction.on_commit(partial(_match_in_background, contact_id), robust=True)


def _reference_taken(contact_id: int, year: int) -> str:
    """Take the year's next reference number and write it on the contact: on PostgreSQL
    one statement (the number taken in a WITH, the contact updated from it), elsewhere
    two. The reference reads MASH-<year>-<number, at least six digits>."""
    if connection.vendor != "postgresql":
        reference = _next_reference(year)
        Contact.objects.filter(pk=contact_id).update(reference=reference)
        return reference
    with connection.cursor() as cursor:
        cursor.execute(
            "WITH taken AS ("
            "INSERT INTO contacts_referencesequence (year, last_number) VALUES (%s, 1) "
            "ON CONFLICT (year) DO UPDATE "
            "SET last_number = contacts_referencesequence.last_number + 1 "
            "RETURNING last_number) "
            "UPDATE contacts_contact SET reference = "
            "'MASH-' || %s::text || '-' || "
            "lpad(taken.last_number::text, greatest(6, length(taken.last_number::text)), '0') "
            "FROM taken WHERE contacts_contact.id = %s RETURNING contacts_contact.reference",
            [year, year, contact_id],
        )
        (reference,) = cursor.fetchone()
    return str(reference)


def _next_reference(year: int) -> str:
    # One statement on both databases (PostgreSQL, SQLite 3.35+): the row lock it takes
    # orders concurrent contacts, and each gets the next number. The lock is held until
    # the contact's transaction commits, so contact_create takes it last (below): taken
    # first, it made every other contact wait for the whole of this one's work.
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO contacts_referencesequence (year, last_number) VALUES (%s, 1) "
            "ON CONFLICT (year) DO UPDATE "
            "SET last_number = contacts_referencesequence.last_number + 1 "
            "RETURNING last_number",
            [year],
        )
        (number,) = cursor.fetchone()
    return f"MASH-{year}-{number:06d}"


def submission_fingerprint(submission: ContactSubmission) -> str:
    payload = json.dumps(asdict(submission), sort_keys=True, default=str)
    return hashlib.sha256(payload.encode()).hexdigest()


def _contact_for_idempotency_key(actor: Actor, key: str, fingerprint: str) -> Contact | None:
    existing = Contact.objects.filter(submitted_by_token=actor.token, idempotency_key=key).first()
    if existing is not None and existing.request_fingerprint != fingerprint:
        raise IdempotencyKeyReused(key)
    return existing


def contact_from_submission(
    submission: ContactSubmission,
    *,
    actor: Actor,
    reference: str,
    received_at: datetime,
    recorded_at: datetime,
    deadline_at: datetime | None,
    idempotency_key: str = "",
    request_fingerprint: str = "",
) -> Contact:
    """The contact a valid submission records, in state *received*, not yet saved: its
    referrer (nothing of an anonymous one but how to reply), concerns and consent, with
    spaces trimmed. contact_create saves it with its people and audit event; the demo's
    fast path (openmash/demo/fast.py) writes many at once."""
    referrer = submission.referrer
    concerns = submission.concerns
    return Contact(
        reference=reference,
        state=ContactState.RECEIVED,
        received_at=received_at,
        received_at_reason=submission.received_at_reason.strip(),
        recorded_at=recorded_at,
        channel=submission.channel,
        submitted_by_user=actor.user,
        submitted_by_token=actor.token,
        submitted_by_agency_id=actor.agency_id,
        referrer_anonymous=referrer.anonymous,
        referrer_name="" if referrer.anonymous else referrer.name.strip(),
        referrer_role="" if referrer.anonymous else referrer.role.strip(),
        referrer_organisation="" if referrer.anonymous else referrer.organisation.strip(),
        referrer_email=referrer.email.strip(),
        referrer_phone=referrer.phone.strip(),
        referral_source=ReferralSource.ANONYMOUS if referrer.anonymous else referrer.source_code,
        concern_description=concerns.description.strip(),
        immediate_risk=bool(concerns.immediate_risk),
        referrer_level_of_need=concerns.referrer_level_of_need,
        consent_status=submission.consent.status,
        consent_reason=submission.consent.reason.strip(),
        lawful_basis=submission.consent.lawful_basis,
        idempotency_key=idempotency_key,
        request_fingerprint=request_fingerprint,
        deadline_at=deadline_at,
    )


def contact_create(
    *,
    actor: Actor,
    submission: ContactSubmission,
    idempotency_key: str = "",
    now: datetime | None = None,
) -> tuple[Contact, bool]:
    """Record a contact as received, in state *received*, with its audit event.

    Returns (contact, created). With an idempotency key already used by the same
    API token for the same request, returns the first contact and created=False;
    raises IdempotencyKeyReused if the request differs, ContactInvalid on any
    field error. Never writes a half-saved contact.
    """
    if actor.user is None and actor.token is None:
        raise AuditActorMissing("A contact needs a user or an API token to submit it.")
    now = now or timezone.now()
    errors = submission_errors(submission, now=now)
    if errors:
        raise ContactInvalid(errors)
    fingerprint = submission_fingerprint(submission) if idempotency_key else ""
    try:
        return _contact_create(
            actor=actor,
            submission=submission,
            idempotency_key=idempotency_key,
            fingerprint=fingerprint,
            now=now,
        )
    except IntegrityError:
        # Two requests with one idempotency key can race past the look-up; the unique
        # constraint stops the second, whose writes _contact_create's atomic block rolls
        # back (the whole transaction, or its savepoint inside a caller's): the winner's
        # contact is read after it. No savepoint around the insert itself.
        if not idempotency_key:
            raise
        existing = _contact_for_idempotency_key(actor, idempotency_key, fingerprint)
        if existing is None:
            raise
        return existing, False


@transaction.atomic
def _contact_create(
    *,
    actor: Actor,
    submission: ContactSubmission,
    idempotency_key: str,
    fingerprint: str,
    now: datetime,
) -> tuple[Contact, bool]:
    if idempotency_key:
        existing = _contact_for_idempotency_key(actor, idempotency_key, fingerprint)
        if existing is not None:
            return existing, False

    received_at = submission.received_at or now
    concerns = submission.concerns
    level = provisional_level(immediate_risk=bool(concerns.immediate_risk))
    # The area's working hours and calendar, read once for the deadline and for the
    # out-of-hours handlers below.
    hours = WorkingHours.objects.first() or WorkingHours()
    calendar = calendar_for_area(hours)
    contact = contact_from_submission(
        submission,
        actor=actor,
        # A placeholder, unique and unlike any reference, until the number is taken at
        # the end of this transaction; nothing outside it ever sees one.
        reference=f"-{uuid.uuid4().hex[:19]}",
        received_at=received_at,
        recorded_at=now,
        deadline_at=(
            decision_deadline(received_at=received_at, level=level, calendar=calendar)
            if level is not None
            else None
        ),
        idempotency_key=idempotency_key,
        request_fingerprint=fingerprint,
    )
    contact.save()

    people = ContactPerson.objects.bulk_create(
        [
            ContactPerson(
                contact=contact,
                position=position,
                role=person.role,
                given_names=person.given_names.strip(),
                family_name=person.family_name.strip(),
                other_names=person.other_names.strip(),
                date_of_birth=person.date_of_birth,
                estimated_age=person.estimated_age,
                expected_birth_date=person.expected_birth_date,
                sex=person.sex,
                address_line1=person.address.line1.strip(),
                address_line2=person.address.line2.strip(),
                town=person.address.town.strip(),
                postcode=postcode_normal(person.address.postcode)
                if person.address.postcode
                else "",
                nhs_number=nhs_number_digits(person.nhs_number),
                upn=upn_normal(person.upn),
                ethnicity=person.ethnicity,
                first_language=person.first_language.strip(),
                disability=person.disability,
                school_urn=school_urn_normal(person.school_urn),
                gp_practice=gp_practice_normal(person.gp_practice),
            )
            for position, person in enumerate(submission.people)
        ]
    )
    # Everyone named goes into the person index, where the matcher looks (issue 4).
    index_contact_people(people)
    ContactFactor.objects.bulk_create(
        [ContactFactor(contact=contact, code=code) for code in dict.fromkeys(concerns.factor_codes)]
    )
    audit_record(
        actor=actor,
        action=AuditAction.CREATE,
        object_type="contact",
        object_id=contact.pk,
        contact_id=contact.pk,
        detail={"channel": contact.channel, "people": len(submission.people)},
    )
    if actor.user is not None:
        ContactDraft.objects.filter(owner=actor.user).delete()
    _queue_matching(contact.pk)
    contacts_changed([contact.pk])
    # The reference last of all: from here to the commit every other new contact waits.
    contact.reference = _reference_taken(contact.pk, timezone.localtime(received_at).year)
    # Out of hours: the referrer's acknowledgement with the emergency duty team's
    # details, and the on-call alert for a child at immediate risk (openmash.enquiries).
    contact_received(contact, now, hours=hours, calendar=calendar)
    return contact, True


@transaction.atomic
def contact_draft_save(*, actor: Actor, owner: User, data: dict[str, list[str]]) -> ContactDraft:
    """Keep what someone has typed so far; one draft per person, replaced each time.

    Characters no database can store (NUL) are dropped, so saving a draft never fails
    whatever was typed. Values are kept whole, however long: the form takes a concern of
    any length, and the request's own limit (DATA_UPLOAD_MAX_MEMORY_SIZE) bounds a
    draft. Cutting them (once at 20,000 characters) lost the end of a long account
    without a word.
    """
    clean = {
        key[:200].replace("\x00", ""): [value.replace("\x00", "") for value in values]
        for key, values in list(data.items())[:DRAFT_FIELD_LIMIT]
    }
    draft, _ = ContactDraft.objects.update_or_create(
        owner=owner, defaults={"data": clean, "updated_at": timezone.now()}
    )
    audit_record(
        actor=actor, action=AuditAction.UPDATE, object_type="contact_draft", object_id=draft.pk
    )
    return draft


@transaction.atomic
def contact_draft_discard(*, actor: Actor, owner: User) -> None:
    deleted, _ = ContactDraft.objects.filter(owner=owner).delete()
    if deleted:
        audit_record(actor=actor, action=AuditAction.DELETE, object_type="contact_draft")
