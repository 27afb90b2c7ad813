"""An agency's check queue and the check page where its researcher records findings."""

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from openmash.accounts.models import Agency, User
from openmash.contacts.codes import ContactState, LawfulBasis
from openmash.contacts.models import Contact
from openmash.contacts.services import contact_create
from openmash.core.audit import Actor
from openmash.core.models import AuditAction, AuditEvent
from openmash.core.time_text import duration_text, time_left_text, when_text
from openmash.enquiries.models import AgencyCheck, CheckFinding, CheckState
from openmash.enquiries.services.checks import FindingInput, check_record_findings, check_waive
from openmash.enquiries.services.screening import contact_rate, contact_take, enquiry_open
from tests.conftest import signed_in
from tests.enquiries.conftest import check_for, not_known
from tests.factories import a_child, a_submission

QUEUE = reverse("enquiries:check-queue")


def check_url(check: AgencyCheck) -> str:
    return reverse("enquiries:check", kwargs={"check_id": check.pk})


def findings_post(contact: Contact, **changes: Any) -> dict[str, str]:
    """A complete, valid form: every person not known, except as changed."""
    data: dict[str, str] = {}
    for index, _ in enumerate(contact.people.order_by("position")):
        prefix = f"findings-{index}-"
        data[prefix + "known"] = "no"
        data[prefix + "lawful_basis"] = LawfulBasis.PUBLIC_TASK_SAFEGUARDING
        data[prefix + "onward_sharing"] = "none"
    data.update(changes)
    return data


@pytest.fixture
def make_checked_contact(
    school_referrer: User, screener: User, partner_agencies: dict[str, Agency]
) -> Callable[..., Contact]:
    """A contact rated by the screener, with the named agencies asked to check."""

    def make(*slugs: str, rag: str = "amber", **submission: Any) -> Contact:
        contact, _ = contact_create(
            actor=Actor(user=school_referrer), submission=a_submission(**submission)
        )
        contact_take(actor=Actor(user=screener), contact_id=contact.pk)
        contact_rate(actor=Actor(user=screener), contact_id=contact.pk, rag=rag, rationale="Rated.")
        enquiry_open(
            actor=Actor(user=screener),
            contact_id=contact.pk,
            agency_ids=[partner_agencies[slug].pk for slug in slugs],
        )
        contact.refresh_from_db()
        return contact

    return make


# The queue


def test_it_lists_the_agencys_open_checks_due_first(
    make_checked_contact: Callable[..., Contact], researchers: dict[str, User]
) -> None:
    later = make_checked_contact("police", "health", rag="green")
    sooner = make_checked_contact("police", rag="red")
    health_only = make_checked_contact("health")

    response = signed_in(researchers["police"]).get(QUEUE)

    assert response.status_code == 200
    html = response.content.decode()
    assert html.index(sooner.reference) < html.index(later.reference)
    assert health_only.reference not in html
    assert "Amy Smith" in html  # the child's name
    assert "govuk-tag--red" in html  # the red RAG tag
    assert " left" in html


def test_it_flags_an_overdue_check(
    contact_with_checks: Contact, researchers: dict[str, User]
) -> None:
    check = check_for(contact_with_checks, "police")
    AgencyCheck.objects.filter(pk=check.pk).update(
        deadline_at=timezone.now() - timedelta(hours=2, minutes=5)
    )

    html = signed_in(researchers["police"]).get(QUEUE).content.decode()

    assert "Overdue by 2 hours 5 minutes" in html


def test_it_lists_completed_checks_apart(
    contact_with_checks: Contact, researchers: dict[str, User]
) -> None:
    check = check_for(contact_with_checks, "police")
    check_record_findings(
        actor=Actor(user=researchers["police"]),
        check_id=check.pk,
        findings=not_known(contact_with_checks),
    )
    client = signed_in(researchers["police"])

    to_do = client.get(QUEUE).content.decode()
    done = client.get(QUEUE, {"show": "completed"}).content.decode()

    assert contact_with_checks.reference not in to_do
    assert "There are no checks for your agency to do" in to_do
    assert contact_with_checks.reference in done
    assert "Completed" in done


