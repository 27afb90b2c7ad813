"""The MASH's work on a contact: RAG ratings, agency checks and their findings, closure
proposals, decisions, hand-ons and the messages sent about them.

Writes go through the services in openmash.enquiries.services; the contact's state moves
only through openmash.enquiries.workflow.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from openmash.area.models import HandOnTeam
from openmash.contacts.codes import AssessmentFactor, LawfulBasis, PrimaryNeed
from openmash.core.models import AttachmentFile

USER = settings.AUTH_USER_MODEL


class RagRating(models.Model):
    """One rating of a contact's urgency; a re-grade adds a row and keeps the old one."""

    contact = models.ForeignKey(
        "contacts.Contact", on_delete=models.CASCADE, related_name="rag_ratings"
    )
    level = models.ForeignKey("area.RagLevel", on_delete=models.PROTECT, related_name="+")
    rationale = models.TextField()
    is_regrade = models.BooleanField(default=False)
    deadline_at = models.DateTimeField()
    set_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    set_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-set_at", "-id"]
        indexes = [
            # The ratings given in a period, by whom, for /value/ (openmash.value): from
            # the index alone, not every rating ever given.
            models.Index(fields=["set_at"], include=["set_by", "contact"], name="rating_set"),
        ]

    def __str__(self) -> str:
        return f"rating {self.pk}"


class CheckState(models.TextChoices):
    REQUESTED = "requested", "Requested"
    COMPLETED = "completed", "Completed"
    WAIVED = "waived", "Waived"


