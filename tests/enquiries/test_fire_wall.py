"""The MASH's fire wall: each partner agency sees only its own checks and its own
findings, by page, by API and by guessing ids; every agency's findings together are for
the MASH's screeners and managers only."""

from itertools import permutations

import pytest
from django.core.exceptions import PermissionDenied
from django.db.models import Max, Min
from django.test import Client
from django.urls import reverse

from openmash.accounts.models import Agency, ApiToken, User
from openmash.accounts.services import api_token_issue
from openmash.contacts.codes import LawfulBasis
from openmash.contacts.models import Contact
from openmash.contacts.services import contact_create
from openmash.core.audit import Actor
from openmash.enquiries.models import AgencyCheck, CheckFinding
from openmash.enquiries.selectors.checks import findings_for_contact
from openmash.enquiries.services.checks import FindingInput, check_record_findings
from openmash.enquiries.services.screening import contact_rate, contact_take, enquiry_open
from tests.conftest import signed_in
from tests.enquiries.conftest import check_for
from tests.factories import a_submission

PARTNERS = ("police", "health", "education", "probation")
PAIRS = list(permutations(PARTNERS, 2))


def secret(slug: str) -> str:
    """What only this agency knows."""
    return f"SECRET-FINDING-OF-{slug.upper()}"


def restricted(slug: str) -> str:
    return f"RESTRICTED-SOURCE-OF-{slug.upper()}"


def bearer(secret_value: str) -> Client:
    return Client(headers={"Authorization": f"Bearer {secret_value}"})


def check_page(check: AgencyCheck) -> str:
    return reverse("enquiries:check", kwargs={"check_id": check.pk})


@pytest.fixture
def tokens(partner_agencies: dict[str, Agency]) -> dict[str, tuple[ApiToken, str]]:
    return {
        slug: api_token_issue(
            agency=partner_agencies[slug], name=f"{slug} case system", issued_by="test"
        )
        for slug in PARTNERS
    }


def _rated_contact(referrer: User, screener: User, partners: dict[str, Agency]) -> Contact:
    contact, _ = contact_create(actor=Actor(user=referrer), submission=a_submission())
    contact_take(actor=Actor(user=screener), contact_id=contact.pk)
    contact_rate(actor=Actor(user=screener), contact_id=contact.pk, rag="red", rationale="Serious.")
    enquiry_open(
        actor=Actor(user=screener),
        contact_id=contact.pk,
        agency_ids=[partners[slug].pk for slug in PARTNERS],
    )
    contact.refresh_from_db()
    return contact


@pytest.fixture
def answered(
    school_referrer: User,
    screener: User,
    partner_agencies: dict[str, Agency],
    researchers: dict[str, User],
) -> Contact:
    """A contact every partner agency has answered, each with something only it knows."""
    contact = _rated_contact(school_referrer, screener, partner_agencies)
    people = list(contact.people.order_by("position"))
    for slug in PARTNERS:
        check_record_findings(
            actor=Actor(user=researchers[slug]),
            check_id=check_for(contact, slug).pk,
            findings=[
                FindingInput(
                    person_id=person.pk,
                    known=True,
                    summary=secret(slug),
                    lawful_basis=LawfulBasis.PUBLIC_TASK_SAFEGUARDING,
                    restricted_information=restricted(slug),
                )
                for person in people
            ],
        )
    contact.refresh_from_db()
    return contact


@pytest.fixture
def waiting(school_referrer: User, screener: User, partner_agencies: dict[str, Agency]) -> Contact:
    """A contact every partner agency still has to check."""
    return _rated_contact(school_referrer, screener, partner_agencies)