def test_it_records_each_check_listed(
    contact_with_checks: Contact, researchers: dict[str, User]
) -> None:
    signed_in(researchers["health"]).get(QUEUE)

    event = AuditEvent.objects.get(action=AuditAction.LIST, object_type="agency_check")
    assert event.object_id == str(check_for(contact_with_checks, "health").pk)
    assert event.contact_id == contact_with_checks.pk
    assert event.actor_user == researchers["health"]


@pytest.mark.parametrize(
    "persona",
    ["screener", "manager", "early_help_coordinator", "school_referrer", "analyst", "no_role"],
)
def test_it_refuses_the_queue_to_anyone_but_a_researcher(
    persona: str, personas: dict[str, User], contact_with_checks: Contact
) -> None:
    check = check_for(contact_with_checks, "police")
    client = signed_in(personas[persona])

    assert client.get(QUEUE).status_code == 403
    assert client.get(check_url(check)).status_code == 403


def test_it_sends_an_anonymous_visitor_to_sign_in(contact_with_checks: Contact) -> None:
    response = Client().get(check_url(check_for(contact_with_checks, "police")))
    assert response.status_code == 302
    assert reverse("accounts:sign-in") in response["Location"]


def test_it_lists_checks_in_a_flat_number_of_queries(
    make_checked_contact: Callable[..., Contact],
    researchers: dict[str, User],
    django_assert_max_num_queries: Any,
) -> None:
    client = signed_in(researchers["police"])
    make_checked_contact("police")
    client.get(QUEUE)  # session and user loaded once
    with django_assert_max_num_queries(15) as one:
        assert client.get(QUEUE).status_code == 200
    for _ in range(29):
        make_checked_contact("police")

    with django_assert_max_num_queries(len(one.captured_queries)):
        response = client.get(QUEUE)

    assert response.content.decode().count("/mash/checks/") >= 30


# The check page


def test_it_shows_who_to_search_for_and_why(
    make_checked_contact: Callable[..., Contact], researchers: dict[str, User]
) -> None:
    contact = make_checked_contact(
        "police",
        people=[
            a_child(other_names="Aimee Smyth", upn="H801200001001"),
            a_submission().people[1],
        ],
    )

    response = signed_in(researchers["police"]).get(check_url(check_for(contact, "police")))

    assert response.status_code == 200
    html = response.content.decode()
    for text in (
        contact.reference,
        "Amy Smith",
        "Aimee Smyth",
        "Karen Smith",
        "943 476 5919",  # NHS number
        "H801200001001",  # UPN
        "DC1 4AB",
        "1 High Street",
        "Child the contact is about",
        "Neglect",  # a concern's label
        "Amy arrives hungry",
        "Amber",
        "Findings due",
    ):
        assert text in html, text
    assert html.count('class="govuk-fieldset app-person"') == 2
    event = AuditEvent.objects.get(action=AuditAction.READ, object_type="agency_check")
    assert event.contact_id == contact.pk


@pytest.mark.parametrize(
    ("slug", "basis"),
    [
        ("police", LawfulBasis.LAW_ENFORCEMENT_SAFEGUARDING),
        ("health", LawfulBasis.PUBLIC_TASK_SAFEGUARDING),
    ],
)
def test_it_suggests_the_agencys_usual_lawful_basis(
    slug: str, basis: str, contact_with_checks: Contact, researchers: dict[str, User]
) -> None:
    html = (
        signed_in(researchers[slug])
        .get(check_url(check_for(contact_with_checks, slug)))
        .content.decode()
    )
    assert f'name="findings-0-lawful_basis" type="radio" value="{basis}" checked' in html