class AgencyCheck(models.Model):
    """A request for one agency to research its own records about a contact's people."""

    contact = models.ForeignKey(
        "contacts.Contact", on_delete=models.CASCADE, related_name="agency_checks"
    )
    agency = models.ForeignKey(
        "accounts.Agency", on_delete=models.PROTECT, related_name="agency_checks"
    )
    state = models.CharField(
        max_length=20, choices=CheckState.choices, default=CheckState.REQUESTED
    )
    # When the contact was received (Contact.received_at, which never changes after
    # intake), copied when the check is made: the dashboard reads the checks on a period's
    # contacts by this index, not every check ever made.
    contact_received_at = models.DateTimeField()
    requested_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(default=timezone.now)
    deadline_at = models.DateTimeField()
    completed_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    completed_by_token = models.ForeignKey(
        "accounts.ApiToken", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    completed_at = models.DateTimeField(null=True, blank=True)
    waived_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    waived_at = models.DateTimeField(null=True, blank=True)
    waive_reason = models.TextField(blank=True)
    # The researcher of this agency a MASH manager allocated the check to (issue 13, item
    # 4), when, and by whom; empty while it waits in the agency's queue for anyone. Moved
    # only by openmash.enquiries.services.allocation, with a conditional update, so two
    # managers allocating it at once leave it with one researcher.
    assigned_to = models.ForeignKey(
        USER, on_delete=models.PROTECT, null=True, blank=True, related_name="assigned_checks"
    )
    assigned_at = models.DateTimeField(null=True, blank=True)
    assigned_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["deadline_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["contact", "agency"], name="one_check_per_agency")
        ]
        indexes = [
            models.Index(fields=["agency", "state", "deadline_at"], name="check_agency_queue"),
            # The dashboard's agency filter: the contacts an agency was asked to check
            # before a moment, read from the index alone (openmash.metrics.cohort).
            models.Index(fields=["agency", "contact", "requested_at"], name="check_agency_contact"),
            models.Index(fields=["contact_received_at"], name="check_contact_received"),
            # The same for the contacts received in a period: only that period's checks
            # by the agency, from the index alone.
            models.Index(
                fields=["agency", "contact_received_at"],
                include=["contact", "requested_at"],
                name="check_agency_received",
            ),
            # The dashboard's open checks at a moment: those open now, and those completed
            # or waived since (openmash.metrics.cohort.check_open_at).
            models.Index(
                fields=["agency"], name="check_open", condition=Q(state=CheckState.REQUESTED)
            ),
            models.Index(fields=["completed_at"], name="check_completed"),
            # The checks completed in a period, by agency, for /value/: from the index
            # alone (about a third less time than through check_completed).
            models.Index(
                fields=["completed_at"],
                include=["agency", "contact"],
                name="check_completed_by_agency",
                condition=Q(state=CheckState.COMPLETED),
            ),
            models.Index(
                fields=["waived_at"], name="check_waived", condition=Q(waived_at__isnull=False)
            ),
        ]

    def __str__(self) -> str:
        return f"check {self.pk}"

    @property
    def is_open(self) -> bool:
        return self.state == CheckState.REQUESTED


class OnwardSharing(models.TextChoices):
    """Whether the agency releases a finding to the team the MASH hands the case to
    (early help, children's social care, the police, another local authority). Findings
    recorded before this choice existed were given NONE: nothing crosses the fire wall
    that its agency did not release."""

    FULL = "full", "Share in full"
    SUMMARY = "summary", "Share a summary I write"
    NONE = "none", "Do not share outside the MASH"


class CheckFinding(models.Model):
    """What one agency knows about one person in the contact."""

    agency_check = models.ForeignKey(AgencyCheck, on_delete=models.CASCADE, related_name="findings")
    person = models.ForeignKey(
        "contacts.ContactPerson", on_delete=models.CASCADE, related_name="findings"
    )
    known = models.BooleanField()
    summary = models.TextField(blank=True)
    risk_indicators = models.TextField(blank=True)
    last_involvement_on = models.DateField(null=True, blank=True)
    lawful_basis = models.CharField(max_length=40, choices=LawfulBasis.choices)
    # Held inside the MASH only: never in feedback, hand-on or anything leaving it
    # (e.g. a victim's new address, an informant's identity).
    restricted_information = models.TextField(blank=True)
    summary_restricted = models.BooleanField(
        default=False, help_text="The whole summary must not be disclosed outside the MASH."
    )
    # What the agency releases to the receiving team: the summary, risk indicators and
    # date of involvement in full, a summary the researcher writes for them, or nothing.
    # restricted_information never crosses, whatever this says.
    onward_sharing = models.CharField(
        max_length=10, choices=OnwardSharing.choices, default=OnwardSharing.NONE
    )
    onward_summary = models.TextField(blank=True)
    onward_lawful_basis = models.CharField(max_length=40, choices=LawfulBasis.choices, blank=True)

    class Meta:
        ordering = ["agency_check_id", "person__position"]
        constraints = [
            models.UniqueConstraint(
                fields=["agency_check", "person"], name="one_finding_per_person"
            )
        ]

    def __str__(self) -> str:
        return f"finding {self.pk}"


class ProposalState(models.TextChoices):
    PROPOSED = "proposed", "Awaiting a manager"
    AGREED = "agreed", "Agreed"
    DECLINED = "declined", "Not agreed"


class ClosureProposal(models.Model):
    """A screener's proposal to close a contact at screening (no further action, or
    information and advice), which needs a MASH manager's agreement."""

    contact = models.ForeignKey(
        "contacts.Contact", on_delete=models.CASCADE, related_name="closure_proposals"
    )
    outcome = models.ForeignKey("area.Outcome", on_delete=models.PROTECT, related_name="+")
    rationale = models.TextField()
    proposed_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    proposed_at = models.DateTimeField(default=timezone.now)
    state = models.CharField(
        max_length=20, choices=ProposalState.choices, default=ProposalState.PROPOSED
    )
    responded_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    responded_at = models.DateTimeField(null=True, blank=True)
    response_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-proposed_at", "-id"]

    def __str__(self) -> str:
        return f"closure proposal {self.pk}"


class Decision(models.Model):
    """The MASH's decision on a contact. Final: a change is a new row that amends it."""

    contact = models.ForeignKey(
        "contacts.Contact", on_delete=models.CASCADE, related_name="decisions"
    )
    # Empty only when a contact is passed straight to a child's allocated worker.
    level_of_need = models.ForeignKey(
        "area.LevelOfNeed", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    outcome = models.ForeignKey("area.Outcome", on_delete=models.PROTECT, related_name="+")
    factor_codes = models.JSONField(default=list)
    primary_need = models.CharField(max_length=2, choices=PrimaryNeed.choices)
    rationale = models.TextField()
    receiving_team = models.CharField(max_length=200, blank=True)
    decided_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(default=timezone.now)
    amends = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="amended_by"
    )
    amendment_reason = models.TextField(blank=True)
    closure_proposal = models.OneToOneField(
        ClosureProposal, on_delete=models.PROTECT, null=True, blank=True, related_name="decision"
    )
    # The MASH summary: what the receiving team is told, composed by the manager who
    # decides (decided_by). The rationale stays in the MASH unless rationale_shared.
    summary = models.TextField(blank=True)
    worker_risks = models.TextField(blank=True)
    rationale_shared = models.BooleanField(default=False)
    # The released findings the manager passed on, as they crossed: a list of
    # {"finding", "agency", "person", "sharing", "lawful_basis", "text"} (a snapshot, so
    # the record of what crossed never changes with the finding).
    shared_findings = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["-decided_at", "-id"]
        indexes = [
            # The decisions made in a period, for /value/ (openmash.value): without it,
            # every decision ever made was read.
            models.Index(
                fields=["decided_at"],
                include=["decided_by", "contact", "amends"],
                name="decision_decided",
            ),
            # Who made a hand-on's decision and the team it went to, for /value/ and the
            # dashboard's hand-ons waiting, from the index alone: the hand-ons' decisions
            # were found by reading every decision (the table is wide) or each one's row.
            models.Index(
                fields=["id"], include=["decided_by", "receiving_team"], name="decision_decider"
            ),
        ]
        constraints = [
            # Two managers deciding at once: the database keeps exactly one decision.
            models.UniqueConstraint(
                fields=["contact"],
                condition=models.Q(amends__isnull=True),
                name="one_original_decision_per_contact",
            )
        ]

    def __str__(self) -> str:
        return f"decision {self.pk}"

    def factor_labels(self) -> list[str]:
        labels = dict(AssessmentFactor.choices)
        return [labels.get(code, code) for code in self.factor_codes]


class DecisionChild(models.Model):
    """One child's outcome in a decision (ADR 0022): a contact about siblings can send one
    to an assessment and close another with advice. Written in the same transaction as
    its decision, one row for every child named in the contact; an amendment carries a
    full set of its own. The decision's own level of need, outcome, primary need and
    receiving team are those of its most serious child (services.decisions.most_serious),
    so code that reads one outcome per contact still reads the right one."""

    decision = models.ForeignKey(Decision, on_delete=models.CASCADE, related_name="child_outcomes")
    person = models.ForeignKey(
        "contacts.ContactPerson", on_delete=models.CASCADE, related_name="decision_outcomes"
    )
    level_of_need = models.ForeignKey(
        "area.LevelOfNeed", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    outcome = models.ForeignKey("area.Outcome", on_delete=models.PROTECT, related_name="+")
    primary_need = models.CharField(max_length=2, choices=PrimaryNeed.choices)
    receiving_team = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["decision_id", "person__position"]
        constraints = [
            models.UniqueConstraint(
                fields=["decision", "person"], name="one_outcome_per_child_per_decision"
            )
        ]

    def __str__(self) -> str:
        return f"decision child {self.pk}"


class HandOnState(models.TextChoices):
    PENDING = "pending", "Waiting to be accepted"
    ACCEPTED = "accepted", "Accepted"
    RETURNED = "returned", "Returned to the MASH"
    WITHDRAWN = "withdrawn", "Withdrawn: the decision was amended"


class HandOn(models.Model):
    """A decided contact passed to the team that acts on it."""

    contact = models.ForeignKey(
        "contacts.Contact", on_delete=models.CASCADE, related_name="hand_ons"
    )
    decision = models.ForeignKey(Decision, on_delete=models.PROTECT, related_name="hand_ons")
    team = models.CharField(max_length=30, choices=HandOnTeam.choices)
    # When the contact was received, copied when the hand-on is made (as
    # AgencyCheck.contact_received_at).
    contact_received_at = models.DateTimeField()
    # The children it concerns: those whose outcome in the decision goes to this team (a
    # sibling closed with advice is not in his brother's hand-on to social care).
    children = models.ManyToManyField("contacts.ContactPerson", related_name="hand_ons", blank=True)
    state = models.CharField(
        max_length=20, choices=HandOnState.choices, default=HandOnState.PENDING
    )
    created_at = models.DateTimeField(default=timezone.now)
    # When the receiving team should have accepted or returned it: the area's acceptance
    # timescale from created_at, set when it is handed on (empty for hand-ons made before
    # the timescale existed: openmash.enquiries.hand_on_deadlines works those out).
    deadline_at = models.DateTimeField(null=True, blank=True)
    # The receiving team's own worker for the case, named by the team when it accepts it:
    # free text, because the worker may not use OpenMASH. Not `assigned_to` below.
    allocated_worker = models.CharField(max_length=200, blank=True)
    # How the referrer and the MASH reach the allocated worker (a phone number or a team
    # inbox), given on acceptance.
    worker_contact = models.CharField(max_length=200, blank=True)
    responded_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    responded_at = models.DateTimeField(null=True, blank=True)
    return_reason = models.TextField(blank=True)
    # The OpenMASH user in the receiving team the hand-on is assigned to in the team's
    # hand-on queue, to read and answer it (issue 13, item 4), when, and by whom; empty
    # while it waits for anyone in the team. Moved only by
    # openmash.enquiries.services.allocation, with a conditional update.
    assigned_to = models.ForeignKey(
        USER, on_delete=models.PROTECT, null=True, blank=True, related_name="assigned_hand_ons"
    )
    assigned_at = models.DateTimeField(null=True, blank=True)
    assigned_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["team", "state", "created_at"], name="hand_on_queue"),
            models.Index(fields=["contact_received_at"], name="hand_on_contact_received"),
            # The backlog's contacts returned by a team (few), with their returns
            # (openmash.metrics.indicators.workload): without it, every hand-on was read.
            models.Index(
                fields=["contact"],
                name="hand_on_returned",
                condition=Q(state=HandOnState.RETURNED),
            ),
            # The dashboard's team filter: the contacts received in a period that were
            # handed on to a team, from the index alone (openmash.metrics.cohort).
            models.Index(
                fields=["team", "contact_received_at"],
                include=["contact", "created_at"],
                name="hand_on_team_received",
            ),
            # The dashboard's hand-ons waiting at a moment: those waiting now (hand_on_queue)
            # and those answered since (openmash.metrics.cohort.hand_on_pending_at).
            models.Index(fields=["responded_at"], name="hand_on_responded"),
            # The hand-ons made in a period, for /value/: from the index alone.
            models.Index(
                fields=["created_at"], include=["contact", "decision"], name="hand_on_created"
            ),
            # A team's most recently answered, under its waiting ones in the hand-on queue
            # and the API: without it, every answered hand-on the team ever had was
            # sorted for each page (about 20 ms on five years of data).
            models.Index(
                fields=["team", "-responded_at", "-id"],
                name="hand_on_answered",
                condition=~Q(state="pending"),
            ),
        ]

    def __str__(self) -> str:
        return f"hand-on {self.pk}"


