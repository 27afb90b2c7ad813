"""Reads for correcting a person: the person whose details a screener is correcting, and
the corrections already made to the people shown on a page."""

from collections import defaultdict
from collections.abc import Iterable

from django.core.exceptions import PermissionDenied
from django.http import Http404

from openmash.contacts.models import ContactPerson, PersonCorrection
from openmash.core.audit import Actor, audit_record
from openmash.core.models import AuditAction

# The largest id a database row can have: larger ones are not looked up at all.
MAX_ID = 2**63 - 1


def person_for_correction(*, actor: Actor, reference: str, person_id: int) -> ContactPerson:
    """The person named in the contact `reference`, for the correction form (with their
    contact); records the read. PermissionDenied for anyone who may not correct people's
    details at all; Http404 if the contact does not name that person. Whether the actor
    may correct this contact's people now is the service's to say (and the page's to
    show)."""
    user = actor.user
    if user is None or not user.has_perm("enquiries.correct_person"):
        raise PermissionDenied
    if "\x00" in reference or not 0 < person_id <= MAX_ID:
        raise Http404
    person = (
        ContactPerson.objects.select_related("contact", "contact__assigned_to")
        .filter(pk=person_id, contact__reference=reference)
        .first()
    )
    if person is None:
        raise Http404
    audit_record(
        actor=actor,
        action=AuditAction.READ,
        object_type="contact_person",
        object_id=person.pk,
        contact_id=person.contact_id,
        detail={"via": "correct_person"},
    )
    return person


def corrections_of(person_ids: Iterable[int]) -> dict[int, list[PersonCorrection]]:
    """Every correction of these people, newest first, keyed by person id: one query.
    Not scoped or audited: callers are selectors that already check the viewer may see
    these people and record the read."""
    found: dict[int, list[PersonCorrection]] = defaultdict(list)
    ids = sorted(set(person_ids))
    if not ids:
        return {}
    for correction in PersonCorrection.objects.filter(person_id__in=ids).select_related(
        "corrected_by"
    ):
        found[correction.person_id].append(correction)
    return dict(found)
