"""Correcting a person's details on a contact (issue 11, item 2): names, date of birth,
sex, address and identifiers, and the statutory characteristics (ethnicity, first
language, disability, school URN, GP practice: issue 13, item 8), with a reason.

The person named in the contact is corrected in place, so everything worked out from
their details follows at once: which other contacts are the same child
(openmash.linkage.same_child), cumulative concern (openmash.enquiries.concern), the
chronology and the extracts all read the person's fields when they are shown; nothing
derived from them is stored, apart from the person's index record and the matcher's
suggestions, which `_after_correction` brings up to date in the same transaction.

The values before the correction are kept in a PersonCorrection row (the person's
"Corrected details" history, shown on the screening page and the chronology). The audit
event names the fields that changed and the history row; like every audit event, it
holds no personal data (core.models.AuditEvent.detail).

Who may correct (rule enquiries.correct_person): a MASH screener or manager; while the
contact is being screened, only the screener who took it or a manager, as for every
screening action. A decided or closed contact may still be corrected: a wrong NHS number
on a closed contact still joins another child's history.
"""

from collections.abc import Mapping
from copy import copy
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from openmash.contacts.models import ContactPerson, PersonCorrection
from openmash.contacts.submission import Address, PersonDetails, person_errors
from openmash.core.audit import Actor
from openmash.core.metric_facts import contacts_changed
from openmash.core.models import AuditAction
from openmash.enquiries.services.guards import (
    EnquiryInvalid,
    _audit,
    _locked_contact,
    _raise_if,
    _require,
    _text,
)
from openmash.linkage.conflicts import conflicts_detect_for_person, contacts_naming_the_same
from openmash.linkage.index import index_entry_refresh
from openmash.linkage.links import LinksRefreshed, links_refresh_for_person
from openmash.people.identifiers import (
    gp_practice_normal,
    nhs_number_digits,
    postcode_normal,
    school_urn_normal,
    upn_normal,
)

# What may be corrected, as ContactPerson names its fields (and the form too).
CORRECTABLE = (
    "given_names",
    "family_name",
    "other_names",
    "date_of_birth",
    "estimated_age",
    "expected_birth_date",
    "sex",
    "address_line1",
    "address_line2",
    "town",
    "postcode",
    "nhs_number",
    "upn",
    "ethnicity",
    "first_language",
    "disability",
    "school_urn",
    "gp_practice",
)
_TEXT = {
    "given_names",
    "family_name",
    "other_names",
    "address_line1",
    "address_line2",
    "town",
    "first_language",
}
# Where intake's rules (contacts.submission) name a field that ContactPerson names otherwise.
_FROM_INTAKE_NAMES = {
    "address.line1": "address_line1",
    "address.line2": "address_line2",
    "address.town": "town",
    "address.postcode": "postcode",
}
REASON_LIMIT = 5000


@dataclass(frozen=True)
class Corrected:
    """What a correction did: its history row and what matching again changed."""

    correction: PersonCorrection
    links: LinksRefreshed


def _normal(field: str, value: Any) -> Any:
    """A value as intake stores it (contacts.services.contact_create)."""
    if field in _TEXT or field in ("sex", "ethnicity", "disability"):
        return (value or "").strip()
    if field == "postcode":
        return postcode_normal(value) if (value or "").strip() else ""
    if field == "nhs_number":
        return nhs_number_digits(value or "")
    if field == "upn":
        return upn_normal(value or "")
    if field == "school_urn":
        return school_urn_normal(value or "")
    if field == "gp_practice":
        return gp_practice_normal(value or "")
    return value


def _details(person: ContactPerson, values: Mapping[str, Any]) -> PersonDetails:
    return PersonDetails(
        role=person.role,
        given_names=values["given_names"],
        family_name=values["family_name"],
        other_names=values["other_names"],
        date_of_birth=values["date_of_birth"],
        estimated_age=values["estimated_age"],
        expected_birth_date=values["expected_birth_date"],
        sex=values["sex"],
        address=Address(
            line1=values["address_line1"],
            line2=values["address_line2"],
            town=values["town"],
            postcode=values["postcode"],
        ),
        nhs_number=values["nhs_number"],
        upn=values["upn"],
        ethnicity=values["ethnicity"],
        first_language=values["first_language"],
        disability=values["disability"],
        school_urn=values["school_urn"],
        gp_practice=values["gp_practice"],
    )


def _stored(value: Any) -> Any:
    """A value as the history keeps it in JSON: dates as ISO dates, nothing as ""."""
    if value is None:
        return ""
    if isinstance(value, date):
        return value.isoformat()
    return value