def test_it_records_findings_and_completes_the_check(
    contact_with_checks: Contact, researchers: dict[str, User]
) -> None:
    check = check_for(contact_with_checks, "police")
    data = findings_post(
        contact_with_checks,
        **{
            "findings-0-known": "no",
            "findings-1-known": "yes",
            "findings-1-summary": "Two domestic incidents at the address in 2025.",
            "findings-1-risk_indicators": "Partner has a history of violence.",
            "findings-1-last_involvement_on_day": "3",
            "findings-1-last_involvement_on_month": "2",
            "findings-1-last_involvement_on_year": "2025",
            "findings-1-lawful_basis": LawfulBasis.LAW_ENFORCEMENT_SAFEGUARDING,
            "findings-1-restricted_information": "The informant is a neighbour.",
            "findings-1-summary_restricted": "on",
        },
    )
    client = signed_in(researchers["police"])

    response = client.post(check_url(check), data)

    assert response.status_code == 302
    assert response["Location"] == QUEUE
    check.refresh_from_db()
    assert check.state == CheckState.COMPLETED
    assert check.completed_by == researchers["police"]
    child, parent = CheckFinding.objects.filter(agency_check=check).order_by("person__position")
    assert (child.known, child.summary) == (False, "")
    assert parent.known is True
    assert parent.summary == "Two domestic incidents at the address in 2025."
    assert parent.risk_indicators == "Partner has a history of violence."
    assert parent.last_involvement_on is not None
    assert parent.last_involvement_on.isoformat() == "2025-02-03"
    assert parent.lawful_basis == LawfulBasis.LAW_ENFORCEMENT_SAFEGUARDING
    assert parent.restricted_information == "The informant is a neighbour."
    assert parent.summary_restricted is True
    banner = client.get(QUEUE).content.decode()
    assert f"Findings recorded for {contact_with_checks.reference}" in banner


def test_it_keeps_what_was_typed_and_saves_nothing_when_findings_are_incomplete(
    contact_with_checks: Contact, researchers: dict[str, User]
) -> None:
    check = check_for(contact_with_checks, "police")
    data = findings_post(
        contact_with_checks,
        **{
            "findings-0-known": "yes",
            "findings-0-summary": "",
            "findings-0-risk_indicators": "Carries a knife.",
            "findings-0-restricted_information": "Source: school nurse.",
            "findings-1-known": "",
        },
    )

    response = signed_in(researchers["police"]).post(check_url(check), data)

    assert response.status_code == 400
    html = response.content.decode()
    assert "There is a problem" in html
    assert 'href="#id_findings-0-summary">Enter a summary of what your agency knows' in html
    second = contact_with_checks.people.order_by("position")[1]
    assert (
        f'href="#id_findings-1-known_0">Select whether {second.given_names} '
        f"{second.family_name} is known to your agency" in html
    )
    assert "govuk-textarea--error" in html
    # What was typed is still there.
    assert "Carries a knife." in html
    assert "Source: school nurse." in html
    assert 'name="findings-0-known" type="radio" value="yes" checked' in html
    assert html.startswith("<!DOCTYPE html>") and "<title>Error:" in html
    check.refresh_from_db()
    assert check.state == CheckState.REQUESTED
    assert not CheckFinding.objects.exists()


def test_it_refuses_a_date_that_is_not_real_and_keeps_it(
    contact_with_checks: Contact, researchers: dict[str, User]
) -> None:
    check = check_for(contact_with_checks, "police")
    data = findings_post(
        contact_with_checks,
        **{
            "findings-0-known": "yes",
            "findings-0-summary": "Known for missing episodes.",
            "findings-0-last_involvement_on_day": "31",
            "findings-0-last_involvement_on_month": "2",
            "findings-0-last_involvement_on_year": "2025",
        },
    )

    response = signed_in(researchers["police"]).post(check_url(check), data)

    assert response.status_code == 400
    html = response.content.decode()
    assert "Date of most recent involvement must be a real date" in html
    assert 'href="#id_findings-0-last_involvement_on_0"' in html
    assert 'value="31"' in html
    assert "Known for missing episodes." in html
    assert not CheckFinding.objects.exists()