class MessageKind(models.TextChoices):
    OUTCOME_FEEDBACK = "outcome_feedback", "Outcome fed back to the referrer"
    DEADLINE_REMINDER = "deadline_reminder", "Reminder before a deadline"
    DEADLINE_PASSED = "deadline_passed", "Alert that a deadline has passed"
    HAND_ON = "hand_on", "Case handed on"
    URGENT_UNASSIGNED = "urgent_unassigned", "Alert that urgent work is unassigned"
    HAND_ON_REMINDER = "hand_on_reminder", "Reminder that a hand-on is waiting"
    HAND_ON_OVERDUE = "hand_on_overdue", "Alert that a hand-on is past its deadline"
    ALLOCATED = "allocated", "Work allocated to a worker"
    NEW_INFORMATION = "new_information", "Referrer added information"
    CHECK_REQUESTED = "check_requested", "Agency asked to check its records"
    HAND_ON_ACCEPTED = "hand_on_accepted", "Referrer told the case was accepted"
    OUT_OF_HOURS_ACKNOWLEDGEMENT = (
        "out_of_hours_ack",
        "Out-of-hours acknowledgement to the referrer",
    )
    ON_CALL_ALERT = "on_call_alert", "Urgent out-of-hours contact: on-call alert"
    EDT_ALERT = "edt_alert", "Urgent out-of-hours contact, nobody on call: EDT alert"