# Intake's words for "before/after now", said of the day the contact was received.
_AS_RECEIVED = {
    "Date of birth must be today or in the past": (
        "Date of birth must be on or before {day}, when the contact was received"
    ),
    "Expected date must be today or in the future; if the baby is born, give the date of birth": (
        "Expected date must be on or after {day}, when the contact was received"
    ),
    "Expected date must be within the next 42 weeks": (
        "Expected date must be within 42 weeks of {day}, when the contact was received"
    ),
}


def _validated(
    person: ContactPerson, changes: Mapping[str, Any], reason: str
) -> tuple[dict[str, Any], str]:
    """(the fields that change, with their new values; the reason), or EnquiryInvalid
    with every problem, each by the field it is about, by intake's own rules.

    The rules are applied as on the day the contact was received: a correction says what
    should have been recorded then, so a child who has turned 18 since, or an unborn
    baby's expected date that has passed, is still the person that contact was about."""
    unknown = set(changes) - set(CORRECTABLE)
    if unknown:
        raise ValueError(f"Not a detail that can be corrected: {sorted(unknown)}")
    errors: dict[str, str] = {}
    reason = _text(errors, "reason", reason, "Enter why the details are being corrected")
    if "reason" not in errors and len(reason) > REASON_LIMIT:
        errors["reason"] = f"Enter {REASON_LIMIT:,} characters or fewer"
    current = {name: getattr(person, name) for name in CORRECTABLE}
    wanted = {**current, **{name: _normal(name, value) for name, value in changes.items()}}
    received = timezone.localtime(person.contact.received_at)
    day = f"{received.day} {received:%B %Y}"
    for error in person_errors(_details(person, wanted), now=received):
        name = _FROM_INTAKE_NAMES.get(error.field, error.field)
        if name in CORRECTABLE:
            message = _AS_RECEIVED.get(error.message, error.message).format(day=day)
            errors.setdefault(name, message)
    changed = {name: wanted[name] for name in CORRECTABLE if wanted[name] != current[name]}
    if not changed and not errors:
        errors["details"] = "Change at least one detail, or cancel if nothing is wrong"
    _raise_if(errors)
    return changed, reason


@transaction.atomic
def person_correct(
    *,
    actor: Actor,
    person_id: int,
    changes: Mapping[str, Any],
    reason: str,
    now: datetime | None = None,
) -> Corrected:
    """Correct the details of a person named in a contact, with the reason.

    `changes` maps any of CORRECTABLE to its value as it should be (a field not given
    keeps its value); each is checked by the same rules as at intake and stored as intake
    stores it (NHS number as ten digits, postcode in capitals with one space).

    One transaction: checks the actor may correct the contact's people
    (enquiries.correct_person: PermissionDenied), validates (EnquiryInvalid with every
    field's error, and nothing written), keeps the previous values in a PersonCorrection,
    updates the person, refreshes their index record and matches them again
    (`_after_correction`), and records the audit event. Suggestions a person has decided
    are never changed by a correction."""
    now = now or timezone.now()
    found = ContactPerson.objects.filter(pk=person_id).values_list("contact_id", flat=True).first()
    if found is None:
        raise EnquiryInvalid({"person": "This person is no longer on the contact"})
    contact = _locked_contact(found)
    user = _require(actor, "enquiries.correct_person", contact)
    person = ContactPerson.objects.select_for_update().select_related("contact").get(pk=person_id)
    changed, reason = _validated(person, changes, reason)
    correction = PersonCorrection.objects.create(
        person=person,
        changes={
            name: {"from": _stored(getattr(person, name)), "to": _stored(value)}
            for name, value in changed.items()
        },
        reason=reason,
        corrected_by=user,
        corrected_at=now,
    )
    before = copy(person)
    for name, value in changed.items():
        setattr(person, name, value)
    person.save(update_fields=list(changed))
    links = _after_correction(person, actor=actor, now=now)
    # Who the person is the same child as changes the re-referral figures of the
    # contacts naming them before and after (openmash.core.metric_facts).
    contacts_changed({contact.pk} | contacts_naming_the_same([before, person]))
    _audit(
        actor,
        AuditAction.UPDATE,
        "contact_person",
        person,
        contact,
        correction=correction.pk,
        fields=sorted(changed),
    )
    return Corrected(correction=correction, links=links)


def _after_correction(person: ContactPerson, *, actor: Actor, now: datetime) -> LinksRefreshed:
    """Everything worked out from the person's details that is stored, brought up to date
    in the correction's transaction: their index record (standardised fields and blocking
    keys), then matching again (suggestions awaiting a decision re-scored or withdrawn,
    new ones made; decided pairs kept). What is worked out when it is shown (same-child
    history, cumulative concern, chronology, extracts) needs nothing here, except that
    identifier conflicts are checked again first (openmash.linkage.conflicts: new ones
    found, open ones that no longer apply withdrawn), so matching respects them."""
    index_entry_refresh(person)
    conflicts_detect_for_person(person, now=now)
    return links_refresh_for_person(actor=actor, person=person, now=now)
