"""Subject access (UK GDPR Article 15; issue 14, item 9): find the records OpenMASH holds
about a person, and gather every one of them into one export for an information
governance officer to review before anything is disclosed.

- The search reuses Find a child's matcher and lookups (openmash.linkage.search) over
  every record: the people named in every contact, adults too, and every agency's index
  records (hidden ones included: the controller answers for all of them). What was typed
  is never stored or audited, only which fields were used and how many records were found.
- The officer chooses which records are the person's; the request keeps those ids, the
  officer's own case reference and the date it was received.
- The export is built from the database each time it is opened, so it always shows what
  is held now. Every entry is marked: the person's own information (no mark); a third
  party's (another person named on the contact, the referrer, an email address): marked
  for redaction; a member of staff's name: marked for the officer to decide; an agency's
  information or free text: marked for review (the agency is asked before its information
  is disclosed; text may name others); information an agency restricted: marked as one
  that may be withheld where disclosure would be likely to cause serious harm (DPA 2018
  Schedule 3). MASH-DOMAIN.md section 7; ADR 0025.
- The search, the request, each time the export is opened and each download are in the
  audit log, with a read of every contact gathered, so the person's own access log shows
  that the officer saw it.
"""

import io
import json
import logging
import zipfile
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q
from django.http import Http404
from django.template.loader import render_to_string
from django.utils import timezone

from openmash.accounts.models import User
from openmash.contacts.models import Contact, ContactPerson, PersonCorrection
from openmash.core.attachments import attachment_kind_label, attachment_storage, size_text
from openmash.core.audit import Actor, audit_record, audit_record_many
from openmash.core.models import AuditAction, AuditEvent
from openmash.enquiries.models import (
    Attachment,
    CaseNote,
    CheckFinding,
    Decision,
    HandOn,
    Message,
)
from openmash.governance.models import SubjectAccessRequest
from openmash.linkage.models import IndexedPerson, IndexSource
from openmash.linkage.search import IndexScope, SearchTerms, search_index
from openmash.strategy.models import DiscussionAttachment, StrategyDiscussion
from openmash.value.services import PDF_OPTIONS

PERMISSION = "governance.subject_access"
# Records a search shows at most: more are narrowed by typing more.
RESULTS_SHOWN = 50
# Access log entries gathered per export at most (the newest); the export says so when cut.
ACCESS_LOG_LIMIT = 5000

# How an entry is marked for the officer's review.
THIRD_PARTY = "third-party"
STAFF = "staff"
REVIEW = "review"
WITHHOLD = "may-withhold"
MARKS = {
    THIRD_PARTY: "Third party: redact before disclosure",
    STAFF: "Staff name: disclose only if appropriate",
    REVIEW: "Review before disclosure",
    WITHHOLD: "Restricted by the agency: may be withheld (serious harm)",
}


def _require(actor: Actor) -> User:
    if actor.user is None or not actor.user.has_perm(PERMISSION):
        raise PermissionDenied
    return actor.user


# --- The search ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Candidate:
    """One record found: a person named in a contact, or an agency's index record."""

    indexed_person_id: int
    probability: float | None
    explanation: list[str]
    person: ContactPerson | None
    record: IndexedPerson | None


def subject_search(
    *, actor: Actor, terms: SearchTerms, search_id: str, fields: list[str]
) -> list[Candidate]:
    """Every record that may be the person's, closest first; the search and each result
    shown are audited (never what was typed)."""
    _require(actor)
    scope = IndexScope(every_contact=True, children_only=False)
    found = search_index(terms, scope=scope, limit=RESULTS_SHOWN)
    person_ids = [item.contact_person_id for item in found if item.source == IndexSource.CONTACT]
    record_ids = [item.indexed_person_id for item in found if item.source == IndexSource.AGENCY]
    people = ContactPerson.objects.select_related("contact").in_bulk(person_ids)
    records = IndexedPerson.objects.select_related("agency").in_bulk(record_ids)
    candidates = [
        Candidate(
            indexed_person_id=item.indexed_person_id,
            probability=item.probability,
            explanation=item.explanation,
            person=people.get(item.contact_person_id) if item.contact_person_id else None,
            record=records.get(item.indexed_person_id)
            if item.source == IndexSource.AGENCY
            else None,
        )
        for item in found
    ]
    candidates = [c for c in candidates if c.person is not None or c.record is not None]
    with transaction.atomic():
        audit_record(
            actor=actor,
            action=AuditAction.SEARCH,
            object_type="subject_access_search",
            object_id=search_id,
            detail={"fields": fields, "results": len(candidates)},
        )
        shown = {"via": "subject_access", "search": search_id}
        audit_record_many(
            actor=actor,
            action=AuditAction.LIST,
            object_type="person",
            objects=[(c.person.pk, c.person.contact_id) for c in candidates if c.person],
            detail=shown,
        )
        audit_record_many(
            actor=actor,
            action=AuditAction.LIST,
            object_type="indexed_person",
            objects=[(c.record.pk, None) for c in candidates if c.record],
            detail=shown,
        )
    return candidates


