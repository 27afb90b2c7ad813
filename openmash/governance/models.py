"""Information governance (issue 14, items 8 and 9): the area's retention schedule, legal
holds, what the retention job removed, and subject access requests.

Writes go through openmash.governance.services (the schedule and holds),
openmash.governance.retention (the job) and openmash.governance.subject_access (requests);
docs/adr/0025-retention-and-subject-access.md says why they work as they do.
"""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone

USER = settings.AUTH_USER_MODEL


class RecordType(models.TextChoices):
    """What the retention schedule sets a period for."""

    CONTACT_NO_ASSESSMENT = (
        "contact_no_assessment",
        "Contacts that did not lead to an assessment or strategy discussion",
    )
    CONTACT_ASSESSMENT = (
        "contact_assessment",
        "Contacts that led to an assessment or strategy discussion",
    )
    INDEX_RECORD = "index_record", "Agency index feed records"
    AUDIT_EVENT = "audit_event", "Audit events"
    MESSAGE = "message", "Emails sent"
    ATTACHMENT = "attachment", "Attached files"


class RetentionRule(models.Model):
    """The area's own period for one record type. Without a row, the default in
    openmash.governance.schedule applies; saving one records who set it, when and why."""

    record_type = models.CharField(max_length=30, choices=RecordType.choices, unique=True)
    keep_months = models.PositiveIntegerField()
    # Contacts only: kept, whatever keep_months says, until the youngest child named in
    # them is this old (children's records are commonly kept to the 25th birthday).
    keep_until_age = models.PositiveSmallIntegerField(null=True, blank=True)
    # Off: nothing of this type is ever removed.
    active = models.BooleanField(default=True)
    reason = models.TextField()
    updated_by = models.ForeignKey(USER, on_delete=models.PROTECT, null=True, related_name="+")
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["record_type"]

    def __str__(self) -> str:
        return f"retention rule {self.record_type}"


class LegalHold(models.Model):
    """A contact that must not be anonymised or lose anything under the retention
    schedule, whatever its age: litigation, a complaint, an inquiry, a subject access
    request in progress. Released, not deleted: the row is the record of the hold."""

    contact = models.ForeignKey(
        "contacts.Contact", on_delete=models.PROTECT, related_name="legal_holds"
    )
    reason = models.TextField()
    placed_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    placed_at = models.DateTimeField(default=timezone.now)
    released_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    released_at = models.DateTimeField(null=True, blank=True)
    release_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-placed_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["contact"],
                condition=models.Q(released_at__isnull=True),
                name="one_open_hold_per_contact",
            )
        ]

    def __str__(self) -> str:
        return f"legal hold {self.pk}"

    @property
    def is_open(self) -> bool:
        return self.released_at is None


class DisposalAction(models.TextChoices):
    ANONYMISED = "anonymised", "Anonymised"
    DELETED = "deleted", "Deleted"


class RetentionRun(models.Model):
    """One run of the retention job (`manage.py apply_retention`) that removed things."""

    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    # {record type: how many were anonymised or deleted}
    counts = models.JSONField(default=dict)
    # Why the run stopped early, in words without personal data; empty if it finished.
    error = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]

    def __str__(self) -> str:
        return f"retention run {self.pk}"


class Disposal(models.Model):
    """One record the retention job anonymised or deleted. The unique (object type, id)
    is what keeps two machines running the job at once from doing one twice: the second
    insert fails and that machine moves on. Holds ids and dates, never personal data."""

    run = models.ForeignKey(RetentionRun, on_delete=models.PROTECT, related_name="disposals")
    record_type = models.CharField(max_length=30, choices=RecordType.choices)
    object_type = models.CharField(max_length=40)
    object_id = models.CharField(max_length=64)
    contact_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    action = models.CharField(max_length=20, choices=DisposalAction.choices)
    done_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-done_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["object_type", "object_id"], name="one_disposal_per_record"
            )
        ]

    def __str__(self) -> str:
        return f"disposal {self.pk}"


class SubjectAccessRequest(models.Model):
    """A subject access request (UK GDPR Article 15) an information governance officer is
    answering: which of OpenMASH's records they chose as the person's, to gather into one
    export for review. Holds record ids, never the name searched for."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # The officer's own case reference for the request (their casework system's).
    reference = models.CharField(max_length=60)
    received_on = models.DateField()
    requested_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(default=timezone.now)
    # The person's records chosen from the search: people named in contacts, and agency
    # index records.
    contact_person_ids = models.JSONField(default=list)
    indexed_person_ids = models.JSONField(default=list)

    class Meta:
        ordering = ["-requested_at", "-id"]

    def __str__(self) -> str:
        return f"subject access request {self.pk}"