def test_it_refuses_a_date_in_the_future(
    contact_with_checks: Contact, researchers: dict[str, User]
) -> None:
    check = check_for(contact_with_checks, "health")
    tomorrow = timezone.localdate() + timedelta(days=1)
    data = findings_post(
        contact_with_checks,
        **{
            "findings-0-known": "yes",
            "findings-0-summary": "Seen in A&E.",
            "findings-0-last_involvement_on_day": str(tomorrow.day),
            "findings-0-last_involvement_on_month": str(tomorrow.month),
            "findings-0-last_involvement_on_year": str(tomorrow.year),
        },
    )

    response = signed_in(researchers["health"]).post(check_url(check), data)

    assert response.status_code == 400
    assert "must be today or in the past" in response.content.decode()
    assert not CheckFinding.objects.exists()


def test_completing_the_last_check_sends_the_contact_for_a_decision(
    contact_with_checks: Contact, researchers: dict[str, User]
) -> None:
    for slug in ("police", "health"):
        check_record_findings(
            actor=Actor(user=researchers[slug]),
            check_id=check_for(contact_with_checks, slug).pk,
            findings=not_known(contact_with_checks),
        )
    contact_with_checks.refresh_from_db()
    assert contact_with_checks.state == ContactState.CHECKS_IN_PROGRESS

    response = signed_in(researchers["education"]).post(
        check_url(check_for(contact_with_checks, "education")), findings_post(contact_with_checks)
    )

    assert response.status_code == 302
    contact_with_checks.refresh_from_db()
    assert contact_with_checks.state == ContactState.AWAITING_DECISION


def test_it_will_not_answer_a_completed_check_twice(
    contact_with_checks: Contact, researchers: dict[str, User]
) -> None:
    check = check_for(contact_with_checks, "police")
    client = signed_in(researchers["police"])
    assert client.post(check_url(check), findings_post(contact_with_checks)).status_code == 302

    again = client.post(
        check_url(check),
        findings_post(
            contact_with_checks, **{"findings-0-known": "yes", "findings-0-summary": "Second go."}
        ),
    )

    assert again.status_code == 409
    html = again.content.decode()
    assert "This check is completed: findings can no longer be recorded." in html
    assert "Second go." not in html
    assert CheckFinding.objects.filter(agency_check=check).count() == 2
    assert not CheckFinding.objects.filter(summary="Second go.").exists()


def test_it_tells_the_second_of_two_researchers_answering_at_once(
    contact_with_checks: Contact, researchers: dict[str, User], make_user: Callable[..., User]
) -> None:
    from openmash.core.roles import Role

    colleague = make_user("police_colleague", Role.AGENCY_RESEARCHER, "police")
    check = check_for(contact_with_checks, "police")
    # The colleague opened the page first, then the researcher answered it.
    colleague_client = signed_in(colleague)
    assert colleague_client.get(check_url(check)).status_code == 200
    check_record_findings(
        actor=Actor(user=researchers["police"]),
        check_id=check.pk,
        findings=not_known(contact_with_checks),
    )

    response = colleague_client.post(check_url(check), findings_post(contact_with_checks))

    assert response.status_code == 409
    assert "findings can no longer be recorded" in response.content.decode()
    assert CheckFinding.objects.filter(agency_check=check).count() == 2


def test_it_shows_a_completed_check_read_only(
    contact_with_checks: Contact, researchers: dict[str, User]
) -> None:
    check = check_for(contact_with_checks, "health")
    people = list(contact_with_checks.people.order_by("position"))
    check_record_findings(
        actor=Actor(user=researchers["health"]),
        check_id=check.pk,
        findings=[
            FindingInput(
                person_id=people[0].pk,
                known=True,
                summary="Missed three health visitor appointments.",
                lawful_basis=LawfulBasis.PUBLIC_TASK_SAFEGUARDING,
                restricted_information="Mother's new address: 4 Elm Close.",
                summary_restricted=True,
            ),
            FindingInput(
                person_id=people[1].pk,
                known=False,
                lawful_basis=LawfulBasis.PUBLIC_TASK_SAFEGUARDING,
            ),
        ],
    )

    response = signed_in(researchers["health"]).get(check_url(check))

    html = response.content.decode()
    assert response.status_code == 200
    assert '<form method="post" action="/mash/checks/' not in html
    assert "Missed three health visitor appointments." in html
    assert "Mother&#x27;s new address: 4 Elm Close." in html
    assert "Known to Health" in html
    assert "Not to be disclosed outside the MASH" in html


