"""The retention page (/governance/retention/): the schedule with its reasons, legal
holds, and the dry run of what would go today, for the information governance officer and
auditors; changing a period and placing or releasing a hold, with field-level errors."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from openmash.accounts.models import User
from openmash.contacts.models import Contact
from openmash.core.models import AuditEvent
from openmash.governance.models import LegalHold, RecordType, RetentionRule
from openmash.governance.schedule import DEFAULTS
from tests.conftest import signed_in
from tests.governance.conftest import RetentionHub

pytestmark = pytest.mark.django_db
PAGE = reverse("governance:retention")


def test_the_page_shows_the_schedule_with_its_reasons(ig_officer: User) -> None:
    page = signed_in(ig_officer).get(PAGE).content.decode()

    assert "Contacts that did not lead to an assessment or strategy discussion" in page
    assert "6 years" in page
    assert "6 years, and until the youngest child named is 25" in page
    assert "Limitation Act 1980" in page
    assert "OpenMASH&#x27;s default" in page


def test_the_dry_run_lists_contacts_by_reference_and_the_held(
    in_2019: RetentionHub, auditor: User
) -> None:
    # Seen from 2027: the page's dry run is of today, so move the 2019 contacts' clock on.
    Contact.objects.filter(closed_at__isnull=False).update(
        closed_at=timezone.now() - timedelta(days=8 * 365)
    )

    page = signed_in(auditor).get(PAGE).content.decode()

    assert in_2019.contacts["N"].reference in page
    assert "Held back" in page or "held back" in page
    assert "Legal hold" in page
    assert "Nina" not in page and "Hall" not in page
    # The auditor may look, not change.
    assert reverse("governance:retention-rule", args=["message"]) not in page
    assert reverse("governance:hold-place") not in page
    assert AuditEvent.objects.filter(object_type="retention_plan").exists()


def test_the_officer_changes_a_period(ig_officer: User) -> None:
    url = reverse("governance:retention-rule", args=[RecordType.MESSAGE])
    client = signed_in(ig_officer)
    assert "Two years after it was sent" in client.get(url).content.decode()

    response = client.post(
        url,
        {"keep_years": "3", "keep_months": "6", "active": "yes", "reason": "Our schedule 4.2"},
    )

    assert response.status_code == 303
    rule = RetentionRule.objects.get(record_type=RecordType.MESSAGE)
    assert (rule.keep_months, rule.reason, rule.updated_by) == (42, "Our schedule 4.2", ig_officer)
    assert "3 years and 6 months" in client.get(PAGE).content.decode()


@pytest.mark.parametrize(
    ("record_type", "data", "message"),
    [
        (
            "message",
            {"keep_years": "", "keep_months": "", "active": "yes", "reason": "x"},
            "Enter how long the records are kept",
        ),
        (
            "message",
            {"keep_years": "two", "keep_months": "0", "active": "yes", "reason": "x"},
            "Enter the years as a whole number",
        ),
        (
            "message",
            {"keep_years": "1", "keep_months": "12", "active": "yes", "reason": "x"},
            "Months must be from 0 to 11",
        ),
        (
            "message",
            {"keep_years": "2", "keep_months": "0", "active": "yes", "reason": ""},
            "Enter why the records are kept this long",
        ),
        ("message", {"keep_years": "2", "keep_months": "0", "reason": "x"}, "Select yes or no"),
        (
            "audit_event",
            {"keep_years": "0", "keep_months": "6", "active": "yes", "reason": "x"},
            "Audit events must be kept for at least a year",
        ),
        (
            "contact_assessment",
            {
                "keep_years": "6",
                "keep_months": "0",
                "keep_until_age": "200",
                "active": "yes",
                "reason": "x",
            },
            "Enter an age from 1 to 100",
        ),
    ],
)
def test_a_bad_period_says_what_to_fix_and_saves_nothing(
    ig_officer: User, record_type: str, data: dict[str, str], message: str
) -> None:
    response = signed_in(ig_officer).post(
        reverse("governance:retention-rule", args=[record_type]), data
    )

    assert response.status_code == 400
    assert message in response.content.decode()
    assert 'class="govuk-error-summary"' in response.content.decode()
    assert not RetentionRule.objects.exists()


def test_an_unknown_record_type_is_not_found(ig_officer: User) -> None:
    url = reverse("governance:retention-rule", args=["everything"])
    assert signed_in(ig_officer).get(url).status_code == 404


def test_placing_and_releasing_a_hold(in_2019: RetentionHub, ig_officer: User) -> None:
    client = signed_in(ig_officer)
    reference = in_2019.contacts["N"].reference

    placed = client.post(
        reverse("governance:hold-place"), {"reference": reference, "reason": "Complaint 12"}
    )

    assert placed.status_code == 303
    hold = LegalHold.objects.get(contact=in_2019.contacts["N"])
    assert reference in client.get(PAGE).content.decode()
    released = client.post(
        reverse("governance:hold-release", args=[hold.pk]), {"release_reason": "Closed"}
    )
    assert released.status_code == 303
    hold.refresh_from_db()
    assert (hold.released_by, hold.release_reason) == (ig_officer, "Closed")
    # A released hold cannot be released again.
    again = client.get(reverse("governance:hold-release", args=[hold.pk]))
    assert again.status_code == 404


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"reference": "", "reason": "x"}, "Enter the contact reference"),
        ({"reference": "MASH-2019-000001", "reason": " "}, "Enter why the contact is held"),
        ({"reference": "MASH-2000-000001", "reason": "x"}, "No contact has that reference"),
    ],
)
def test_a_bad_hold_says_what_to_fix(
    in_2019: RetentionHub, ig_officer: User, data: dict[str, str], message: str
) -> None:
    before = LegalHold.objects.count()
    response = signed_in(ig_officer).post(reverse("governance:hold-place"), data)

    assert response.status_code == 400
    assert message in response.content.decode()
    assert LegalHold.objects.count() == before


def test_the_defaults_have_a_reason_each() -> None:
    assert set(DEFAULTS) == set(RecordType.values)
    assert all(len(default.reason) > 80 for default in DEFAULTS.values())


def test_the_dry_run_page_reads_a_bounded_number_of_times(
    in_2019: RetentionHub, ig_officer: User, django_assert_max_num_queries: object
) -> None:
    client = signed_in(ig_officer)
    client.get(PAGE)
    for name in ("N", "H", "W"):
        Contact.objects.filter(pk=in_2019.pk(name)).update(
            closed_at=timezone.now() - timedelta(days=8 * 365)
        )
    with django_assert_max_num_queries(40):  # type: ignore[operator]
        assert client.get(PAGE).status_code == 200