class SubjectAccessRefused(Exception):
    def __init__(self, message: str, field: str = "") -> None:
        super().__init__(message)
        self.field = field


@transaction.atomic
def subject_access_request_create(
    *,
    actor: Actor,
    reference: str,
    received_on: date,
    contact_person_ids: list[int],
    indexed_person_ids: list[int],
) -> SubjectAccessRequest:
    """Record the request with the records the officer chose as the person's. Raises
    PermissionDenied, or SubjectAccessRefused (nothing chosen, a record that no longer
    exists, a date in the future, no reference)."""
    user = _require(actor)
    reference = reference.strip()
    if not reference:
        raise SubjectAccessRefused("Enter your reference for the request", "reference")
    if received_on > timezone.localdate():
        raise SubjectAccessRefused("The date received must be today or in the past", "received_on")
    people = sorted(set(contact_person_ids))
    records = sorted(set(indexed_person_ids))
    if not people and not records:
        raise SubjectAccessRefused("Choose the records that are the person's", "records")
    if ContactPerson.objects.filter(pk__in=people).count() != len(people) or (
        IndexedPerson.objects.filter(pk__in=records, source=IndexSource.AGENCY).count()
        != len(records)
    ):
        raise SubjectAccessRefused("A record chosen no longer exists: search again", "records")
    request = SubjectAccessRequest.objects.create(
        reference=reference,
        received_on=received_on,
        requested_by=user,
        contact_person_ids=people,
        indexed_person_ids=records,
    )
    audit_record(
        actor=actor,
        action=AuditAction.CREATE,
        object_type="subject_access_request",
        object_id=request.pk,
        detail={"people": len(people), "index_records": len(records)},
    )
    return request


def subject_access_requests(*, actor: Actor) -> list[SubjectAccessRequest]:
    """The requests recorded, newest first (references and dates only, no names)."""
    _require(actor)
    return list(SubjectAccessRequest.objects.select_related("requested_by")[:100])


# --- The export ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Entry:
    label: str
    value: str
    mark: str = ""

    @property
    def mark_text(self) -> str:
        return MARKS.get(self.mark, "")


@dataclass
class Block:
    heading: str
    entries: list[Entry] = field(default_factory=list)
    note: str = ""

    def add(self, label: str, value: object, mark: str = "") -> None:
        text = _text(value)
        if text:
            self.entries.append(Entry(label, text, mark))


@dataclass
class ContactRecord:
    reference: str
    contact_id: int
    blocks: list[Block]


@dataclass(frozen=True)
class AccessEntry:
    at: datetime
    who: str
    agency: str
    action: str
    what: str


@dataclass(frozen=True)
class FileEntry:
    """A file on one of the person's contacts, to open and review (included in the ZIP)."""

    name: str
    kind: str
    size: str
    uploaded_at: datetime
    uploaded_by: str
    on: str
    stored_name: str
    zip_name: str


