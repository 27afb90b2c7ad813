"""How this area runs its MASH: RAG timescales, working hours, which nation's bank holidays
it keeps and its own closure days, levels of need and outcomes. Administrators edit these
in Django admin; the defaults come from MASH-DOMAIN.md (migration 0002)."""

from datetime import time
from zoneinfo import ZoneInfo

from django.db import models
from django.utils import timezone

from openmash.core.roles import AgencyType

# The area's zone: every time a person reads is on this clock (GMT in winter, BST in summer).
LONDON = ZoneInfo("Europe/London")


class TimeCounting(models.TextChoices):
    CLOCK_HOURS = "clock", "Clock hours (every hour of every day)"
    WORKING_HOURS = "working", "Working hours (the hub's opening hours, not bank holidays)"


class RagLevel(models.Model):
    """A RAG rating and the deadlines it sets."""

    code = models.SlugField(max_length=20, unique=True)
    label = models.CharField(max_length=40)
    # The GOV.UK tag colour the rating shows in, e.g. red, orange, green, blue.
    colour = models.CharField(max_length=20, default="grey")
    order = models.PositiveSmallIntegerField(help_text="1 is the most urgent.")
    decision_hours = models.DecimalField(
        max_digits=6,
        decimal_places=2,
        help_text=(
            "Time from the contact being received to the MASH decision. A change applies "
            "to contacts rated from then on; deadlines already set stay as they were."
        ),
    )
    decision_counting = models.CharField(
        max_length=10, choices=TimeCounting.choices, default=TimeCounting.CLOCK_HOURS
    )
    check_hours = models.DecimalField(
        max_digits=6,
        decimal_places=2,
        help_text=(
            "Time from an agency check being requested to its findings being due. A change "
            "applies to checks requested from then on."
        ),
    )
    check_counting = models.CharField(
        max_length=10, choices=TimeCounting.choices, default=TimeCounting.CLOCK_HOURS
    )
    default_check_agency_types = models.JSONField(
        default=list,
        blank=True,
        help_text="Agency types asked to check by default at this rating, e.g. "
        '["police", "health", "education"].',
    )
    default_for_unrated = models.BooleanField(
        default=False,
        help_text="Until a screener rates a contact, its deadline runs on this level "
        "(a contact with a child at immediate risk runs on the most urgent level).",
    )
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["order"]
        verbose_name = "RAG level"

    def __str__(self) -> str:
        return self.label

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        unknown = set(self.default_check_agency_types or []) - set(AgencyType.values)
        if unknown:
            raise ValidationError(
                {
                    "default_check_agency_types": f"Unknown agency types: {', '.join(sorted(unknown))}"
                }
            )


class Nation(models.TextChoices):
    """The bank holiday calendars GOV.UK publishes (England and Wales share one)."""

    ENGLAND_AND_WALES = "england-and-wales", "England and Wales"
    SCOTLAND = "scotland", "Scotland"
    NORTHERN_IRELAND = "northern-ireland", "Northern Ireland"


