from datetime import date

from django.conf import settings
from django.db import models
from django.db.models.functions import Upper
from django.utils import timezone

from openmash.contacts.codes import (
    AssessmentFactor,
    Channel,
    ConsentStatus,
    ContactState,
    Disability,
    Ethnicity,
    LawfulBasis,
    PersonRole,
    ReferralSource,
    Sex,
)


class ReferenceSequence(models.Model):
    """The last contact number used in a year, for references like MASH-2026-000123."""

    year = models.PositiveIntegerField(primary_key=True)
    last_number = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.year}: {self.last_number}"


class Contact(models.Model):
    """A safeguarding contact about one or more children, recorded as received."""

    reference = models.CharField(max_length=20, unique=True)
    state = models.CharField(
        max_length=20, choices=ContactState.choices, default=ContactState.RECEIVED
    )
    received_at = models.DateTimeField()
    received_at_reason = models.CharField(max_length=500, blank=True)
    recorded_at = models.DateTimeField(default=timezone.now)
    channel = models.CharField(max_length=30, choices=Channel.choices)

    submitted_by_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    submitted_by_token = models.ForeignKey(
        "accounts.ApiToken", on_delete=models.PROTECT, null=True, related_name="+"
    )
    # The organisation whose referrers may follow this contact's outcome.
    submitted_by_agency = models.ForeignKey(
        "accounts.Agency", on_delete=models.PROTECT, null=True, related_name="submitted_contacts"
    )

    referrer_anonymous = models.BooleanField(default=False)
    referrer_name = models.CharField(max_length=200, blank=True)
    referrer_role = models.CharField(max_length=200, blank=True)
    referrer_organisation = models.CharField(max_length=200, blank=True)
    referrer_email = models.EmailField(blank=True)
    referrer_phone = models.CharField(max_length=40, blank=True)
    referral_source = models.CharField(max_length=3, choices=ReferralSource.choices)

    concern_description = models.TextField()
    immediate_risk = models.BooleanField()
    referrer_level_of_need = models.PositiveSmallIntegerField(null=True, blank=True)

    consent_status = models.CharField(max_length=30, choices=ConsentStatus.choices)
    consent_reason = models.TextField(blank=True)
    lawful_basis = models.CharField(max_length=40, choices=LawfulBasis.choices)

    # Screening: set by the services in openmash.enquiries. Until a screener rates the
    # contact, deadline_at is provisional (see enquiries.deadlines.provisional_level).
    rag_level = models.ForeignKey(
        "area.RagLevel", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    deadline_at = models.DateTimeField(null=True, blank=True)
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="assigned_contacts",
    )
    assigned_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    idempotency_key = models.CharField(max_length=200, blank=True)
    request_fingerprint = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["submitted_by_token", "idempotency_key"],
                condition=~models.Q(idempotency_key=""),
                name="one_contact_per_idempotency_key",
            )
        ]
        indexes = [
            models.Index(fields=["state", "-received_at", "-id"], name="contact_state_received"),
            models.Index(
                fields=["submitted_by_agency", "-received_at"], name="contact_agency_received"
            ),
            models.Index(fields=["state", "deadline_at", "id"], name="contact_state_deadline"),
        ]

    def __str__(self) -> str:
        return self.reference

    @property
    def factor_codes(self) -> list[str]:
        return [factor.code for factor in self.factors.all()]


class ContactFactor(models.Model):
    """One concern category (a CIN assessment factor code) raised by the contact."""

    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="factors")
    code = models.CharField(max_length=3, choices=AssessmentFactor.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["contact", "code"], name="one_factor_code_per_contact")
        ]
        indexes = [models.Index(fields=["code"])]

    def __str__(self) -> str:
        return self.code