@dataclass
class SubjectAccessExport:
    request: SubjectAccessRequest
    generated_at: datetime
    contacts: list[ContactRecord]
    index_records: list[Block]
    access_log: list[AccessEntry]
    access_log_cut: bool
    files: list[FileEntry]

    @property
    def counts(self) -> dict[str, int]:
        marks: dict[str, int] = {}
        for block in self._blocks():
            for entry in block.entries:
                if entry.mark:
                    marks[entry.mark] = marks.get(entry.mark, 0) + 1
        return marks

    @property
    def counts_text(self) -> str:
        counts = self.counts
        words = {
            THIRD_PARTY: "third party",
            WITHHOLD: "may withhold",
            REVIEW: "to review",
            STAFF: "staff names",
        }
        return ", ".join(
            f"{counts[mark]} {words[mark]}"
            for mark in (THIRD_PARTY, WITHHOLD, REVIEW, STAFF)
            if counts.get(mark)
        )

    def _blocks(self) -> Iterable[Block]:
        for record in self.contacts:
            yield from record.blocks
        yield from self.index_records

    def as_json(self) -> dict[str, Any]:
        def blocks(items: list[Block]) -> list[dict[str, Any]]:
            return [
                {
                    "heading": block.heading,
                    "note": block.note,
                    "entries": [
                        {
                            "label": entry.label,
                            "value": entry.value,
                            "mark": entry.mark,
                            "mark_text": entry.mark_text,
                        }
                        for entry in block.entries
                    ],
                }
                for block in items
            ]

        return {
            "format": "openmash-subject-access-v1",
            "reference": self.request.reference,
            "received_on": self.request.received_on.isoformat(),
            "generated_at": self.generated_at.isoformat(),
            "marks": MARKS,
            "contacts": [
                {"reference": record.reference, "blocks": blocks(record.blocks)}
                for record in self.contacts
            ],
            "index_records": blocks(self.index_records),
            "files": [
                {key: value for key, value in asdict(file).items() if key != "stored_name"}
                | {"uploaded_at": file.uploaded_at.isoformat()}
                for file in self.files
            ],
            "access_log": [
                {
                    "at": entry.at.isoformat(),
                    "who": entry.who,
                    "agency": entry.agency,
                    "action": entry.action,
                    "what": entry.what,
                    "mark": STAFF,
                }
                for entry in self.access_log
            ],
            "access_log_cut": self.access_log_cut,
        }


def _text(value: object) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, datetime):
        return f"{timezone.localtime(value):%d %B %Y %H:%M}"
    if isinstance(value, date):
        return f"{value:%d %B %Y}"
    return str(value)


def _staff(user: Any) -> str:
    return user.display_name if user is not None else ""


def _person_entries(block: Block, person: ContactPerson, mark: str) -> None:
    block.add("Name", person.full_name if (person.given_names or person.family_name) else "", mark)
    block.add("Other names", person.other_names, mark)
    block.add("Role in the contact", person.get_role_display(), mark)
    block.add("Date of birth", person.date_of_birth, mark)
    block.add("Expected date of birth", person.expected_birth_date, mark)
    block.add("Estimated age", person.estimated_age, mark)
    block.add("Sex", person.get_sex_display(), mark)
    address = ", ".join(
        part for part in [person.address_line1, person.address_line2, person.town] if part
    )
    block.add("Address", address, mark)
    block.add("Postcode", person.postcode, mark)
    block.add("NHS number", person.nhs_number, mark)
    block.add("Unique pupil number", person.upn, mark)
    block.add("Ethnicity", person.get_ethnicity_display() if person.ethnicity else "", mark)
    block.add("First language", person.first_language, mark)
    block.add("Disability", person.get_disability_display() if person.disability else "", mark)
    block.add("School (URN)", person.school_urn, mark)
    block.add("GP practice (ODS code)", person.gp_practice, mark)


