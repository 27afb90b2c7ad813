"""How an administrator configures the area's MASH: RAG levels and their timescales,
working hours and the nation whose bank holidays the hub keeps, local closure days, levels
of need, outcomes, cumulative-concern rules, the emergency duty team and the on-call
rota. Only administrators get in
(openmash/area/rules.py); every change is audited; each form refuses a configuration
that would break the deadlines or the workflow, with a message that says what to fix."""

from datetime import timedelta
from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import admin
from django.core.validators import MaxValueValidator, MinValueValidator
from django.http import HttpRequest
from django.utils import timezone
from django.utils.html import format_html_join
from django.utils.safestring import SafeString

from openmash.accounts.admin import AuditedAdminMixin
from openmash.area.calendar import LONDON, bank_holidays_in
from openmash.area.models import (
    ClosureDay,
    ConcernRule,
    EmergencyDutyTeam,
    HandOnTeam,
    LevelOfNeed,
    Nation,
    OnCallPeriod,
    Outcome,
    ProtectiveMarking,
    RagLevel,
    WorkingHours,
)
from openmash.area.out_of_hours import edt_covers
from openmash.core.roles import AgencyType

# The GOV.UK Frontend tag colours (govuk-tag--<colour>); blue is the plain tag.
TAG_COLOURS = [
    ("red", "Red"),
    ("orange", "Orange"),
    ("yellow", "Yellow"),
    ("green", "Green"),
    ("teal", "Teal"),
    ("turquoise", "Turquoise"),
    ("blue", "Blue"),
    ("purple", "Purple"),
    ("magenta", "Magenta"),
    ("pink", "Pink"),
    ("grey", "Grey"),
]
# Ten years of hours: the calendar looks no further ahead than that.
MAX_HOURS = Decimal(87600)


def _hours_field(label: str, help_text: str) -> forms.DecimalField:
    return forms.DecimalField(
        label=label,
        max_digits=6,
        decimal_places=2,
        help_text=help_text,
        validators=[
            MinValueValidator(Decimal("0.01"), "Enter a number of hours greater than 0"),
            MaxValueValidator(MAX_HOURS, "Enter a number of hours no more than 87,600"),
        ],
    )


class AreaAdmin(AuditedAdminMixin, admin.ModelAdmin):
    """Area configuration admin: every edit and delete, bulk ones included, is audited."""


