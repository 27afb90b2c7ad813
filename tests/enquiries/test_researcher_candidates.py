"""Agency researchers see the candidates from their own agency's index on their check."""

from django.urls import reverse

from openmash.accounts.models import Agency, User
from openmash.contacts.models import Contact
from openmash.linkage.index import standard_fields
from openmash.linkage.models import IndexedPerson, IndexSource, PersonLink
from tests.conftest import signed_in
from tests.enquiries.conftest import check_for


def agency_record(agency: Agency, source_id: str, involvement: str) -> IndexedPerson:
    fields = standard_fields(given_names="Amy", family_name="Smith")
    return IndexedPerson.objects.create(
        source=IndexSource.AGENCY,
        agency=agency,
        source_id=source_id,
        given_names="Amy",
        family_name="Smith",
        involvement=involvement,
        **fields,
    )


def test_a_researcher_sees_only_their_own_agencys_candidates(
    contact_with_checks: Contact,
    researchers: dict[str, User],
    agencies: dict[str, Agency],
) -> None:
    child = contact_with_checks.people.order_by("position").first()
    for slug, involvement in (("police", "2 call-outs, latest 2026-10-01"), ("health", "A&E 2025")):
        PersonLink.objects.create(
            contact_person=child,
            candidate=agency_record(agencies[slug], f"{slug}-17", involvement),
            probability=0.87,
            explanation=["same first name"],
        )
    police_check = check_for(contact_with_checks, "police")
    page = signed_in(researchers["police"]).get(reverse("enquiries:check", args=[police_check.pk]))
    text = page.content.decode()
    assert "Possible records in your agency's index" in text
    assert "police-17: 2 call-outs, latest 2026-10-01 (87% likely" in text
    assert "health-17" not in text and "A&amp;E 2025" not in text