class MessageStatus(models.TextChoices):
    # Recorded, and waiting for (or in) an attempt to hand it to the mail server.
    QUEUED = "queued", "Waiting to be sent"
    SENT = "sent", "Sent"
    # The last attempt failed: tried again at next_attempt_at, or, with none, given up.
    FAILED = "failed", "Not delivered"


class Message(models.Model):
    """Every email OpenMASH sends, and whether the mail server has taken it."""

    contact = models.ForeignKey(
        "contacts.Contact", on_delete=models.CASCADE, related_name="messages"
    )
    kind = models.CharField(max_length=30, choices=MessageKind.choices)
    to_email = models.EmailField()
    to_user = models.ForeignKey(
        USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    subject = models.CharField(max_length=200)
    body = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)
    status = models.CharField(
        max_length=10, choices=MessageStatus.choices, default=MessageStatus.QUEUED
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    # When the periodic work (openmash.enquiries.tasks) should try next; empty once sent
    # or given up.
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    # Why the last attempt failed, in words that hold no personal data (never the
    # address, the body or the mail server's own reply, which can quote them).
    failure = models.CharField(max_length=200, blank=True)
    # When the mail server took it; empty until then.
    sent_at = models.DateTimeField(null=True, blank=True)
    # GOV.UK Notify's id for the notification, once Notify has taken it, so its delivery
    # can be looked up (GET /v2/notifications/{id}); empty when sent by email or not yet.
    notify_id = models.CharField(max_length=36, blank=True)
    # What Notify last said of it (created, sending, delivered, permanent-failure,
    # temporary-failure, technical-failure); empty until asked.
    notify_status = models.CharField(max_length=30, blank=True)
    # Reminders and alerts are sent once per deadline and recipient.
    dedupe_key = models.CharField(max_length=200, null=True, blank=True, unique=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="message_delivery_due")]

    def __str__(self) -> str:
        return f"message {self.pk}"


