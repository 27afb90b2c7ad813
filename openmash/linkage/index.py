"""Putting people into the index: the standardised fields and blocking keys of a record.

Every way into the index (a contact's people, an agency's feed) goes through
`standard_fields`, so the matcher always compares like with like.
"""

from datetime import date
from typing import Any

import jellyfish

from openmash.contacts.models import ContactPerson
from openmash.linkage.conflicts import conflicts_detect_for_records
from openmash.linkage.models import IndexedPerson, IndexSource
from openmash.people.standardise import person_standard


def standard_fields(
    *,
    given_names: str,
    family_name: str,
    other_names: str = "",
    date_of_birth: date | None = None,
    sex: str = "",
    postcode: str = "",
    nhs_number: str = "",
    upn: str = "",
) -> dict[str, Any]:
    """The IndexedPerson fields derived from what was given."""
    person = person_standard(
        given_names=given_names,
        family_name=family_name,
        other_names=other_names,
        date_of_birth=date_of_birth,
        sex=sex,
        postcode=postcode,
        nhs_number=nhs_number,
        upn=upn,
    )
    return {
        "given_std": person.given_name,
        "given_forms": list(person.given_name_forms),
        "family_std": person.family_name,
        "family_parts": list(person.family_name_parts),
        "family_sound": jellyfish.soundex(person.family_name) if person.family_name else "",
        "birth_year": date_of_birth.year if date_of_birth else None,
        "postcode_std": person.postcode,
        "postcode_outward": person.postcode_outward,
        "nhs_valid": person.nhs_number,
        "upn_valid": person.upn,
    }


def index_entry_for_contact_person(person: ContactPerson) -> IndexedPerson:
    """The (unsaved) index record of a person named in a contact."""
    return IndexedPerson(
        source=IndexSource.CONTACT,
        contact_person=person,
        given_names=person.given_names,
        family_name=person.family_name,
        other_names=person.other_names,
        date_of_birth=person.date_of_birth,
        sex=person.sex,
        address=", ".join(
            part for part in (person.address_line1, person.address_line2, person.town) if part
        ),
        postcode=person.postcode,
        nhs_number=person.nhs_number,
        upn=person.upn,
        **standard_fields(
            given_names=person.given_names,
            family_name=person.family_name,
            other_names=person.other_names,
            date_of_birth=person.date_of_birth,
            sex=person.sex,
            postcode=person.postcode,
            nhs_number=person.nhs_number,
            upn=person.upn,
        ),
    )


def index_contact_people(people: list[ContactPerson]) -> list[IndexedPerson]:
    """Add a contact's people to the index (one insert), and record any identifier
    conflict with a record already there (openmash.linkage.conflicts: a few queries
    when someone has an NHS number or UPN); returns the new records."""
    records = IndexedPerson.objects.bulk_create(
        index_entry_for_contact_person(person) for person in people
    )
    conflicts_detect_for_records(records)
    return records


# The fields of a contact person's index record that follow the person (all but its
# identity, its source and when it was imported).
_FOLLOWS_THE_PERSON = (
    "given_names",
    "family_name",
    "other_names",
    "date_of_birth",
    "sex",
    "address",
    "postcode",
    "nhs_number",
    "upn",
    "given_std",
    "given_forms",
    "family_std",
    "family_parts",
    "family_sound",
    "birth_year",
    "postcode_std",
    "postcode_outward",
    "nhs_valid",
    "upn_valid",
)


def index_entry_refresh(person: ContactPerson) -> IndexedPerson:
    """Bring the index record of a person named in a contact up to date with the person
    as they are now (after a correction): the fields as given and the standardised fields
    and blocking keys, by the same `standard_fields` as at intake. Makes the record if the
    person has none (one written before the index existed)."""
    fresh = index_entry_for_contact_person(person)
    entry = IndexedPerson.objects.filter(contact_person=person).first()
    if entry is None:
        fresh.save()
        return fresh
    for name in _FOLLOWS_THE_PERSON:
        setattr(entry, name, getattr(fresh, name))
    entry.save(update_fields=list(_FOLLOWS_THE_PERSON))
    return entry
