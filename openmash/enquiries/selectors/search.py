"""Find a child: the search as the viewer may run it, with every search and every
result shown recorded in the audit log.

Who finds what (enquiries.find_child):
- MASH screeners and managers: any child named in a contact (the subject child or a
  sibling), and the index records of every agency that shares its index with the MASH
  (AgencyIndexSettings.visible_to_mash_screeners).
- An agency researcher: their own agency's index records, and only those children in
  contacts their agency has been asked to check on, the same children whose chronology
  they may already open (selectors/chronology.py). Never another agency's records, and
  no other contact (the fire wall).

What was typed is not written to the audit log (nor to any address or server log): the
search is recorded with the fields used and how many results it gave, and each result
shown is recorded as a read of that person's record, so a person's access log
(contacts.view_access_log) shows who found them, when and by which search.
"""

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db import transaction

from openmash.contacts.models import ContactPerson
from openmash.core.audit import Actor, audit_record, audit_record_many
from openmash.core.models import AuditAction
from openmash.enquiries.models import AgencyCheck
from openmash.linkage.models import IndexedPerson, IndexSource
from openmash.linkage.search import (
    Found,
    IndexScope,
    SearchTerms,
    agencies_hidden_from_mash,
    highest_probability,
    search_index,
)

# Results shown at most: a search that finds more is narrowed by typing more.
RESULTS_SHOWN = 25


@dataclass(frozen=True)
class ChildSearchResult:
    found: Found
    # A child named in a contact (with its contact), or an agency's index record (with
    # its agency): exactly one of the two.
    person: ContactPerson | None
    record: IndexedPerson | None


@dataclass(frozen=True)
class ChildSearch:
    results: list[ChildSearchResult]
    # A researcher's search: their agency's records and its checks' children only.
    agency_scoped: bool
    # The most the page shows; when reached there may be more.
    limit: int = RESULTS_SHOWN
    # The probability of a record agreeing exactly with everything typed
    # (openmash.linkage.search.highest_probability); None if nothing comparable was typed.
    highest: float | None = None

    @property
    def maybe_more(self) -> bool:
        return len(self.results) >= self.limit


def search_scope_for(actor: Actor) -> IndexScope:
    """The records this person's search covers; PermissionDenied without the permission."""
    user = actor.user
    if user is None or not user.has_perm("enquiries.find_child"):
        raise PermissionDenied
    if user.has_perm("enquiries.view_all_findings"):
        return IndexScope(every_contact=True, hidden_agency_ids=agencies_hidden_from_mash())
    if user.has_perm("enquiries.view_agency_checks") and user.agency_id is not None:
        return IndexScope(
            every_contact=False,
            contact_ids=AgencyCheck.objects.filter(agency_id=user.agency_id).values("contact_id"),
            agency_id=user.agency_id,
        )
    raise PermissionDenied


def child_search_for(
    *, actor: Actor, terms: SearchTerms, search_id: str, fields: list[str]
) -> ChildSearch:
    """Run the search for this viewer and record it, and each result shown, in the audit
    log (without what was typed). Queries: the scope's (one, for MASH staff), the
    search's (openmash.linkage.search), one for the people found in contacts, one for
    the agency records, and two to record it."""
    scope = search_scope_for(actor)
    found = search_index(terms, scope=scope, limit=RESULTS_SHOWN)
    person_ids = [item.contact_person_id for item in found if item.source == IndexSource.CONTACT]
    record_ids = [item.indexed_person_id for item in found if item.source == IndexSource.AGENCY]
    people = (
        ContactPerson.objects.select_related("contact").in_bulk(person_ids) if person_ids else {}
    )
    records = (
        IndexedPerson.objects.select_related("agency").in_bulk(record_ids) if record_ids else {}
    )
    results = []
    for item in found:
        person = people.get(item.contact_person_id) if item.contact_person_id else None
        record = records.get(item.indexed_person_id) if item.source == IndexSource.AGENCY else None
        if person is None and record is None:
            continue
        results.append(ChildSearchResult(found=item, person=person, record=record))
    # One commit for the search's audit rows, not one per statement.
    with transaction.atomic():
        _audit(actor, search_id, fields, scope, results)
    return ChildSearch(
        results=results,
        agency_scoped=not scope.every_contact,
        highest=highest_probability(terms),
    )


def _audit(
    actor: Actor,
    search_id: str,
    fields: list[str],
    scope: IndexScope,
    results: list[ChildSearchResult],
) -> None:
    audit_record(
        actor=actor,
        action=AuditAction.SEARCH,
        object_type="child_search",
        object_id=search_id,
        detail={
            "fields": fields,
            "results": len(results),
            "scope": "agency" if not scope.every_contact else "mash",
        },
    )
    shown = {"via": "find_a_child", "search": search_id}
    audit_record_many(
        actor=actor,
        action=AuditAction.LIST,
        object_type="person",
        objects=[
            (result.person.pk, result.person.contact_id)
            for result in results
            if result.person is not None
        ],
        detail=shown,
    )
    audit_record_many(
        actor=actor,
        action=AuditAction.LIST,
        object_type="indexed_person",
        objects=[(result.record.pk, None) for result in results if result.record is not None],
        detail=shown,
    )