def test_it_tells_the_researcher_a_waived_check_is_no_longer_needed(
    contact_with_checks: Contact, researchers: dict[str, User], screener: User
) -> None:
    check = check_for(contact_with_checks, "education")
    check_waive(actor=Actor(user=screener), check_id=check.pk, reason="Child not of school age.")

    html = signed_in(researchers["education"]).get(check_url(check)).content.decode()

    assert "The MASH no longer needs this check" in html
    assert "Child not of school age." not in html  # the MASH's reasons stay in the MASH


@pytest.mark.parametrize("check_id", [999999, 2**63 - 1, 2**63, 10**30])
def test_it_answers_a_check_that_does_not_exist_with_not_found(
    check_id: int, researchers: dict[str, User]
) -> None:
    response = signed_in(researchers["police"]).get(f"/mash/checks/{check_id}/")
    assert response.status_code == 404


# What the page says about time


def test_it_says_how_long_is_left_or_how_overdue() -> None:
    now = timezone.now()
    assert time_left_text(now + timedelta(hours=3, minutes=10), now) == "3 hours 10 minutes left"
    assert time_left_text(now - timedelta(hours=2), now) == "Overdue by 2 hours"
    assert time_left_text(now + timedelta(days=1, hours=1), now) == "1 day 1 hour left"
    assert duration_text(timedelta(minutes=1)) == "1 minute"
    assert duration_text(timedelta(seconds=20)) == "less than a minute"


def test_it_shows_times_in_london_time() -> None:
    from datetime import UTC, datetime

    assert when_text(datetime(2026, 3, 3, 14, 5, tzinfo=UTC)) == "14:05 on 3 March 2026"
    assert when_text(datetime(2026, 7, 3, 14, 5, tzinfo=UTC)) == "15:05 on 3 July 2026"


def test_a_summary_typed_for_someone_not_known_is_an_error_not_thrown_away(
    contact_with_checks: Contact, researchers: dict[str, User]
) -> None:
    check = check_for(contact_with_checks, "police")
    data = findings_post(
        contact_with_checks,
        **{
            "findings-0-known": "no",
            "findings-0-summary": "Seen at a party once",
            "findings-0-risk_indicators": "",
        },
    )

    response = signed_in(researchers["police"]).post(check_url(check), data)

    assert response.status_code == 400
    html = response.content.decode()
    assert "is not known to your agency but wrote a summary" in html
    assert "Seen at a party once" in html
    check.refresh_from_db()
    assert check.state == CheckState.REQUESTED


def test_it_shows_the_forms_errors_and_the_rules_errors_in_one_round(
    contact_with_checks: Contact, researchers: dict[str, User]
) -> None:
    """A date that is not real (the form's own check) and a known person with no summary
    (the service's rule): both at once, not the second only once the first is put right
    (found by the QA pass)."""
    check = check_for(contact_with_checks, "police")
    data = findings_post(
        contact_with_checks,
        **{
            "findings-0-known": "yes",
            "findings-0-summary": "",
            "findings-0-last_involvement_on_day": "31",
            "findings-0-last_involvement_on_month": "2",
            "findings-0-last_involvement_on_year": "2025",
        },
    )

    response = signed_in(researchers["police"]).post(check_url(check), data)

    assert response.status_code == 400
    html = response.content.decode()
    assert 'href="#id_findings-0-last_involvement_on_0"' in html
    assert 'href="#id_findings-0-summary">Enter a summary of what your agency knows' in html
    assert html.count("Date of most recent involvement must be a real date") == 2  # summary, field
    assert not CheckFinding.objects.exists()