class WorkingHours(models.Model):
    """When the hub is staffed: the basis of every deadline counted in working hours."""

    opens = models.TimeField(default=time(9, 0))
    closes = models.TimeField(default=time(17, 0))
    monday = models.BooleanField(default=True)
    tuesday = models.BooleanField(default=True)
    wednesday = models.BooleanField(default=True)
    thursday = models.BooleanField(default=True)
    friday = models.BooleanField(default=True)
    saturday = models.BooleanField(default=False)
    sunday = models.BooleanField(default=False)
    reminder_hours_before = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        default=1,
        help_text="How long before a deadline the person responsible is reminded (clock hours).",
    )
    urgent_unassigned_minutes = models.PositiveSmallIntegerField(
        "alert when urgent work is unassigned for (minutes)",
        default=10,
        help_text="MASH managers are alerted, once, when a contact with a child at "
        "immediate risk, or rated at the most urgent level, has been received this many "
        "minutes and nobody has taken it.",
    )
    hand_on_acceptance_hours = models.DecimalField(
        "hand-ons accepted within (hours)",
        max_digits=6,
        decimal_places=2,
        default=8,
        help_text="Time from the MASH handing a case on to the receiving team accepting or "
        "returning it. The team is reminded before this deadline and MASH managers alerted "
        "once it has passed. A change applies to cases handed on from then on.",
    )
    hand_on_acceptance_counting = models.CharField(
        "hand-on timescale counted in",
        max_length=10,
        choices=TimeCounting.choices,
        default=TimeCounting.WORKING_HOURS,
    )
    nation = models.CharField(
        "bank holidays of",
        max_length=20,
        choices=Nation.choices,
        default=Nation.ENGLAND_AND_WALES,
        help_text="The hub is closed on this nation's bank holidays, as GOV.UK publishes "
        "them, every year, and on the area's local closure days.",
    )

    class Meta:
        verbose_name = "working hours"
        verbose_name_plural = "working hours"

    def __str__(self) -> str:
        return f"{self.opens:%H:%M} to {self.closes:%H:%M}"

    @property
    def weekdays(self) -> frozenset[int]:
        days = [
            self.monday,
            self.tuesday,
            self.wednesday,
            self.thursday,
            self.friday,
            self.saturday,
            self.sunday,
        ]
        return frozenset(number for number, open_ in enumerate(days) if open_)


class ClosureDay(models.Model):
    """A day the hub is closed that is not one of its nation's bank holidays: say the
    council's closure between Christmas and New Year, or a one-off bank holiday announced
    after this version of OpenMASH was released. Deadlines in working hours skip it."""

    day = models.DateField(unique=True)
    name = models.CharField(max_length=100)

    class Meta:
        ordering = ["day"]
        verbose_name = "local closure day"

    def __str__(self) -> str:
        return f"{self.day:%d %B %Y} {self.name}"


class LevelOfNeed(models.Model):
    """A level on the area's continuum of need (1 universal to 4 acute)."""

    number = models.PositiveSmallIntegerField(unique=True)
    label = models.CharField(max_length=100)
    description = models.TextField(blank=True)

    class Meta:
        ordering = ["number"]
        verbose_name_plural = "levels of need"

    def __str__(self) -> str:
        return f"Level {self.number}: {self.label}"


class HandOnTeam(models.TextChoices):
    NONE = "", "Nobody (the MASH closes the contact)"
    EARLY_HELP = "early_help", "Early help"
    CHILDRENS_SOCIAL_CARE = "childrens_social_care", "Children's social care"
    POLICE = "police", "Police"
    ANOTHER_LOCAL_AUTHORITY = "another_la", "Another local authority"
    ALLOCATED_WORKER = "allocated_worker", "The child's allocated social worker"


class OutcomeKind(models.TextChoices):
    """What an outcome means for the figures, whatever an area calls it (the metrics
    count no further action, conversion to an assessment or strategy discussion, and
    step-down by kind, not by code)."""

    NO_FURTHER_ACTION = "nfa", "No further action"
    INFORMATION_ADVICE = "information_advice", "Information and advice"
    EARLY_HELP = "early_help", "Step down to early help"
    ASSESSMENT = "assessment", "Social care assessment"
    STRATEGY_DISCUSSION = "strategy_discussion", "Strategy discussion"
    OTHER = "other", "Other"


class Outcome(models.Model):
    """What the MASH decides should happen next."""

    code = models.SlugField(max_length=40, unique=True)
    label = models.CharField(max_length=100)
    order = models.PositiveSmallIntegerField(default=0)
    hand_on_to = models.CharField(
        max_length=30, choices=HandOnTeam.choices, blank=True, default=HandOnTeam.NONE
    )
    # No further action and information and advice can close a contact at screening,
    # with a MASH manager's agreement.
    closes_at_screening = models.BooleanField(default=False)
    kind = models.CharField(max_length=30, choices=OutcomeKind.choices, default=OutcomeKind.OTHER)
    next_steps = models.TextField(
        blank=True, help_text="What the referrer is told happens next, in plain English."
    )
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["order"]

    def __str__(self) -> str:
        return self.label


