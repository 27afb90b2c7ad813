"""The contact form: what a referrer or a screener types, turned into a ContactSubmission."""

from datetime import datetime, time
from typing import Any

from django import forms
from django.forms import BaseFormSet, formset_factory
from django.utils import timezone

from openmash.contacts.codes import (
    LEVELS_OF_NEED,
    AssessmentFactor,
    Channel,
    ConsentStatus,
    Disability,
    Ethnicity,
    LawfulBasis,
    PersonRole,
    ReferralSource,
    Sex,
)
from openmash.contacts.submission import (
    Address,
    ConcernDetails,
    ConsentDetails,
    ContactSubmission,
    FieldError,
    PersonDetails,
    ReferrerDetails,
)
from openmash.core.forms import GovukCheckboxes, GovukDateField, GovukForm, GovukRadios

PHONE_CHANNELS = [
    (Channel.PHONE.value, Channel.PHONE.label),
    (Channel.EMAIL.value, Channel.EMAIL.label),
    (Channel.POLICE_NOTIFICATION.value, Channel.POLICE_NOTIFICATION.label),
    (Channel.OTHER.value, Channel.OTHER.label),
]
YES_NO = [("yes", "Yes"), ("no", "No")]
LEVEL_CHOICES = [(str(level), label) for level, label in LEVELS_OF_NEED.items()] + [
    ("", "Not sure")
]


def _text(label: str, *, help_text: str = "", width: str = "", **kwargs: Any) -> forms.CharField:
    attrs = {"class": f"govuk-input--width-{width}"} if width else {}
    return forms.CharField(
        label=label,
        required=False,
        help_text=help_text,
        widget=forms.TextInput(attrs=attrs),
        **kwargs,
    )


class ContactForm(GovukForm):
    """Everything about the contact except the people, who come in a formset."""

    # How it came in: only screeners recording a phone or email contact see these.
    channel = forms.ChoiceField(
        label="How did the contact come in?",
        choices=PHONE_CHANNELS,
        widget=GovukRadios,
        required=False,
    )
    received_date = GovukDateField(
        label="Date received",
        required=False,
        field_label="date received",
        help_text="Leave blank if it came in just now. For example, 27 3 2026",
    )
    received_time = _text("Time received", width="5", help_text="24-hour clock, for example 14:30")
    received_at_reason = forms.CharField(
        label="Why is it recorded later than it was received?",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Needed when the time received is earlier than now",
    )

    referrer_anonymous = forms.BooleanField(
        label="The referrer wants to stay anonymous", required=False
    )
    referrer_name = _text("Referrer's name")
    referrer_role = _text("Referrer's job or relationship to the child")
    referrer_organisation = _text("Referrer's organisation")
    referrer_email = forms.CharField(
        label="Referrer's email address",
        required=False,
        widget=forms.EmailInput(attrs={"autocomplete": "email", "spellcheck": "false"}),
    )
    referrer_phone = _text("Referrer's phone number", width="20")
    referral_source = forms.ChoiceField(
        label="Referral source",
        required=False,
        choices=[("", "Select a referral source"), *ReferralSource.choices],
        help_text="The Children in Need census code for who made the contact",
    )

    factor_codes = forms.MultipleChoiceField(
        label="What are the concerns?",
        choices=AssessmentFactor.choices,
        required=False,
        widget=GovukCheckboxes,
        help_text="Select all that apply",
    )
    concern_description = forms.CharField(
        label="Describe the concern",
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text="What happened, when, what the child said, and what you have done so far",
    )
    immediate_risk = forms.ChoiceField(
        label="Is a child at immediate risk of harm?",
        choices=YES_NO,
        widget=GovukRadios,
        required=False,
        help_text="If a child is in immediate danger, call 999 first",
    )
    referrer_level_of_need = forms.ChoiceField(
        label="What level of need do you think the child has?",
        choices=LEVEL_CHOICES,
        widget=GovukRadios,
        required=False,
    )

    consent_status = forms.ChoiceField(
        label="Consent to share information",
        choices=ConsentStatus.choices,
        widget=GovukRadios,
        required=False,
    )
    consent_reason = forms.CharField(
        label="Why was consent not sought, or why was a refusal overridden?",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Needed unless consent was given. Consent is not needed where a child is at risk",
    )
    lawful_basis = forms.ChoiceField(
        label="Lawful basis for sharing",
        required=False,
        choices=[("", "Select the lawful basis"), *LawfulBasis.choices],
    )

    def clean(self) -> dict[str, Any]:
        """The date and time received are one moment: a time without a date, or a date
        without a valid time, is an error on the field to fix, never a contact recorded
        as received now."""
        cleaned = super().clean() or {}
        day = cleaned.get("received_date")
        raw_time = (cleaned.get("received_time") or "").strip()
        cleaned["received_at"] = None
        if day is None:
            if raw_time and "received_date" not in self.errors:
                self.add_error("received_date", "Enter the date received as well as the time")
            return cleaned
        at = _clock_time(raw_time)
        if at is None:
            self.add_error(
                "received_time",
                "Enter the time received as hours and minutes on the 24-hour clock, like 14:30"
                if raw_time
                else "Enter the time received, like 14:30",
            )
            return cleaned
        cleaned["received_at"] = timezone.make_aware(datetime.combine(day, at))
        return cleaned

    def received_at(self) -> datetime | None:
        """When the contact was received, as typed (None: just now). Call after is_valid."""
        received: datetime | None = self.cleaned_data.get("received_at")
        return received