def _contact_record(contact: Contact, own_ids: set[int]) -> tuple[ContactRecord, list[FileEntry]]:
    blocks: list[Block] = []
    about = Block("The contact")
    about.add("Reference", contact.reference)
    about.add("Received", contact.received_at)
    about.add("How it came in", contact.get_channel_display())
    about.add("Referral source", contact.get_referral_source_display())
    about.add("State", contact.get_state_display())
    about.add("Closed or handed on", contact.closed_at)
    about.add("Immediate risk", contact.immediate_risk)
    about.add("Consent", contact.get_consent_status_display())
    about.add("Consent: why", contact.consent_reason, REVIEW)
    about.add("Lawful basis", contact.get_lawful_basis_display())
    about.add("Concerns", ", ".join(f.get_code_display() for f in contact.factors.all()))
    about.add("What the referrer said", contact.concern_description, REVIEW)
    blocks.append(about)

    referrer = Block(
        "Who made the contact",
        note="The referrer's identity is third-party information; an anonymous referrer's "
        "must never be disclosed.",
    )
    referrer.add("Anonymous referrer", contact.referrer_anonymous)
    referrer.add("Name", contact.referrer_name, THIRD_PARTY)
    referrer.add("Role", contact.referrer_role, THIRD_PARTY)
    referrer.add("Organisation", contact.referrer_organisation, THIRD_PARTY)
    referrer.add("Email", contact.referrer_email, THIRD_PARTY)
    referrer.add("Phone", contact.referrer_phone, THIRD_PARTY)
    blocks.append(referrer)

    people = list(contact.people.all())
    for person in people:
        own = person.pk in own_ids
        block = Block(
            "The person (as recorded in this contact)"
            if own
            else f"Another person named: {person.get_role_display().lower()}",
            note="" if own else "Another person's information: redact before disclosure.",
        )
        _person_entries(block, person, "" if own else THIRD_PARTY)
        if own:
            for correction in PersonCorrection.objects.filter(person=person).select_related(
                "corrected_by"
            ):
                changed = ", ".join(
                    f"{name.replace('_', ' ')}: {change.get('from') or 'not known'} to "
                    f"{change.get('to') or 'not known'}"
                    for name, change in sorted(correction.changes.items())
                )
                block.add(f"Corrected {_text(correction.corrected_at)}", changed)
                block.add("Why corrected", correction.reason, REVIEW)
                block.add("Corrected by", _staff(correction.corrected_by), STAFF)
        blocks.append(block)

    for addition in contact.additions.all():
        extra = Block(f"Information the referrer added on {_text(addition.added_at)}")
        extra.add("Text", addition.text, REVIEW)
        blocks.append(extra)

    for rating in contact.rag_ratings.select_related("level", "set_by"):
        block = Block(f"RAG rating: {rating.level.label}")
        block.add("Set", rating.set_at)
        block.add("Why", rating.rationale, REVIEW)
        block.add("Set by", _staff(rating.set_by), STAFF)
        blocks.append(block)

    findings = CheckFinding.objects.filter(agency_check__contact=contact).select_related(
        "agency_check__agency", "agency_check__completed_by", "person"
    )
    for finding in findings:
        check = finding.agency_check
        agency = check.agency.name
        own = finding.person_id in own_ids
        block = Block(
            f"{agency}: what it found about "
            + (
                "the person"
                if own
                else f"another person ({finding.person.get_role_display().lower()})"
            ),
            note=f"{agency}'s information: ask {agency} before disclosing it.",
        )
        mark = REVIEW if own else THIRD_PARTY
        block.add("Known to the agency", finding.known, mark)
        block.add("Summary", finding.summary, mark)
        block.add("Risk indicators", finding.risk_indicators, mark)
        block.add("Last involvement", finding.last_involvement_on, mark)
        block.add("Lawful basis", finding.get_lawful_basis_display())
        block.add("Restricted information", finding.restricted_information, WITHHOLD)
        block.add("Recorded", check.completed_at)
        block.add("Recorded by", _staff(check.completed_by), STAFF)
        blocks.append(block)

    for decision in Decision.objects.filter(contact=contact).select_related(
        "outcome", "level_of_need", "decided_by"
    ):
        block = Block("Amended decision" if decision.amends_id else "The MASH decision")
        block.add("Decided", decision.decided_at)
        block.add("Outcome", decision.outcome.label)
        block.add("Level of need", decision.level_of_need.label if decision.level_of_need else "")
        block.add("Primary need", decision.get_primary_need_display())
        block.add("Rationale", decision.rationale, REVIEW)
        block.add("Summary for the receiving team", decision.summary, REVIEW)
        block.add("Risks to workers visiting", decision.worker_risks, REVIEW)
        block.add("Why amended", decision.amendment_reason, REVIEW)
        block.add("Decided by", _staff(decision.decided_by), STAFF)
        for child in decision.child_outcomes.select_related("person", "outcome"):
            mark = "" if child.person_id in own_ids else THIRD_PARTY
            block.add(f"Outcome for {child.person.full_name}", child.outcome.label, mark)
        blocks.append(block)

    for hand_on in HandOn.objects.filter(contact=contact).select_related("responded_by"):
        block = Block(f"Handed on to {hand_on.get_team_display()}")
        block.add("Handed on", hand_on.created_at)
        block.add("State", hand_on.get_state_display())
        block.add("Allocated worker", hand_on.allocated_worker, STAFF)
        block.add("Worker's contact details", hand_on.worker_contact, STAFF)
        block.add("Why returned", hand_on.return_reason, REVIEW)
        block.add("Answered by", _staff(hand_on.responded_by), STAFF)
        blocks.append(block)

    for note in CaseNote.objects.filter(contact=contact).select_related("author", "author_agency"):
        block = Block(f"Case note: {note.get_note_type_display().lower()}")
        block.add("Written", note.created_at)
        block.add("Note", note.text, REVIEW)
        block.add("Author", _staff(note.author), STAFF)
        block.add("Author's agency", note.author_agency.name if note.author_agency else "")
        blocks.append(block)

    discussions = list(StrategyDiscussion.objects.filter(contact=contact).select_related("chair"))
    for discussion in discussions:
        block = Block("Strategy discussion")
        block.add("Raised", discussion.raised_at)
        block.add("Why raised", discussion.reason, REVIEW)
        block.add("State", discussion.get_state_display())
        block.add("Held", discussion.scheduled_for)
        block.add("Chair", _staff(discussion.chair), STAFF)
        block.add("Minutes", discussion.minutes, REVIEW)
        block.add("Decision", discussion.get_outcome_display() if discussion.outcome else "")
        block.add("Decision detail", discussion.outcome_detail, REVIEW)
        for action in discussion.actions.select_related("owner_agency"):
            block.add(f"Action for {action.owner_agency.name}", action.description, REVIEW)
        blocks.append(block)

    for message in Message.objects.filter(contact=contact):
        block = Block(f"Email: {message.get_kind_display().lower()}")
        block.add("Sent", message.sent_at or message.created_at)
        block.add("To", message.to_email, THIRD_PARTY)
        block.add("Subject", message.subject, REVIEW)
        block.add("Body", message.body, REVIEW)
        blocks.append(block)

    files: list[FileEntry] = []
    attachments: list[tuple[Any, str]] = [
        (
            file,
            "the contact"
            if file.agency_check_id is None and file.case_note_id is None
            else ("an agency's check" if file.agency_check_id else "a case note"),
        )
        for file in Attachment.objects.filter(contact=contact).select_related("uploaded_by")
    ]
    attachments += [
        (file, "a strategy discussion")
        for file in DiscussionAttachment.objects.filter(discussion__in=discussions).select_related(
            "uploaded_by"
        )
    ]
    for file, on in attachments:
        files.append(
            FileEntry(
                name=file.filename,
                kind=attachment_kind_label(file.content_type),
                size=size_text(file.size),
                uploaded_at=file.uploaded_at,
                uploaded_by=_staff(file.uploaded_by),
                on=f"{contact.reference}, on {on}",
                stored_name=file.stored_name,
                zip_name=f"files/{contact.reference}/{file.public_id}-{file.filename}",
            )
        )
    return ContactRecord(contact.reference, contact.pk, blocks), files


