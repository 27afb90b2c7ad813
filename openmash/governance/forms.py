"""The forms of the information governance pages. The services check every rule again
(openmash.governance.services, subject_access); their refusals go beside these fields."""

from datetime import date
from typing import Any

from django import forms
from django.utils import timezone

from openmash.core.forms import GovukCheckboxes, GovukDateField, GovukForm, GovukRadios
from openmash.enquiries.forms.search import FIELDS, FindChildForm
from openmash.governance.schedule import Rule

NOTHING_TYPED = "Enter at least one thing you know about the person, such as their name"


class SubjectSearchForm(FindChildForm):
    """Find a child's form, for anyone named in a contact or an agency's index: POSTed,
    never put in an address (views.py keeps it server-side under an opaque id)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields[
            "reference"
        ].help_text = "For example, MASH-2026-000123: finds everyone named in that contact"

    def clean(self) -> dict[str, Any]:
        cleaned = dict(self.cleaned_data)
        if not self.errors and not any(cleaned.get(name) for name in FIELDS):
            raise forms.ValidationError(NOTHING_TYPED)
        return cleaned


class SubjectRequestForm(GovukForm):
    """Which records found are the person's, and the request's own details."""

    records = forms.MultipleChoiceField(
        label="Which of these records are the person's?",
        required=False,
        widget=GovukCheckboxes,
        error_messages={"invalid_choice": "Choose from the records found"},
    )
    reference = forms.CharField(
        label="Your reference for the request",
        required=False,
        max_length=60,
        help_text="From your information governance casework, for example SAR-2026-0142",
        widget=forms.TextInput(attrs={"class": "govuk-input--width-20", "autocomplete": "off"}),
    )
    received_on = GovukDateField(
        label="Date the request was received",
        field_label="date the request was received",
        required=False,
        help_text="The month to answer runs from this day. For example, 27 3 2026",
    )

    def __init__(self, *args: Any, choices: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        records = self.fields["records"]
        assert isinstance(records, forms.MultipleChoiceField)
        records.choices = choices

    def clean_records(self) -> list[str]:
        chosen: list[str] = self.cleaned_data["records"]
        if not chosen:
            raise forms.ValidationError("Choose the records that are the person's")
        return chosen

    def clean_reference(self) -> str:
        value = " ".join(self.cleaned_data["reference"].replace("\x00", "").split())
        if not value:
            raise forms.ValidationError("Enter your reference for the request")
        return value

    def clean_received_on(self) -> date:
        received: date | None = self.cleaned_data["received_on"]
        if received is None:
            raise forms.ValidationError("Enter the date the request was received")
        if received > timezone.localdate():
            raise forms.ValidationError("The date received must be today or in the past")
        return received

    def chosen_ids(self) -> tuple[list[int], list[int]]:
        """(people in contacts, agency index records) chosen."""
        people: list[int] = []
        records: list[int] = []
        for value in self.cleaned_data["records"]:
            kind, _, pk = value.partition("-")
            (people if kind == "person" else records).append(int(pk))
        return people, records


YES_NO = [("yes", "Yes"), ("no", "No: keep these records")]


class RetentionRuleForm(GovukForm):
    keep_years = forms.IntegerField(
        label="Years",
        required=False,
        min_value=0,
        max_value=100,
        widget=forms.TextInput(attrs={"class": "govuk-input--width-3", "inputmode": "numeric"}),
        error_messages={
            "invalid": "Enter the years as a whole number, like 6",
            "min_value": "Years must be 0 or more",
            "max_value": "Years must be 100 or fewer",
        },
    )
    keep_months = forms.IntegerField(
        label="And months",
        required=False,
        min_value=0,
        max_value=11,
        widget=forms.TextInput(attrs={"class": "govuk-input--width-3", "inputmode": "numeric"}),
        error_messages={
            "invalid": "Enter the months as a whole number from 0 to 11",
            "min_value": "Months must be from 0 to 11",
            "max_value": "Months must be from 0 to 11",
        },
    )
    keep_until_age = forms.IntegerField(
        label="And until the youngest child named is this old (optional)",
        required=False,
        min_value=1,
        max_value=100,
        help_text="For example, 25. Leave empty to count from closure only.",
        widget=forms.TextInput(attrs={"class": "govuk-input--width-3", "inputmode": "numeric"}),
        error_messages={
            "invalid": "Enter the age as a whole number, like 25",
            "min_value": "Enter an age from 1 to 100",
            "max_value": "Enter an age from 1 to 100",
        },
    )
    active = forms.ChoiceField(
        label="Remove these records when they are due?",
        choices=YES_NO,
        widget=GovukRadios,
        required=False,
        error_messages={"invalid_choice": "Select yes or no"},
    )
    reason = forms.CharField(
        label="Why they are kept this long",
        required=False,
        help_text="Shown beside the period on the schedule: your schedule's entry, the law or "
        "guidance it follows.",
        widget=forms.Textarea(attrs={"rows": 5}),
    )

    def __init__(self, *args: Any, with_age: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not with_age:
            del self.fields["keep_until_age"]

    @staticmethod
    def initial_from(rule: Rule) -> dict[str, Any]:
        return {
            "keep_years": rule.keep_months // 12,
            "keep_months": rule.keep_months % 12,
            "keep_until_age": rule.keep_until_age,
            "active": "yes" if rule.active else "no",
            "reason": rule.reason,
        }

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if not cleaned.get("reason", "").strip() and "reason" not in self.errors:
            self.add_error("reason", "Enter why the records are kept this long")
        if cleaned.get("active") not in ("yes", "no") and "active" not in self.errors:
            self.add_error("active", "Select yes or no")
        years, months = cleaned.get("keep_years"), cleaned.get("keep_months")
        if "keep_years" not in self.errors and "keep_months" not in self.errors:
            if years is None and months is None:
                self.add_error("keep_years", "Enter how long the records are kept")
            elif (years or 0) * 12 + (months or 0) < 1:
                self.add_error("keep_years", "Enter a period of at least 1 month")
        return cleaned

    @property
    def total_months(self) -> int:
        return (self.cleaned_data.get("keep_years") or 0) * 12 + (
            self.cleaned_data.get("keep_months") or 0
        )


class LegalHoldForm(GovukForm):
    reference = forms.CharField(
        label="Contact reference",
        required=False,
        max_length=20,
        help_text="For example, MASH-2026-000123",
        widget=forms.TextInput(attrs={"class": "govuk-input--width-20", "autocomplete": "off"}),
    )
    reason = forms.CharField(
        label="Why it is held",
        required=False,
        help_text="For example, the claim, complaint, inquiry or request it is held for. "
        "Do not write the child's name.",
        widget=forms.Textarea(attrs={"rows": 4}),
    )

    def clean_reference(self) -> str:
        value = " ".join(self.cleaned_data["reference"].replace("\x00", "").split()).upper()
        if not value:
            raise forms.ValidationError("Enter the contact reference")
        return value

    def clean_reason(self) -> str:
        value = self.cleaned_data["reason"].replace("\x00", "").strip()
        if not value:
            raise forms.ValidationError("Enter why the contact is held")
        return value


class ReleaseHoldForm(GovukForm):
    release_reason = forms.CharField(
        label="Why the hold is released",
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )

    def clean_release_reason(self) -> str:
        value = self.cleaned_data["release_reason"].replace("\x00", "").strip()
        if not value:
            raise forms.ValidationError("Enter why the hold is released")
        return value
