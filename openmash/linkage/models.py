"""Who is this child? The person index, agency index feeds, match suggestions and the
links people confirm (issue 4).

The index holds every person named in a contact and every person in an agency's index
feed, with the standardised fields the matcher compares (openmash.people.standardise)
and the blocking keys its candidate search uses through database indexes.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone

USER = settings.AUTH_USER_MODEL


class AgencyIndexSettings(models.Model):
    """How an agency shares its person index with the MASH."""

    agency = models.OneToOneField(
        "accounts.Agency", on_delete=models.CASCADE, related_name="index_settings"
    )
    # Otherwise "known to" flags from this agency's index are shown only to its own
    # researchers, never to MASH screeners.
    visible_to_mash_screeners = models.BooleanField(default=True)

    class Meta:
        verbose_name_plural = "agency index settings"

    def __str__(self) -> str:
        return f"index settings {self.pk}"


class IndexSource(models.TextChoices):
    CONTACT = "contact", "A person named in a contact"
    AGENCY = "agency", "An agency's index feed"


class IndexedPerson(models.Model):
    """One record of a person in the index, as its source gave it, standardised."""

    source = models.CharField(max_length=10, choices=IndexSource.choices)
    contact_person = models.OneToOneField(
        "contacts.ContactPerson",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="index_entry",
    )
    agency = models.ForeignKey(
        "accounts.Agency",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="indexed_people",
    )
    # The agency's own id for the record: re-imports replace by it.
    source_id = models.CharField(max_length=100, blank=True)
    # As given.
    given_names = models.CharField(max_length=200, blank=True)
    family_name = models.CharField(max_length=200, blank=True)
    other_names = models.CharField(max_length=500, blank=True)
    date_of_birth = models.DateField(null=True, blank=True)
    sex = models.CharField(max_length=1, blank=True)
    address = models.CharField(max_length=500, blank=True)
    postcode = models.CharField(max_length=10, blank=True)
    nhs_number = models.CharField(max_length=20, blank=True)
    upn = models.CharField(max_length=20, blank=True)
    # A short pointer to the agency's involvement, never the record itself.
    involvement = models.CharField(max_length=500, blank=True)
    # Standardised (openmash.people.standardise.person_standard) and blocking keys.
    given_std = models.CharField(max_length=200, blank=True)
    given_forms = models.JSONField(default=list, blank=True)
    family_std = models.CharField(max_length=200, blank=True)
    family_parts = models.JSONField(default=list, blank=True)
    family_sound = models.CharField(max_length=20, blank=True)
    birth_year = models.PositiveSmallIntegerField(null=True, blank=True)
    postcode_std = models.CharField(max_length=10, blank=True)
    postcode_outward = models.CharField(max_length=5, blank=True)
    nhs_valid = models.CharField(max_length=10, blank=True)
    upn_valid = models.CharField(max_length=13, blank=True)
    imported_at = models.DateTimeField(default=timezone.now)
    # When the agency's feed stopped holding the record (a "replace" import without it)
    # while a screener's confirmed link pointed at it: kept so the child's record still
    # shows it, never offered as a new match. Cleared if a later import brings it back.
    withdrawn_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["agency", "source_id"],
                condition=models.Q(source="agency"),
                name="one_index_record_per_agency_source_id",
            )
        ]
        indexes = [
            models.Index(fields=["nhs_valid"], name="index_nhs"),
            models.Index(fields=["upn_valid"], name="index_upn"),
            models.Index(fields=["date_of_birth"], name="index_dob"),
            models.Index(fields=["family_sound", "birth_year"], name="index_sound_year"),
            models.Index(fields=["family_std", "given_std"], name="index_names"),
            models.Index(fields=["postcode_std"], name="index_postcode"),
        ]

    def __str__(self) -> str:
        return f"indexed person {self.pk}"


class ImportMode(models.TextChoices):
    REPLACE = "replace", "Replace the agency's whole index"
    DELTA = "delta", "Add and update these records only"


class IndexImport(models.Model):
    """One upload of an agency's index feed: applied whole, or not at all."""

    agency = models.ForeignKey("accounts.Agency", on_delete=models.PROTECT, related_name="+")
    mode = models.CharField(max_length=10, choices=ImportMode.choices)
    file_name = models.CharField(max_length=200, blank=True)
    uploaded_by = models.ForeignKey(USER, on_delete=models.PROTECT, null=True, related_name="+")
    uploaded_by_token = models.ForeignKey(
        "accounts.ApiToken", on_delete=models.PROTECT, null=True, related_name="+"
    )
    uploaded_at = models.DateTimeField(default=timezone.now)
    rows = models.PositiveIntegerField(default=0)
    applied = models.BooleanField(default=False)
    # [{"row": 3, "field": "date_of_birth", "message": "..."}]: every bad row, with why.
    errors = models.JSONField(default=list, blank=True)
    # Problems that did not stop the import, in the same form as errors (no value from
    # the row, only its number): the first openmash.linkage.feeds.WARNINGS_KEPT only;
    # warning_counts counts them all by field ({"nhs_number": 3}), the rest included.
    warnings = models.JSONField(default=list, blank=True)
    warning_counts = models.JSONField(default=dict, blank=True)
    added = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    # Deleted from the index, with their match suggestions.
    removed = models.PositiveIntegerField(default=0)
    # Not in a "replace" file but kept, marked withdrawn, for a confirmed link.
    withdrawn = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-uploaded_at", "-id"]

    def __str__(self) -> str:
        return f"import {self.pk}"