class CaseNoteType(models.TextChoices):
    PHONE_CALL = "phone_call", "Phone call"
    EMAIL = "email", "Email"
    DISCUSSION = "discussion", "Discussion"
    MANAGEMENT_OVERSIGHT = "management_oversight", "Management oversight"


class CaseNote(models.Model):
    """A note on a contact (issue 13, item 1). Never edited in place: a correction is a new
    note whose `corrects` points at the note it corrects. The note's agency is its author's
    at the time (None for MASH staff), so who may see it does not change when they move."""

    contact = models.ForeignKey(
        "contacts.Contact", on_delete=models.CASCADE, related_name="case_notes"
    )
    note_type = models.CharField(max_length=30, choices=CaseNoteType.choices)
    text = models.TextField()
    author = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    author_agency = models.ForeignKey(
        "accounts.Agency", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    corrects = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="corrected_by"
    )

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["contact", "created_at"], name="case_note_contact")]

    def __str__(self) -> str:
        return f"case note {self.pk}"


class Attachment(AttachmentFile):
    """A file on a contact (issue 13, item 2): on the contact itself, on one agency's
    check, or on a case note. Whose it is decides who sees it (the fire wall,
    openmash/enquiries/selectors/attachments.py): an agency's check file is its agency's
    and the MASH's only, like its findings; a note's file goes with its note."""

    contact = models.ForeignKey(
        "contacts.Contact", on_delete=models.CASCADE, related_name="attachments"
    )
    agency_check = models.ForeignKey(
        AgencyCheck, on_delete=models.PROTECT, null=True, blank=True, related_name="attachments"
    )
    case_note = models.ForeignKey(
        CaseNote, on_delete=models.PROTECT, null=True, blank=True, related_name="attachments"
    )

    class Meta(AttachmentFile.Meta):
        indexes = [models.Index(fields=["contact", "uploaded_at"], name="attachment_contact")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(agency_check__isnull=True) | models.Q(case_note__isnull=True),
                name="attachment_on_one_record",
            )
        ]

    def __str__(self) -> str:
        return f"attachment {self.pk}"
