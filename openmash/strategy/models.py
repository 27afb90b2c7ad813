"""A strategy discussion (Working Together 2023): raised from a MASH decision whose outcome
is a strategy discussion, or by police or social care on a contact; scheduled, with the
agencies (and, optionally, named people) invited; attendance, minutes, its decision and
the actions that follow.

Writes go through openmash.strategy.services; what an invited agency may read is
openmash.strategy.selectors'.
"""

from datetime import datetime

from django.conf import settings
from django.db import models
from django.utils import timezone

from openmash.core.models import AttachmentFile

USER = settings.AUTH_USER_MODEL


class DiscussionState(models.TextChoices):
    RAISED = "raised", "To be scheduled"
    SCHEDULED = "scheduled", "Scheduled"
    MINUTED = "minuted", "Held: decision to record"
    CONCLUDED = "concluded", "Decided"


class DiscussionOrigin(models.TextChoices):
    DECISION = "decision", "From a MASH decision"
    POLICE = "police", "Raised by police"
    SOCIAL_CARE = "social_care", "Raised by social care"


class DiscussionOutcome(models.TextChoices):
    S47_SINGLE = "s47_single", "Section 47 enquiry: single-agency (children's social care)"
    S47_JOINT = "s47_joint", "Section 47 enquiry: joint with police"
    NO_FURTHER_ACTION = "nfa", "No further action"
    OTHER = "other", "Other"


class StrategyDiscussion(models.Model):
    contact = models.ForeignKey(
        "contacts.Contact", on_delete=models.CASCADE, related_name="strategy_discussions"
    )
    # The MASH decision it was raised from; empty when police or social care raised it.
    decision = models.OneToOneField(
        "enquiries.Decision",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="strategy_discussion",
    )
    origin = models.CharField(max_length=20, choices=DiscussionOrigin.choices)
    reason = models.TextField(blank=True)
    raised_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    raised_at = models.DateTimeField(default=timezone.now)
    state = models.CharField(
        max_length=20, choices=DiscussionState.choices, default=DiscussionState.RAISED
    )
    scheduled_for = models.DateTimeField(null=True, blank=True)
    place = models.CharField(max_length=200, blank=True)
    call_link = models.URLField(max_length=500, blank=True)
    chair = models.ForeignKey(
        USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    minutes = models.TextField(blank=True)
    minutes_recorded_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    minutes_recorded_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=20, choices=DiscussionOutcome.choices, blank=True)
    outcome_detail = models.TextField(blank=True)
    outcome_recorded_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    outcome_recorded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-raised_at", "-id"]
        indexes = [models.Index(fields=["state", "scheduled_for"], name="strategy_state_when")]

    def __str__(self) -> str:
        return f"strategy discussion {self.pk}"

    @property
    def identified_at(self) -> datetime:
        """When the need for the discussion was identified: the MASH decision, or when
        police or social care raised it."""
        return self.decision.decided_at if self.decision is not None else self.raised_at


class Attendance(models.TextChoices):
    NOT_RECORDED = "not_recorded", "Not recorded yet"
    ATTENDED = "attended", "Attended"
    SENT_INFORMATION = "sent_information", "Did not attend: sent information"
    DID_NOT_ATTEND = "did_not_attend", "Did not attend"


class Invitation(models.Model):
    """One agency invited to a discussion; with `person`, a named person of that agency."""

    discussion = models.ForeignKey(
        StrategyDiscussion, on_delete=models.CASCADE, related_name="invitations"
    )
    agency = models.ForeignKey("accounts.Agency", on_delete=models.PROTECT, related_name="+")
    person = models.ForeignKey(
        USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    invited_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    invited_at = models.DateTimeField(default=timezone.now)
    attendance = models.CharField(
        max_length=20, choices=Attendance.choices, default=Attendance.NOT_RECORDED
    )
    attendance_recorded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["agency__name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["discussion", "agency"],
                condition=models.Q(person__isnull=True),
                name="one_agency_invitation",
            ),
            models.UniqueConstraint(
                fields=["discussion", "person"],
                condition=models.Q(person__isnull=False),
                name="one_person_invitation",
            ),
        ]
        indexes = [models.Index(fields=["agency", "discussion"], name="invitation_agency")]

    def __str__(self) -> str:
        return f"invitation {self.pk}"


class StrategyAction(models.Model):
    """An action agreed at the discussion, owned by an agency or a named person."""

    discussion = models.ForeignKey(
        StrategyDiscussion, on_delete=models.CASCADE, related_name="actions"
    )
    description = models.TextField()
    owner_agency = models.ForeignKey("accounts.Agency", on_delete=models.PROTECT, related_name="+")
    owner_person = models.ForeignKey(
        USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    due_on = models.DateField()
    created_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    done_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["due_on", "id"]

    def __str__(self) -> str:
        return f"action {self.pk}"

    @property
    def is_done(self) -> bool:
        return self.done_at is not None


class DiscussionAttachment(AttachmentFile):
    """A file on a strategy discussion (issue 13, item 2): a police report, a health
    chronology brought to it. Shared like its minutes, with the MASH and the agencies
    invited, and no one else (openmash/strategy/rules.py)."""

    discussion = models.ForeignKey(
        StrategyDiscussion, on_delete=models.CASCADE, related_name="attachments"
    )

    class Meta(AttachmentFile.Meta):
        pass

    def __str__(self) -> str:
        return f"discussion attachment {self.pk}"