class LinkState(models.TextChoices):
    SUGGESTED = "suggested", "Suggested"
    CONFIRMED = "confirmed", "Confirmed"
    REJECTED = "rejected", "Rejected"
    UNDONE = "undone", "Undone"


class PersonLink(models.Model):
    """A candidate match between a person in a contact and a record in the index, and
    what a person decided about it. Every confirm or reject is a labelled pair."""

    contact_person = models.ForeignKey(
        "contacts.ContactPerson", on_delete=models.CASCADE, related_name="links"
    )
    candidate = models.ForeignKey(IndexedPerson, on_delete=models.CASCADE, related_name="links")
    state = models.CharField(max_length=20, choices=LinkState.choices, default=LinkState.SUGGESTED)
    probability = models.FloatField()
    explanation = models.JSONField(default=list)
    model_version = models.CharField(max_length=40, blank=True)
    automatic = models.BooleanField(default=False)
    suggested_at = models.DateTimeField(default=timezone.now)
    decided_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    reason = models.TextField(blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["contact_person", "candidate"], name="one_link_per_pair"
            )
        ]
        indexes = [models.Index(fields=["state", "suggested_at"], name="link_state")]

    def __str__(self) -> str:
        return f"link {self.pk}"


class ConflictIdentifier(models.TextChoices):
    NHS_NUMBER = "nhs_number", "NHS number"
    UPN = "upn", "Unique pupil number"


class ConflictState(models.TextChoices):
    OPEN = "open", "Awaiting a screener"
    SAME_CHILD = "same_child", "Same child"
    DIFFERENT = "different", "Different children"
    # The records no longer share the identifier, or no longer disagree (a person's
    # details were corrected): nothing to decide.
    WITHDRAWN = "withdrawn", "No longer applies"


class WrongHolder(models.TextChoices):
    """For different children: which record holds the number in error."""

    CONTACT_PERSON = "contact_person", "The person in the contact"
    OTHER = "other", "The other record"


class IdentifierConflict(models.Model):
    """Two records sharing an NHS number or UPN whose names or dates of birth disagree
    beyond what a typo explains (openmash.linkage.conflict_rule): not the same child for
    anything until a screener decides (issue 11, item 1).

    One row per pair and identifier. For two records in contacts, `contact_person` is the
    later record (the higher id) and `other` the earlier one's index entry, so a pair is
    stored once whichever record is checked."""

    contact_person = models.ForeignKey(
        "contacts.ContactPerson", on_delete=models.CASCADE, related_name="identifier_conflicts"
    )
    other = models.ForeignKey(
        IndexedPerson, on_delete=models.CASCADE, related_name="identifier_conflicts"
    )
    # The other record's person, when it is a record in a contact (for the same-child
    # queries: other.contact_person, kept here so they need no join).
    other_contact_person = models.ForeignKey(
        "contacts.ContactPerson",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="identifier_conflicts_as_other",
    )
    identifier = models.CharField(max_length=20, choices=ConflictIdentifier.choices)
    value = models.CharField(max_length=20)
    # What disagrees: ["date_of_birth", "first_name"].
    disagreement = models.JSONField(default=list)
    state = models.CharField(
        max_length=20, choices=ConflictState.choices, default=ConflictState.OPEN
    )
    wrong_holder = models.CharField(max_length=20, choices=WrongHolder.choices, blank=True)
    reason = models.TextField(blank=True)
    decided_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    detected_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    # Every decision and undo, oldest first: {"state", "wrong_holder", "reason",
    # "by" (user id or null), "at" (ISO time)}.
    history = models.JSONField(default=list, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["contact_person", "other", "identifier"],
                name="one_conflict_per_pair_and_identifier",
            )
        ]
        indexes = [
            models.Index(fields=["identifier", "value"], name="conflict_value"),
            models.Index(fields=["state"], name="conflict_state"),
        ]

    def __str__(self) -> str:
        return f"identifier conflict {self.pk}"