@pytest.mark.parametrize(("own", "other"), PAIRS, ids=[f"{a}-vs-{b}" for a, b in PAIRS])
def test_an_agency_cannot_see_or_answer_another_agencys_check(
    own: str,
    other: str,
    answered: Contact,
    waiting: Contact,
    researchers: dict[str, User],
    tokens: dict[str, tuple[ApiToken, str]],
) -> None:
    page = signed_in(researchers[own])
    api = bearer(tokens[own][1])
    theirs_answered = check_for(answered, other)
    theirs_waiting = check_for(waiting, other)

    # By page: not found, and nothing of theirs shown.
    for check in (theirs_answered, theirs_waiting):
        response = page.get(check_page(check))
        assert response.status_code == 404, (own, other, check.pk)
        assert secret(other).encode() not in response.content
        assert answered.reference.encode() not in response.content
        posted = page.post(check_page(check), {"findings-0-known": "no"})
        assert posted.status_code == 404
    # By API: not found, exactly as a check that does not exist.
    missing = api.get("/api/v1/checks/999999999")
    for check in (theirs_answered, theirs_waiting):
        response = api.get(f"/api/v1/checks/{check.pk}")
        assert response.status_code == 404
        assert response.json() == missing.json()
        assert secret(other) not in response.content.decode()
        posted = api.post(
            f"/api/v1/checks/{check.pk}/findings",
            {
                "findings": [
                    {"person_id": person.pk, "known": False, "lawful_basis": "consent"}
                    for person in waiting.people.all()
                ]
            },
            content_type="application/json",
        )
        assert posted.status_code == 404, posted.content
    theirs_waiting.refresh_from_db()
    assert theirs_waiting.is_open
    assert not CheckFinding.objects.filter(agency_check=theirs_waiting).exists()

    # Their own completed check shows their findings only.
    mine = page.get(check_page(check_for(answered, own))).content.decode()
    assert secret(own) in mine
    assert restricted(own) in mine
    assert secret(other) not in mine
    assert restricted(other) not in mine
    body = api.get(f"/api/v1/checks/{check_for(answered, own).pk}").content.decode()
    assert secret(own) in body
    assert secret(other) not in body

    # The queues list their own checks only.
    queue = page.get(reverse("enquiries:check-queue")).content.decode()
    assert check_page(check_for(waiting, own)) in queue
    assert check_page(theirs_waiting) not in queue
    done = page.get(reverse("enquiries:check-queue"), {"show": "completed"}).content.decode()
    assert check_page(check_for(answered, own)) in done
    assert check_page(theirs_answered) not in done
    listed = api.get("/api/v1/checks").json()["checks"]
    assert [check["id"] for check in listed] == [check_for(waiting, own).pk]


@pytest.mark.parametrize("own", PARTNERS)
def test_guessing_check_ids_finds_only_the_agencys_own(
    own: str,
    answered: Contact,
    waiting: Contact,
    researchers: dict[str, User],
    tokens: dict[str, tuple[ApiToken, str]],
) -> None:
    page = signed_in(researchers[own])
    api = bearer(tokens[own][1])
    mine = {check_for(answered, own).pk, check_for(waiting, own).pk}
    # Every check there is, and a few ids either side: on PostgreSQL ids do not start
    # again at 1 for each test, so counting up from 1 could mean thousands of requests
    # (and the API's rate limit).
    ids = AgencyCheck.objects.aggregate(lowest=Min("pk"), highest=Max("pk"))
    lowest, highest = ids["lowest"] or 1, ids["highest"] or 0

    reachable_page = set()
    reachable_api = set()
    for check_id in range(max(1, lowest - 3), highest + 4):
        if page.get(f"/mash/checks/{check_id}/").status_code == 200:
            reachable_page.add(check_id)
        response = api.get(f"/api/v1/checks/{check_id}")
        assert response.status_code in (200, 404), response.content
        if response.status_code == 200:
            reachable_api.add(check_id)

    assert reachable_page == mine
    assert reachable_api == mine


@pytest.mark.parametrize("own", PARTNERS)
def test_a_researcher_cannot_reach_every_agencys_findings(
    own: str,
    answered: Contact,
    researchers: dict[str, User],
    tokens: dict[str, tuple[ApiToken, str]],
) -> None:
    with pytest.raises(PermissionDenied):
        findings_for_contact(actor=Actor(user=researchers[own]), contact=answered)
    with pytest.raises(PermissionDenied):
        findings_for_contact(actor=Actor(token=tokens[own][0]), contact=answered)
    # Nor the contact itself, nor its outcome, through another agency's submission.
    page = signed_in(researchers[own])
    assert page.get(reverse("contacts:detail", args=[answered.reference])).status_code == 403
    api = bearer(tokens[own][1])
    assert api.get(f"/api/v1/contacts/{answered.pk}").status_code == 404
    assert api.get(f"/api/v1/contacts/{answered.pk}/outcome").status_code == 404


@pytest.mark.parametrize(
    "persona", ["early_help_coordinator", "school_referrer", "analyst", "auditor", "no_role"]
)
def test_no_one_outside_the_mash_reaches_the_findings(
    persona: str, personas: dict[str, User], answered: Contact
) -> None:
    with pytest.raises(PermissionDenied):
        findings_for_contact(actor=Actor(user=personas[persona]), contact=answered)


@pytest.mark.parametrize("persona", ["screener", "manager"])
def test_the_mash_sees_every_agencys_findings_and_the_read_is_recorded(
    persona: str, personas: dict[str, User], answered: Contact
) -> None:
    from openmash.core.models import AuditAction, AuditEvent

    checks = findings_for_contact(actor=Actor(user=personas[persona]), contact=answered)

    assert sorted(check.agency.slug for check in checks) == sorted(PARTNERS)
    for check in checks:
        assert {finding.summary for finding in check.findings.all()} == {secret(check.agency.slug)}
    reads = AuditEvent.objects.filter(
        action=AuditAction.READ, object_type="agency_check", actor_user=personas[persona]
    )
    assert sorted(int(event.object_id) for event in reads) == sorted(check.pk for check in checks)
    assert {event.contact_id for event in reads} == {answered.pk}