def _index_block(record: IndexedPerson) -> Block:
    agency = record.agency.name if record.agency else "An agency"
    block = Block(
        f"{agency}'s index record",
        note=f"{agency}'s information, sent to the MASH for matching: ask {agency} before "
        "disclosing it.",
    )
    block.add("Agency's own id", record.source_id, REVIEW)
    block.add(
        "Name",
        " ".join(part for part in [record.given_names, record.family_name] if part),
        REVIEW,
    )
    block.add("Other names", record.other_names, REVIEW)
    block.add("Date of birth", record.date_of_birth, REVIEW)
    block.add("Sex", record.sex, REVIEW)
    block.add("Address", record.address, REVIEW)
    block.add("Postcode", record.postcode, REVIEW)
    block.add("NHS number", record.nhs_number, REVIEW)
    block.add("Unique pupil number", record.upn, REVIEW)
    block.add("Involvement", record.involvement, REVIEW)
    block.add("Received from the agency", record.imported_at)
    block.add("No longer in the agency's feed since", record.withdrawn_at)
    return block


def _access_log(
    contact_ids: list[int], person_ids: list[int], record_ids: list[int]
) -> tuple[list[AccessEntry], bool]:
    condition = Q(contact_id__in=contact_ids)
    if person_ids:
        condition |= Q(object_type="person", object_id__in=[str(pk) for pk in person_ids])
    if record_ids:
        condition |= Q(object_type="indexed_person", object_id__in=[str(pk) for pk in record_ids])
    events = list(
        AuditEvent.objects.filter(condition)
        .select_related("actor_user__agency", "actor_token__agency")
        .order_by("-occurred_at", "-id")[: ACCESS_LOG_LIMIT + 1]
    )
    entries = []
    for event in events[:ACCESS_LOG_LIMIT]:
        if event.actor_user is not None:
            who = event.actor_user.display_name
            agency = event.actor_user.agency.name if event.actor_user.agency else ""
        elif event.actor_token is not None:
            who = f"{event.actor_token.name} (a system)"
            agency = event.actor_token.agency.name
        else:
            who, agency = f"OpenMASH ({event.detail.get('system', 'system')})", ""
        entries.append(
            AccessEntry(
                at=event.occurred_at,
                who=who,
                agency=agency,
                action=event.get_action_display(),
                what=event.object_type.replace("_", " "),
            )
        )
    return entries, len(events) > ACCESS_LOG_LIMIT