class ConcernRuleKind(models.TextChoices):
    CONTACTS_IN_PERIOD = "contacts_in_period", "Contacts in a period"
    AGENCIES_IN_PERIOD = "agencies_in_period", "Contacts from different agencies in a period"
    RE_REFERRAL = "re_referral", "A new contact soon after a MASH decision"


class ConcernRule(models.Model):
    """A pattern of contacts about one child that no single contact shows (cumulative
    concern). Periods are counted back from today; openmash/enquiries/concern.py applies
    the active rules."""

    kind = models.CharField(max_length=30, choices=ConcernRuleKind.choices)
    label = models.CharField(
        max_length=100,
        help_text="What the flag says, e.g. \u201c3 or more contacts in 12 months\u201d.",
    )
    threshold = models.PositiveSmallIntegerField(
        default=1,
        help_text="How many contacts (or different agencies, or re-referrals) raise the flag.",
    )
    period_days = models.PositiveSmallIntegerField(
        help_text="The period in days: counted back from today; for a re-referral, the "
        "longest time from a decision to the next contact."
    )
    order = models.PositiveSmallIntegerField(default=0)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["order", "id"]

    def __str__(self) -> str:
        return self.label


DEFAULT_PROTECTIVE_MARKING = "OFFICIAL-SENSITIVE"


class ProtectiveMarking(models.Model):
    """The marking the area prints at the top and bottom of every page of its records
    (UK Government Security Classifications: case records are OFFICIAL, commonly marked
    OFFICIAL-SENSITIVE). One row; until an administrator saves one, the default applies."""

    marking = models.CharField(
        max_length=60,
        default=DEFAULT_PROTECTIVE_MARKING,
        help_text="Printed at the top and bottom of every page, e.g. OFFICIAL-SENSITIVE.",
    )

    class Meta:
        verbose_name = "protective marking"
        verbose_name_plural = "protective marking"

    def __str__(self) -> str:
        return self.marking


class EmergencyDutyTeam(models.Model):
    """The area's emergency duty team (EDT): who a referrer, or the MASH, reaches while
    the hub is closed. It covers whenever the hub is not open, as its working hours, its
    nation's bank holidays and its local closure days say (openmash/area/calendar.py), so
    the hours it covers are never typed twice. One per area."""

    name = models.CharField(max_length=120, default="Emergency duty team")
    phone = models.CharField(
        max_length=40, help_text="The number referrers call out of hours, e.g. 0300 123 4567."
    )
    email = models.EmailField(
        help_text="The team's inbox. Urgent contacts are sent here when nobody is on call."
    )

    class Meta:
        verbose_name = "emergency duty team"

    def __str__(self) -> str:
        return self.name


class OnCallPeriod(models.Model):
    """Who is on call out of hours from when to when: red and immediate-risk contacts
    made while the hub is closed are sent to them. Periods never overlap (checked by the
    admin form, openmash/area/admin.py)."""

    person = models.ForeignKey(
        "accounts.User",
        on_delete=models.PROTECT,
        related_name="on_call_periods",
        help_text="Alerts go to their email address; the MASH sees their phone number.",
    )
    starts_at = models.DateTimeField("from")
    ends_at = models.DateTimeField("until")

    class Meta:
        ordering = ["starts_at"]
        verbose_name = "on-call period"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")),
                name="on_call_ends_after_it_starts",
            )
        ]
        indexes = [models.Index(fields=["starts_at", "ends_at"], name="on_call_when")]

    def __str__(self) -> str:
        # The area's clock (BST in summer), whatever zone the request is in.
        return f"On call from {timezone.localtime(self.starts_at, LONDON):%d %B %Y %H:%M}"