def _clock_time(raw: str) -> time | None:
    """14:30, 14.30 or 9:05 as a time; None for anything else (25:99, 9.5.1, -1:30)."""
    parts = raw.replace(".", ":").split(":")
    if len(parts) != 2 or not all(part.isdigit() and len(part) <= 2 for part in parts):
        return None
    hours, minutes = int(parts[0]), int(parts[1])
    if hours > 23 or minutes > 59 or len(parts[1]) != 2:
        return None
    return time(hours, minutes)


class PersonForm(GovukForm):
    role = forms.ChoiceField(
        label="Role in this contact",
        choices=[("", "Select a role"), *PersonRole.choices],
        required=False,
    )
    given_names = _text("First names")
    family_name = _text("Last name")
    other_names = _text(
        "Other names or aliases", help_text="Previous surnames, nicknames, other spellings"
    )
    date_of_birth = GovukDateField(
        label="Date of birth",
        required=False,
        field_label="date of birth",
        help_text="For example, 27 3 2019",
    )
    estimated_age = forms.IntegerField(
        label="Estimated age in years, if the date of birth is not known",
        required=False,
        min_value=0,
        max_value=120,
        error_messages={
            "min_value": "Estimated age must be between 0 and 120",
            "max_value": "Estimated age must be between 0 and 120",
            "invalid": "Enter the estimated age as a whole number of years, like 8",
        },
        widget=forms.NumberInput(attrs={"class": "govuk-input--width-3", "inputmode": "numeric"}),
    )
    expected_birth_date = GovukDateField(
        label="Expected date of birth, if unborn",
        required=False,
        field_label="expected date of birth",
    )
    sex = forms.ChoiceField(label="Sex", choices=Sex.choices, widget=GovukRadios, required=False)
    address_line1 = _text("Address line 1")
    address_line2 = _text("Address line 2 (optional)")
    town = _text("Town or city", width="20")
    postcode = _text("Postcode", width="10")
    nhs_number = _text(
        "NHS number (if known)", width="10", help_text="10 digits, for example 943 476 5919"
    )
    upn = _text(
        "Unique pupil number (if known)",
        width="10",
        help_text="13 characters, for example H801200001001",
    )
    # The statutory characteristics (Annex A, the CIN census): all optional.
    ethnicity = forms.ChoiceField(
        label="Ethnicity (if known)",
        required=False,
        choices=[("", "Not known"), *Ethnicity.choices],
        help_text="As the family describes it (the Department for Education's census codes)",
    )
    first_language = _text(
        "First language (if known)", width="20", help_text="For example, English or Polish"
    )
    disability = forms.ChoiceField(
        label="Does the person have a disability? (if known)",
        choices=Disability.choices,
        widget=GovukRadios,
        required=False,
    )
    school_urn = _text(
        "School or setting URN (if known)",
        width="10",
        help_text="6 digits, for example 100000",
    )
    gp_practice = _text(
        "GP practice code (if known)",
        width="10",
        help_text="The practice's ODS code: a letter then 5 digits, for example A12345",
    )

    def details(self) -> PersonDetails:
        data = self.cleaned_data
        return PersonDetails(
            role=data.get("role") or "",
            given_names=data.get("given_names") or "",
            family_name=data.get("family_name") or "",
            other_names=data.get("other_names") or "",
            date_of_birth=data.get("date_of_birth"),
            estimated_age=data.get("estimated_age"),
            expected_birth_date=data.get("expected_birth_date"),
            sex=data.get("sex") or "",
            address=Address(
                line1=data.get("address_line1") or "",
                line2=data.get("address_line2") or "",
                town=data.get("town") or "",
                postcode=data.get("postcode") or "",
            ),
            nhs_number=data.get("nhs_number") or "",
            upn=data.get("upn") or "",
            ethnicity=data.get("ethnicity") or "",
            first_language=data.get("first_language") or "",
            disability=data.get("disability") or "",
            school_urn=data.get("school_urn") or "",
            gp_practice=data.get("gp_practice") or "",
        )


class BasePeopleFormSet(BaseFormSet):
    forms: list[PersonForm]
    # As GovukForm's: a restored draft is shown as typed, without errors.
    suppress_errors = False
    default_error_messages = {
        "too_many_forms": "A contact can name at most %(num)d people: make a second "
        "contact for the others",
        "too_few_forms": "Add the child the contact is about",
    }