def _gather(request: SubjectAccessRequest) -> SubjectAccessExport:
    own_ids = set(request.contact_person_ids)
    contact_ids = sorted(
        set(
            ContactPerson.objects.filter(pk__in=request.contact_person_ids).values_list(
                "contact_id", flat=True
            )
        )
    )
    contacts = (
        Contact.objects.filter(pk__in=contact_ids)
        .prefetch_related("factors", "people", "additions")
        .order_by("received_at", "pk")
    )
    records: list[ContactRecord] = []
    files: list[FileEntry] = []
    for contact in contacts:
        record, found = _contact_record(contact, own_ids)
        records.append(record)
        files.extend(found)
    index = [
        _index_block(record)
        for record in IndexedPerson.objects.filter(
            pk__in=request.indexed_person_ids, source=IndexSource.AGENCY
        ).select_related("agency")
    ]
    access_log, cut = _access_log(contact_ids, sorted(own_ids), request.indexed_person_ids)
    return SubjectAccessExport(
        request=request,
        generated_at=timezone.now(),
        contacts=records,
        index_records=index,
        access_log=access_log,
        access_log_cut=cut,
        files=files,
    )


def subject_access_export(
    *, actor: Actor, public_id: str, download: str = ""
) -> SubjectAccessExport:
    """Everything held about the person of this request, gathered now and recorded in
    the audit log (the request read, or downloaded as `download`, and a read of each
    contact gathered). Raises PermissionDenied, or Http404 for an unknown request."""
    _require(actor)
    request = (
        SubjectAccessRequest.objects.select_related("requested_by")
        .filter(public_id=public_id)
        .first()
    )
    if request is None:
        raise Http404
    export = _gather(request)
    with transaction.atomic():
        audit_record(
            actor=actor,
            action=AuditAction.READ,
            object_type="subject_access_request",
            object_id=request.pk,
            detail={"download": download} if download else {},
        )
        audit_record_many(
            actor=actor,
            action=AuditAction.READ,
            object_type="contact",
            objects=[(record.contact_id, record.contact_id) for record in export.contacts],
            detail={"via": "subject_access", "request": request.pk},
        )
    return export


# --- Downloads ----------------------------------------------------------------------------


def export_html(export: SubjectAccessExport) -> str:
    """The export as one printable HTML document (also the PDF's source)."""
    return render_to_string("governance/subject_access_document.html", {"export": export})


def export_pdf(export: SubjectAccessExport) -> bytes:
    """The export as a tagged PDF, printed as the board report is (WeasyPrint)."""
    logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)
    # Imported here, as the board report does: WeasyPrint loads Pango and fonts.
    from weasyprint import HTML

    return HTML(string=export_html(export)).write_pdf(**PDF_OPTIONS) or b""


def export_zip(export: SubjectAccessExport) -> bytes:
    """A ZIP of the export as JSON, printable HTML and PDF, with every file attached to
    the person's contacts (each to be opened and reviewed before disclosure)."""
    buffer = io.BytesIO()
    storage = attachment_storage()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            "subject-access.json", json.dumps(export.as_json(), indent=2, ensure_ascii=False)
        )
        archive.writestr("subject-access.html", export_html(export))
        archive.writestr("subject-access.pdf", export_pdf(export))
        for file in export.files:
            try:
                with storage.open(file.stored_name, "rb") as stored:
                    archive.writestr(file.zip_name, stored.read())
            except FileNotFoundError:
                archive.writestr(file.zip_name + ".MISSING.txt", "The stored file is missing.")
    return buffer.getvalue()
