"""How a correction of a person's details reads on a page: who, when, each detail from
what to what, and why. The screening page lists them under the person; the chronology
shows each as an entry on the child's timeline."""

from dataclasses import dataclass
from datetime import date
from typing import Any

from openmash.contacts.codes import Disability, Ethnicity, Sex
from openmash.contacts.models import PersonCorrection
from openmash.core.time_text import when_text
from openmash.people.identifiers import nhs_number_display

# Each detail as the correction form names it.
FIELD_LABELS = {
    "given_names": "First names",
    "family_name": "Last name",
    "other_names": "Other names or aliases",
    "date_of_birth": "Date of birth",
    "estimated_age": "Estimated age",
    "expected_birth_date": "Expected date of birth",
    "sex": "Sex",
    "address_line1": "Address line 1",
    "address_line2": "Address line 2",
    "town": "Town or city",
    "postcode": "Postcode",
    "nhs_number": "NHS number",
    "upn": "Unique pupil number",
    "ethnicity": "Ethnicity",
    "first_language": "First language",
    "disability": "Disability",
    "school_urn": "School or setting URN",
    "gp_practice": "GP practice code",
}
NOT_GIVEN = "Not given"


def value_text(field: str, value: Any) -> str:
    """A value as the history keeps it (see contacts.models.PersonCorrection), in words."""
    if value in ("", None):
        return NOT_GIVEN
    if field in ("date_of_birth", "expected_birth_date"):
        try:
            day = date.fromisoformat(str(value))
        except ValueError:
            return str(value)
        return f"{day.day} {day:%B %Y}"
    if field == "nhs_number":
        return nhs_number_display(str(value))
    if field == "sex":
        return str(Sex(value).label) if value in Sex.values else str(value)
    if field == "ethnicity" and value in Ethnicity.values:
        return f"{Ethnicity(value).label} ({value})"
    if field == "disability" and value in Disability.values:
        return str(Disability(value).label)
    if field == "estimated_age":
        return f"{value} years"
    return str(value)


@dataclass(frozen=True)
class ChangedDetail:
    label: str
    before: str
    after: str


@dataclass(frozen=True)
class CorrectionRow:
    correction: PersonCorrection

    @property
    def by(self) -> str:
        user = self.correction.corrected_by
        return user.display_name if user is not None else "Unknown"

    @property
    def at(self) -> str:
        return when_text(self.correction.corrected_at)

    @property
    def reason(self) -> str:
        return self.correction.reason

    @property
    def changes(self) -> list[ChangedDetail]:
        """Each changed detail, in the order the form asks for them."""
        changes = self.correction.changes
        return [
            ChangedDetail(
                label,
                value_text(field, changes[field].get("from")),
                value_text(field, changes[field].get("to")),
            )
            for field, label in FIELD_LABELS.items()
            if field in changes
        ]

    @property
    def fields(self) -> str:
        """The details corrected, in words: "Date of birth and NHS number"."""
        labels = [change.label for change in self.changes]
        rest = [in_a_sentence(label) for label in labels[1:]]
        if not rest:
            return "".join(labels)
        return ", ".join([labels[0], *rest[:-1]]) + f" and {rest[-1]}"


def in_a_sentence(label: str) -> str:
    """ "Postcode" -> "postcode", but "NHS number" stays as it is."""
    return label if label[1:2].isupper() else label[:1].lower() + label[1:]