PeopleFormSet = formset_factory(
    PersonForm, formset=BasePeopleFormSet, extra=0, min_num=1, max_num=20, validate_max=True
)

# Where each submission field is typed on the form: path -> (form, field name).
_CONTACT_FIELDS = {
    "channel": "channel",
    "received_at": "received_date",
    "received_at_reason": "received_at_reason",
    "referrer.name": "referrer_name",
    "referrer.role": "referrer_role",
    "referrer.organisation": "referrer_organisation",
    "referrer.email": "referrer_email",
    "referrer.phone": "referrer_phone",
    "referrer.source_code": "referral_source",
    "concerns.factor_codes": "factor_codes",
    "concerns.description": "concern_description",
    "concerns.immediate_risk": "immediate_risk",
    "concerns.referrer_level_of_need": "referrer_level_of_need",
    "consent.status": "consent_status",
    "consent.reason": "consent_reason",
    "consent.lawful_basis": "lawful_basis",
}
# A person's age, given one of these ways.
_AGE_FIELDS = frozenset({"date_of_birth", "estimated_age", "expected_birth_date"})

_PERSON_FIELDS = {
    "address.postcode": "postcode",
    "address.line1": "address_line1",
    "address.line2": "address_line2",
    "address.town": "town",
}


def build_submission(
    form: ContactForm, people: BasePeopleFormSet, *, channel: str, referrer: ReferrerDetails | None
) -> ContactSubmission:
    """The submission the forms describe. `referrer` overrides the typed referrer (a signed-in referrer)."""
    data = form.cleaned_data
    level = data.get("referrer_level_of_need")
    immediate = data.get("immediate_risk")
    return ContactSubmission(
        channel=channel,
        received_at=form.received_at(),
        received_at_reason=data.get("received_at_reason") or "",
        referrer=referrer
        or ReferrerDetails(
            name=data.get("referrer_name") or "",
            role=data.get("referrer_role") or "",
            organisation=data.get("referrer_organisation") or "",
            email=data.get("referrer_email") or "",
            phone=data.get("referrer_phone") or "",
            source_code=data.get("referral_source") or "",
            anonymous=bool(data.get("referrer_anonymous")),
        ),
        people=[person.details() for person in people.forms],
        concerns=ConcernDetails(
            factor_codes=list(data.get("factor_codes") or []),
            description=data.get("concern_description") or "",
            immediate_risk=None if not immediate else immediate == "yes",
            referrer_level_of_need=int(level) if level else None,
        ),
        consent=ConsentDetails(
            status=data.get("consent_status") or "",
            reason=data.get("consent_reason") or "",
            lawful_basis=data.get("lawful_basis") or "",
        ),
    )


def attach_errors(form: ContactForm, people: BasePeopleFormSet, errors: list[FieldError]) -> None:
    """Put each submission error next to the field where it was typed."""
    for error in errors:
        if error.field.startswith("people["):
            index_text, _, rest = error.field[len("people[") :].partition("].")
            person_form = people.forms[int(index_text)]
            name = _PERSON_FIELDS.get(rest, rest)
            person_form.add_error(name if name in person_form.fields else None, error.message)
            person_form.mark_error_widgets()
        elif error.field == "people":
            form.add_error(None, error.message)
        else:
            field_name = _CONTACT_FIELDS.get(error.field, "")
            form.add_error(field_name if field_name in form.fields else None, error.message)
    form.mark_error_widgets()


def errors_not_shown_yet(
    form: ContactForm, people: BasePeopleFormSet, errors: list[FieldError]
) -> list[FieldError]:
    """Of a submission's errors (the service's rules), those that belong beside the forms'
    own errors, so that one round of corrections shows everything to fix: none on a field
    already in error; for a person with errors, none on how old they are when any of the
    date of birth, estimated age or expected date is in error (a date the form could not
    read looks missing to the service, which would ask for one), and none about the
    person as a whole; the rest (a postcode, an NHS number...) are shown beside them."""

    def not_shown(error: FieldError) -> bool:
        if error.field.startswith("people["):
            index_text, _, rest = error.field[len("people[") :].partition("]")
            index = int(index_text)
            if index >= len(people.forms):
                return False
            person_form = people.forms[index]
            if not person_form.errors:
                return True
            field = rest.removeprefix(".")
            name = _PERSON_FIELDS.get(field, field)
            if name not in person_form.fields or name in person_form.errors:
                return False
            return not (name in _AGE_FIELDS and any(f in person_form.errors for f in _AGE_FIELDS))
        if error.field == "people":
            return error.message not in form.non_field_errors()
        if error.field in {"received_at", "received_at_reason"} and (
            "received_date" in form.errors or "received_time" in form.errors
        ):
            return False
        return _CONTACT_FIELDS.get(error.field, "") not in form.errors

    return [error for error in errors if not_shown(error)]