class ContactPerson(models.Model):
    """A person named in a contact, as the referrer described them."""

    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="people")
    position = models.PositiveSmallIntegerField()
    role = models.CharField(max_length=20, choices=PersonRole.choices)
    given_names = models.CharField(max_length=200, blank=True)
    family_name = models.CharField(max_length=200, blank=True)
    other_names = models.CharField(max_length=500, blank=True)
    date_of_birth = models.DateField(null=True, blank=True)
    estimated_age = models.PositiveSmallIntegerField(null=True, blank=True)
    expected_birth_date = models.DateField(null=True, blank=True)
    sex = models.CharField(max_length=1, choices=Sex.choices)
    address_line1 = models.CharField(max_length=200, blank=True)
    address_line2 = models.CharField(max_length=200, blank=True)
    town = models.CharField(max_length=100, blank=True)
    postcode = models.CharField(max_length=10, blank=True)
    nhs_number = models.CharField(max_length=10, blank=True)
    upn = models.CharField(max_length=13, blank=True)
    # The statutory returns' characteristics (Annex A, the CIN census): optional at
    # contact, correctable at screening. Empty when not given.
    ethnicity = models.CharField(max_length=4, choices=Ethnicity.choices, blank=True)
    first_language = models.CharField(max_length=100, blank=True)
    disability = models.CharField(max_length=7, choices=Disability.choices, blank=True)
    # A school's or setting's URN (6 digits) and a GP practice's ODS code (like A12345).
    school_urn = models.CharField(max_length=6, blank=True)
    gp_practice = models.CharField(max_length=6, blank=True)

    class Meta:
        ordering = ["contact_id", "position"]
        constraints = [
            models.UniqueConstraint(fields=["contact", "position"], name="one_person_per_position")
        ]
        indexes = [
            models.Index(fields=["family_name", "given_names"]),
            models.Index(fields=["nhs_number"], name="contactperson_nhs_number"),
            models.Index(fields=["upn"], name="contactperson_upn"),
            # The same-child lookup compares names case-insensitively with the date of birth.
            models.Index(
                Upper("family_name"),
                Upper("given_names"),
                "date_of_birth",
                name="contactperson_name_dob_ci",
            ),
        ]

    def __str__(self) -> str:
        return f"person {self.pk}"

    @property
    def full_name(self) -> str:
        return (
            " ".join(part for part in [self.given_names, self.family_name] if part)
            or "Name not known"
        )

    def age_on(self, day: date) -> int | None:
        if self.date_of_birth is None:
            return self.estimated_age
        years = day.year - self.date_of_birth.year
        if (day.month, day.day) < (self.date_of_birth.month, self.date_of_birth.day):
            years -= 1
        return years


class ContactDraft(models.Model):
    """What someone has typed into the contact form so far; survives time-outs and closed tabs."""

    owner = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="contact_draft"
    )
    data = models.JSONField(default=dict)
    updated_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"draft {self.pk}"


class PersonCorrection(models.Model):
    """One correction of a person's details on a contact, kept as the person's history:
    which fields changed, from what to what, why, who and when. The person row holds the
    corrected values; these rows are the only place the previous ones are kept."""

    person = models.ForeignKey(ContactPerson, on_delete=models.CASCADE, related_name="corrections")
    # {"nhs_number": {"from": "9434765919", "to": "4857773456"}, ...}: field names as on
    # ContactPerson, dates as ISO strings, empty strings for "not known".
    changes = models.JSONField(default=dict)
    reason = models.TextField()
    corrected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    corrected_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-corrected_at", "-id"]
        indexes = [models.Index(fields=["person", "-corrected_at"], name="correction_person")]

    def __str__(self) -> str:
        return f"correction {self.pk}"


class ContactAddition(models.Model):
    """Information the referrer added to their own contact while it was open. Never
    edited: a correction is another addition. New to the MASH until a screener opens
    the screening page (seen_at)."""

    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="additions")
    text = models.TextField()
    added_by_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    added_by_token = models.ForeignKey(
        "accounts.ApiToken", on_delete=models.PROTECT, null=True, related_name="+"
    )
    added_at = models.DateTimeField(default=timezone.now)
    seen_at = models.DateTimeField(null=True, blank=True)
    seen_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["added_at", "id"]
        indexes = [
            models.Index(fields=["contact", "added_at"], name="addition_contact"),
            models.Index(
                fields=["contact"],
                condition=models.Q(seen_at__isnull=True),
                name="addition_unseen",
            ),
        ]

    def __str__(self) -> str:
        return f"addition {self.pk}"
