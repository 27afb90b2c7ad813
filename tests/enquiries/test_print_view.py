"""A contact's print view (issue 13, item 7): the MASH record on paper, for whoever may
open the screening page, with every agency's findings as the decision page shows them,
the decision, the MASH summary and each child's chronology; the read is audited, and the
area's protective marking (set in admin) is at the top and bottom of the page."""

from dataclasses import replace

import pytest
from django.urls import reverse

from openmash.accounts.models import Agency, User
from openmash.area.models import DEFAULT_PROTECTIVE_MARKING, ProtectiveMarking
from openmash.contacts.models import Contact
from openmash.contacts.services import contact_create
from openmash.core.audit import Actor
from openmash.core.models import AuditAction, AuditEvent
from openmash.enquiries.services.checks import FindingInput, check_record_findings
from openmash.enquiries.services.decisions import decision_record
from openmash.enquiries.services.screening import contact_rate, contact_take, enquiry_open
from tests.conftest import signed_in
from tests.factories import a_decision, a_submission

pytestmark = pytest.mark.django_db

POLICE_FOUND = "Two call-outs to the home in 2026 for shouting; no arrests."
KEPT_BACK = "An informant named the new partner of the mother."
SUMMARY = "Amy needs help with mornings and school attendance."


@pytest.fixture
def decided(personas: dict[str, User], agencies: dict[str, Agency]) -> Contact:
    """A contact about Amy and her mother: police found Amy known (with restricted
    information), and the manager decided on early help with a MASH summary."""
    contact, _ = contact_create(
        actor=Actor(user=personas["school_referrer"]), submission=a_submission()
    )
    screener = Actor(user=personas["screener"])
    contact_take(actor=screener, contact_id=contact.pk)
    contact_rate(actor=screener, contact_id=contact.pk, rag="amber", rationale="Neglect.")
    (check,) = enquiry_open(
        actor=screener, contact_id=contact.pk, agency_ids=[agencies["police"].pk]
    )
    amy, mum = contact.people.order_by("position")
    check_record_findings(
        actor=Actor(user=personas["police_researcher"]),
        check_id=check.pk,
        findings=[
            FindingInput(
                person_id=amy.pk,
                known=True,
                summary=POLICE_FOUND,
                restricted_information=KEPT_BACK,
                lawful_basis="public_task_safeguarding",
            ),
            FindingInput(person_id=mum.pk, known=False, lawful_basis="public_task_safeguarding"),
        ],
    )
    decision_record(
        actor=Actor(user=personas["manager"]),
        contact_id=contact.pk,
        data=replace(a_decision("early_help", "Eastbridge early help hub"), summary=SUMMARY),
    )
    return contact


def _print_url(contact: Contact) -> str:
    return reverse("enquiries:contact-print", kwargs={"reference": contact.reference})


@pytest.mark.parametrize("persona", ["screener", "manager"])
def test_it_prints_the_whole_record_for_the_mash(
    decided: Contact, personas: dict[str, User], persona: str
) -> None:
    response = signed_in(personas[persona]).get(_print_url(decided))

    assert response.status_code == 200
    html = response.content.decode()
    for shown in (
        decided.reference,
        "Amy Smith",  # the people
        POLICE_FOUND,  # every agency's findings, as on the decision page
        KEPT_BACK,
        "Step down to early help",  # the decision
        "The MASH summary",
        SUMMARY,
        'data-testid="printed-chronology"',
        f"Printed by {personas[persona].display_name}",
    ):
        assert shown in html, shown
    # The marking at the top and the bottom of every printed page, and on screen
    assert html.count(f">{DEFAULT_PROTECTIVE_MARKING}<") == 4


def test_it_records_the_print_and_every_read_behind_it(
    decided: Contact, personas: dict[str, User]
) -> None:
    screener = personas["screener"]
    before = AuditEvent.objects.count()

    signed_in(screener).get(_print_url(decided))

    events = AuditEvent.objects.order_by("id")[before:]
    reads = {
        (event.object_type, event.detail.get("view", event.detail.get("via"))) for event in events
    }
    assert all(event.actor_user_id == screener.pk for event in events)
    assert all(event.action == AuditAction.READ for event in events)
    assert ("contact", "print") in reads
    assert ("agency_check", "findings") in reads
    assert ("contact", "child_chronology") in reads


@pytest.mark.parametrize(
    "persona",
    ["police_researcher", "early_help_coordinator", "school_referrer", "analyst", "auditor"],
)
def test_it_refuses_everyone_who_may_not_open_the_screening_page(
    decided: Contact, personas: dict[str, User], persona: str
) -> None:
    before = AuditEvent.objects.filter(action=AuditAction.READ).count()

    response = signed_in(personas[persona]).get(_print_url(decided))

    assert response.status_code == 403
    assert POLICE_FOUND not in response.content.decode()
    assert AuditEvent.objects.filter(action=AuditAction.READ).count() == before


def test_it_answers_a_reference_that_matches_no_contact_with_not_found(
    personas: dict[str, User],
) -> None:
    response = signed_in(personas["screener"]).get(
        reverse("enquiries:contact-print", kwargs={"reference": "MASH-2026-999999"})
    )

    assert response.status_code == 404


def test_the_screening_page_links_to_the_print_view(
    decided: Contact, personas: dict[str, User]
) -> None:
    html = (
        signed_in(personas["screener"])
        .get(reverse("enquiries:screening", kwargs={"reference": decided.reference}))
        .content.decode()
    )

    assert f'href="{_print_url(decided)}"' in html


def test_it_prints_the_marking_the_administrator_sets(
    decided: Contact, personas: dict[str, User]
) -> None:
    marking = ProtectiveMarking.objects.get()
    admin = signed_in(personas["administrator"])

    # Blank is refused, with the reason at the field
    url = reverse("admin:area_protectivemarking_change", args=[marking.pk])
    refused = admin.post(url, {"marking": "   ", "_save": "Save"})
    assert refused.status_code == 200
    assert "Enter the protective marking" in refused.content.decode()

    response = admin.post(url, {"marking": "OFFICIAL-SENSITIVE  PERSONAL", "_save": "Save"})

    assert response.status_code == 302
    assert ProtectiveMarking.objects.get().marking == "OFFICIAL-SENSITIVE PERSONAL"
    assert AuditEvent.objects.filter(
        object_type="protective_marking", action=AuditAction.UPDATE
    ).exists()
    html = signed_in(personas["screener"]).get(_print_url(decided)).content.decode()
    assert html.count(">OFFICIAL-SENSITIVE PERSONAL<") == 4
    # Any other page prints it too (hidden on screen, shown in print by openmash.css)
    queue = signed_in(personas["screener"]).get(reverse("enquiries:screening-queue"))
    assert queue.content.decode().count(">OFFICIAL-SENSITIVE PERSONAL<") == 2


def test_the_area_has_one_marking_that_cannot_be_deleted(personas: dict[str, User]) -> None:
    admin = signed_in(personas["administrator"])

    assert admin.get(reverse("admin:area_protectivemarking_add")).status_code == 403
    marking = ProtectiveMarking.objects.get()
    assert (
        admin.get(reverse("admin:area_protectivemarking_delete", args=[marking.pk])).status_code
        == 403
    )