class RagLevelForm(forms.ModelForm):
    colour = forms.ChoiceField(
        choices=TAG_COLOURS, help_text="The colour of the tag the rating is shown in."
    )
    decision_hours = _hours_field(
        "Decision due (hours)", "Time from the contact being received to the MASH decision."
    )
    check_hours = _hours_field(
        "Agency checks due (hours)",
        "Time from an agency check being requested to its findings being due.",
    )
    default_check_agency_types = forms.MultipleChoiceField(
        label="Agencies asked to check by default",
        choices=AgencyType.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = RagLevel
        fields = [
            "code",
            "label",
            "colour",
            "order",
            "decision_hours",
            "decision_counting",
            "check_hours",
            "check_counting",
            "default_check_agency_types",
            "default_for_unrated",
            "active",
        ]

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        others = RagLevel.objects.filter(active=True).exclude(pk=self.instance.pk)
        active = data.get("active")
        if active and data.get("order") is not None and others.filter(order=data["order"]).exists():
            self.add_error(
                "order",
                "Another active RAG level has this order: give each level its own number "
                "(1 is the most urgent)",
            )
        if data.get("default_for_unrated"):
            if not active:
                self.add_error(
                    "default_for_unrated", "Only an active level can be the default for unrated"
                )
            elif others.filter(default_for_unrated=True).exists():
                self.add_error(
                    "default_for_unrated",
                    "Another level is already the default for unrated contacts: untick it first",
                )
        if not active and self.instance.pk is not None and not others.exists():
            self.add_error("active", "At least one RAG level must stay active")
        return data


@admin.register(RagLevel)
class RagLevelAdmin(AreaAdmin):
    audit_object_type = "rag_level"
    form = RagLevelForm
    list_display = [
        "label",
        "order",
        "decision_hours",
        "decision_counting",
        "check_hours",
        "check_counting",
        "default_for_unrated",
        "active",
    ]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        # Screening forms, the API and past ratings refer to a level by its code.
        return ["code"] if obj is not None else []


class WorkingHoursForm(forms.ModelForm):
    reminder_hours_before = forms.DecimalField(
        max_digits=5,
        decimal_places=2,
        help_text="How long before a deadline the person responsible is reminded "
        "(clock hours; 0 sends no reminders, only alerts when a deadline passes).",
        validators=[
            MinValueValidator(Decimal(0), "Enter 0 or more hours"),
            MaxValueValidator(Decimal(168), "Enter no more than 168 hours (a week)"),
        ],
    )

    urgent_unassigned_minutes = forms.IntegerField(
        label="Alert when urgent work is unassigned for (minutes)",
        help_text="MASH managers are alerted, once per contact, when a contact with a "
        "child at immediate risk, or rated at the most urgent level, has waited this many "
        "minutes with nobody taking it.",
        validators=[
            MinValueValidator(1, "Enter a number of minutes of 1 or more"),
            MaxValueValidator(1440, "Enter no more than 1,440 minutes (a day)"),
        ],
    )
    hand_on_acceptance_hours = _hours_field(
        "Hand-ons accepted within (hours)",
        "Time from the MASH handing a case on to the receiving team accepting or returning "
        "it. A change applies to cases handed on from then on.",
    )

    class Meta:
        model = WorkingHours
        fields = [
            "opens",
            "closes",
            "monday",
            "tuesday",
            "wednesday",
            "thursday",
            "friday",
            "saturday",
            "sunday",
            "reminder_hours_before",
            "urgent_unassigned_minutes",
            "hand_on_acceptance_hours",
            "hand_on_acceptance_counting",
            "nation",
        ]

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        opens, closes = data.get("opens"), data.get("closes")
        if opens is not None and closes is not None and closes <= opens:
            self.add_error("closes", "The hub must close later in the day than it opens")
        days = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
        if not any(data.get(day) for day in days):
            self.add_error("monday", "Select at least one day the hub is open")
        return data


@admin.register(WorkingHours)
class WorkingHoursAdmin(AreaAdmin):
    audit_object_type = "working_hours"
    form = WorkingHoursForm
    list_display = ["__str__", "nation", "reminder_hours_before"]
    readonly_fields = ["bank_holidays_ahead"]

    @admin.display(description="Bank holidays in the next 12 months")
    def bank_holidays_ahead(self, obj: WorkingHours | None) -> SafeString:
        # So the administrator sees what the chosen nation closes the hub on.
        nation = Nation(obj.nation) if obj is not None else Nation.ENGLAND_AND_WALES
        today = timezone.localdate()
        end = today + timedelta(days=365)
        days = [
            (day, name)
            for year in range(today.year, end.year + 1)
            for day, name in bank_holidays_in(nation, year).items()
            if today <= day <= end
        ]
        return format_html_join(
            "",
            "{}: {}<br>",
            ((f"{day:%A %-d %B %Y}", name) for day, name in days),
        )

    def has_add_permission(self, request: HttpRequest) -> bool:
        # One hub, one set of opening hours.
        return not WorkingHours.objects.exists() and super().has_add_permission(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Every working-hours deadline is counted from these; change them instead.
        return False


class ClosureDayForm(forms.ModelForm):
    class Meta:
        model = ClosureDay
        fields = ["day", "name"]
        help_texts = {
            "day": "The hub is closed all day: deadlines in working hours skip it.",
            "name": "For example, council closure between Christmas and New Year.",
        }

    def clean_day(self) -> Any:
        day = self.cleaned_data["day"]
        nation = (WorkingHours.objects.first() or WorkingHours()).nation
        national = bank_holidays_in(nation, day.year).get(day)
        if national:
            raise forms.ValidationError(
                f"{day:%-d %B %Y} is already a bank holiday in {Nation(nation).label} "
                f"({national}): the hub is closed that day without a local closure day"
            )
        return day


@admin.register(ClosureDay)
class ClosureDayAdmin(AreaAdmin):
    """Days the hub closes besides its nation's bank holidays, which come from the
    `holidays` package for every year and need no typing in."""

    audit_object_type = "closure_day"
    form = ClosureDayForm
    list_display = ["day", "name"]
    date_hierarchy = "day"
    search_fields = ["name"]


class LevelOfNeedForm(forms.ModelForm):
    number = forms.IntegerField(
        validators=[
            MinValueValidator(1, "Enter a level of 1 or more"),
            MaxValueValidator(9, "Enter a level of 9 or less"),
        ],
        help_text="1 is universal; the highest is acute (child protection).",
    )

    class Meta:
        model = LevelOfNeed
        fields = ["number", "label", "description"]


@admin.register(LevelOfNeed)
class LevelOfNeedAdmin(AreaAdmin):
    audit_object_type = "level_of_need"
    form = LevelOfNeedForm
    list_display = ["number", "label"]


class OutcomeForm(forms.ModelForm):
    class Meta:
        model = Outcome
        fields = [
            "code",
            "label",
            "order",
            "kind",
            "hand_on_to",
            "closes_at_screening",
            "next_steps",
            "active",
        ]

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        hand_on_to = data.get("hand_on_to")
        if data.get("closes_at_screening") and hand_on_to:
            self.add_error(
                "closes_at_screening",
                "Only an outcome that hands the case on to nobody can close a contact at screening",
            )
        if (
            data.get("active")
            and hand_on_to == HandOnTeam.ALLOCATED_WORKER
            and Outcome.objects.filter(active=True, hand_on_to=HandOnTeam.ALLOCATED_WORKER)
            .exclude(pk=self.instance.pk)
            .exists()
        ):
            self.add_error(
                "hand_on_to",
                "Another active outcome already passes cases to the allocated worker",
            )
        return data


@admin.register(Outcome)
class OutcomeAdmin(AreaAdmin):
    audit_object_type = "outcome"
    form = OutcomeForm
    list_display = ["label", "code", "kind", "hand_on_to", "closes_at_screening", "active"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        # Decisions, closure proposals and the API refer to an outcome by its code.
        return ["code"] if obj is not None else []


class ConcernRuleForm(forms.ModelForm):
    threshold = forms.IntegerField(
        validators=[
            MinValueValidator(1, "Enter a threshold of 1 or more"),
            MaxValueValidator(100, "Enter a threshold of 100 or less"),
        ],
        help_text="How many contacts (or different agencies, or re-referrals) raise the flag.",
    )
    period_days = forms.IntegerField(
        label="Period (days)",
        validators=[
            MinValueValidator(1, "Enter a period of 1 day or more"),
            MaxValueValidator(3660, "Enter a period of no more than 3,660 days (10 years)"),
        ],
        help_text="Counted back from today; for a re-referral, also the longest time from a "
        "decision to the next contact.",
    )

    class Meta:
        model = ConcernRule
        fields = ["kind", "label", "threshold", "period_days", "order", "active"]


@admin.register(ConcernRule)
class ConcernRuleAdmin(AreaAdmin):
    audit_object_type = "concern_rule"
    form = ConcernRuleForm
    list_display = ["label", "kind", "threshold", "period_days", "order", "active"]


class ProtectiveMarkingForm(forms.ModelForm):
    class Meta:
        model = ProtectiveMarking
        fields = ["marking"]
        error_messages = {
            "marking": {"required": "Enter the protective marking, e.g. OFFICIAL-SENSITIVE"}
        }

    def clean_marking(self) -> str:
        # One space between words, as it is printed.
        return " ".join(self.cleaned_data["marking"].split())


@admin.register(ProtectiveMarking)
class ProtectiveMarkingAdmin(AreaAdmin):
    """The marking at the top and bottom of every printed page: one for the area."""

    audit_object_type = "protective_marking"
    form = ProtectiveMarkingForm
    list_display = ["marking"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return not ProtectiveMarking.objects.exists() and super().has_add_permission(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Every printed page needs a marking: change it instead.
        return False


class EmergencyDutyTeamForm(forms.ModelForm):
    class Meta:
        model = EmergencyDutyTeam
        fields = ["name", "phone", "email"]

    def clean_phone(self) -> str:
        phone = self.cleaned_data["phone"].strip()
        digits = [character for character in phone if character.isdigit()]
        if len(digits) < 3 or any(c not in "0123456789 +()-" for c in phone):
            raise forms.ValidationError(
                "Enter a phone number, like 0300 123 4567 or +44 300 123 4567"
            )
        return phone


@admin.register(EmergencyDutyTeam)
class EmergencyDutyTeamAdmin(AreaAdmin):
    """The team referrers are told to call while the hub is closed. It covers whenever the
    working hours, bank holidays and closure days say the hub is closed, shown here so
    the administrator sees what referrers are told."""

    audit_object_type = "emergency_duty_team"
    form = EmergencyDutyTeamForm
    list_display = ["name", "phone", "email"]
    readonly_fields = ["covers"]

    @admin.display(description="Covers")
    def covers(self, obj: EmergencyDutyTeam | None) -> str:
        return edt_covers()

    def has_add_permission(self, request: HttpRequest) -> bool:
        # One area, one emergency duty team.
        return not EmergencyDutyTeam.objects.exists() and super().has_add_permission(request)


class OnCallPeriodForm(forms.ModelForm):
    class Meta:
        model = OnCallPeriod
        fields = ["person", "starts_at", "ends_at"]
        help_texts = {
            "starts_at": "When they go on call (UK time).",
            "ends_at": "When they come off call (UK time).",
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        person = self.fields["person"]
        assert isinstance(person, forms.ModelChoiceField)
        person.queryset = person.queryset.filter(is_active=True).order_by(  # type: ignore[union-attr]
            "last_name", "first_name", "username"
        )

    def clean_person(self) -> Any:
        person = self.cleaned_data["person"]
        if not person.email:
            raise forms.ValidationError(
                "This person has no email address, so they could not be alerted: add one "
                "to their account first"
            )
        return person

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        starts_at, ends_at = data.get("starts_at"), data.get("ends_at")
        if starts_at is None or ends_at is None:
            return data
        if ends_at <= starts_at:
            self.add_error("ends_at", "The period must end after it starts")
            return data
        overlapping = (
            OnCallPeriod.objects.filter(starts_at__lt=ends_at, ends_at__gt=starts_at)
            .exclude(pk=self.instance.pk)
            .select_related("person")
            .order_by("starts_at")
            .first()
        )
        if overlapping is not None:
            self.add_error(
                "starts_at",
                f"This period overlaps {overlapping.person.get_full_name() or overlapping.person}"
                f"'s, from {timezone.localtime(overlapping.starts_at, LONDON):%H:%M on %-d %B %Y}"
                f" to {timezone.localtime(overlapping.ends_at, LONDON):%H:%M on %-d %B %Y}: "
                "change one of them so only one person is on call at a time",
            )
        return data


@admin.register(OnCallPeriod)
class OnCallPeriodAdmin(AreaAdmin):
    """The on-call rota: red and immediate-risk contacts made while the hub is closed go
    to whoever is on call then; with nobody, to the emergency duty team's inbox."""

    audit_object_type = "on_call_period"
    form = OnCallPeriodForm
    list_display = ["person", "starts_at", "ends_at", "phone"]
    list_select_related = ["person"]
    date_hierarchy = "starts_at"

    @admin.display(description="Phone")
    def phone(self, obj: OnCallPeriod) -> str:
        return obj.person.phone or "Not given"
