import uuid
from typing import Any, NoReturn

from django.conf import settings
from django.db import models
from django.utils import timezone


class AuditLogIsAppendOnly(Exception):
    """Raised on any attempt to change or remove an audit event."""


class AuditAction(models.TextChoices):
    CREATE = "create", "Created"
    READ = "read", "Viewed"
    LIST = "list", "Viewed in a list"
    UPDATE = "update", "Changed"
    DELETE = "delete", "Deleted"
    SIGN_IN = "sign_in", "Signed in"
    SIGN_IN_FAILED = "sign_in_failed", "Failed to sign in"
    SIGN_OUT = "sign_out", "Signed out"
    SEARCH = "search", "Searched"
    READ_REFUSED = "read_refused", "Refused a view"
    UNLOCK = "unlock", "Unlocked sign-in"


class AuditEventQuerySet(models.QuerySet):
    refused = "Audit events"

    def update(self, **kwargs: Any) -> NoReturn:
        raise AuditLogIsAppendOnly(f"{self.refused} cannot be changed.")

    def delete(self) -> NoReturn:
        raise AuditLogIsAppendOnly(f"{self.refused} cannot be deleted.")

    def bulk_update(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise AuditLogIsAppendOnly(f"{self.refused} cannot be changed.")


class AuditSealQuerySet(AuditEventQuerySet):
    refused = "Audit seals"


class AuditPruneQuerySet(AuditEventQuerySet):
    refused = "Audit prunes"


class AuditEvent(models.Model):
    """One thing somebody (a user or an agency's system) did to a record.

    Append-only: the application refuses updates and deletes, and a database
    trigger refuses them too (see migration 0002).
    """

    occurred_at = models.DateTimeField(default=timezone.now, db_index=True)
    actor_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    actor_token = models.ForeignKey(
        "accounts.ApiToken", on_delete=models.PROTECT, null=True, related_name="+"
    )
    action = models.CharField(max_length=20, choices=AuditAction.choices)
    object_type = models.CharField(max_length=40)
    object_id = models.CharField(max_length=64, blank=True)
    # The contact the object belongs to, so an auditor can list everyone who
    # touched a child's record in one indexed query.
    contact_id = models.BigIntegerField(null=True, db_index=True)
    request_id = models.CharField(max_length=64, blank=True)
    ip_address = models.GenericIPAddressField(null=True)
    # What changed, by field name; never the values of personal data.
    detail = models.JSONField(default=dict)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["-occurred_at", "-id"]
        indexes = [models.Index(fields=["object_type", "object_id"])]

    def __str__(self) -> str:
        return (
            f"{self.occurred_at:%Y-%m-%d %H:%M} {self.action} {self.object_type} {self.object_id}"
        )

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise AuditLogIsAppendOnly("Audit events cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise AuditLogIsAppendOnly("Audit events cannot be deleted.")


class AuditSeal(models.Model):
    """A hash over a contiguous range of audit events, chained to the seal before it.

    Makes the audit log tamper-evident (ADR 0009): `audit_verify` recomputes every
    seal, so an event changed, deleted or slipped into a sealed range, or a seal
    replaced, is reported. Append-only like the events (trigger in migration 0003).
    """

    first_event_id = models.BigIntegerField(unique=True)
    last_event_id = models.BigIntegerField(unique=True)
    # Events present in the range when it was sealed (ids skipped by rolled-back
    # transactions leave gaps).
    event_count = models.PositiveIntegerField()
    events_hash = models.CharField(max_length=64)
    previous_hash = models.CharField(max_length=64, unique=True)
    seal_hash = models.CharField(max_length=64, unique=True)
    sealed_at = models.DateTimeField()

    objects = AuditSealQuerySet.as_manager()

    class Meta:
        ordering = ["first_event_id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(last_event_id__gte=models.F("first_event_id")),
                name="core_auditseal_range_in_order",
            )
        ]

    def __str__(self) -> str:
        return f"seal {self.pk} (events {self.first_event_id} to {self.last_event_id})"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise AuditLogIsAppendOnly("Audit seals cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise AuditLogIsAppendOnly("Audit seals cannot be deleted.")


class AuditPrune(models.Model):
    """The events of one sealed range removed at the end of their retention period
    (docs/adr/0025-retention-and-subject-access.md).

    The seal stays, so the chain still checks: `audit_verify` recomputes the seal's own
    hash from its stored events hash and expects no events left in its range. The
    database lets an audit event be deleted only when a prune covers it (the trigger in
    core migration 0005), and prunes go oldest first, so the removed events are always a
    prefix of the log. Append-only like the seals.
    """

    seal = models.OneToOneField(AuditSeal, on_delete=models.PROTECT, related_name="prune")
    pruned_at = models.DateTimeField()
    # The events the seal counted, all of which were removed.
    event_count = models.PositiveIntegerField()
    # Why, in words that hold no personal data ("audit events: 7 years").
    reason = models.CharField(max_length=200)

    objects = AuditPruneQuerySet.as_manager()

    class Meta:
        ordering = ["seal_id"]

    def __str__(self) -> str:
        return f"prune of seal {self.seal_id}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise AuditLogIsAppendOnly("Audit prunes cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise AuditLogIsAppendOnly("Audit prunes cannot be deleted.")


class VerificationState(models.TextChoices):
    QUEUED = "queued", "Waiting to start"
    RUNNING = "running", "Checking"
    PASSED = "passed", "Passed"
    FAILED = "failed", "Failed"
    ERROR = "error", "Could not finish"


class AuditVerification(models.Model):
    """An auditor's request to check the audit log against its seals, and the outcome.

    A convenience record for the integrity page, not evidence: the evidence is
    running `audit_verify` again. Problems name seals and event id ranges only.
    """

    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    requested_at = models.DateTimeField(default=timezone.now)
    # A seal hash the auditor recorded outside OpenMASH earlier, to look for in the chain.
    expected_hash = models.CharField(max_length=64, blank=True)
    state = models.CharField(
        max_length=20, choices=VerificationState.choices, default=VerificationState.QUEUED
    )
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    seals_checked = models.PositiveIntegerField(default=0)
    events_checked = models.PositiveBigIntegerField(default=0)
    latest_seal_hash = models.CharField(max_length=64, blank=True)
    expected_hash_found = models.BooleanField(null=True)
    # [{"seal": id, "first_event_id": n, "last_event_id": m, "problem": "..."}]
    problems = models.JSONField(default=list)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-requested_at", "-id"]

    def __str__(self) -> str:
        return f"audit verification {self.pk} ({self.state})"


class AttachmentFile(models.Model):
    """A file attached to a MASH record, kept in the "attachments" storage under a random
    name (openmash/core/attachments.py). Each app that keeps files (enquiries, strategy)
    has its own model with what it is attached to; the file and who added it are here.

    `public_id` is the only way the file is named in a URL; `filename` is the upload's
    name made safe, shown on the page and given to the download, never used in the path.
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    stored_name = models.CharField(max_length=100, unique=True, editable=False)
    filename = models.CharField(max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    # The uploader's agency, or empty for the MASH's own people (screeners, managers):
    # the fire wall's answer to "whose is this file".
    uploaded_by_agency = models.ForeignKey(
        "accounts.Agency", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    uploaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        abstract = True
        ordering = ["uploaded_at", "id"]

    def __str__(self) -> str:
        return f"attachment {self.pk}"


class Heartbeat(models.Model):
    """When each background loop (the task worker, the deadline loop, the sealer...) last
    ran, on any machine: /healthz reports a loop that has stopped. One row a loop, written
    with an UPDATE each beat."""

    loop = models.CharField(max_length=40, primary_key=True)
    beat_at = models.DateTimeField()
    # The loop's own interval in seconds (0: run from cron), to judge when it is late.
    every_seconds = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.loop} at {self.beat_at:%Y-%m-%d %H:%M:%S}"
