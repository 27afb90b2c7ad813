"""The contact_create service: what is stored, what is refused, and that nothing is half-saved."""

from datetime import date, datetime, timedelta
from typing import Any

import pytest
from django.db import connection, transaction
from django.test import override_settings
from django.utils import timezone
from django_tasks_db.models import DBTaskResult
from pytest_django import DjangoAssertNumQueries

from openmash.accounts.models import ApiToken, User
from openmash.area.calendar import LONDON
from openmash.contacts.codes import ConsentStatus, ContactState, PersonRole
from openmash.contacts.models import Contact, ContactDraft, ContactPerson, ReferenceSequence
from openmash.contacts.services import ContactInvalid, contact_create, contact_draft_save
from openmash.contacts.submission import ConcernDetails, ConsentDetails, ReferrerDetails
from openmash.core.audit import Actor, AuditActorMissing
from openmash.core.models import AuditEvent
from openmash.metrics.models import ContactFact
from tests.factories import a_child, a_parent, a_submission


def errors_for(user: User, **overrides: object) -> dict[str, str]:
    with pytest.raises(ContactInvalid) as raised:
        contact_create(actor=Actor(user=user), submission=a_submission(**overrides))
    return {error.field: error.message for error in raised.value.errors}


def test_it_records_a_contact_as_received(screener: User) -> None:
    contact, created = contact_create(actor=Actor(user=screener), submission=a_submission())

    assert created
    assert contact.state == ContactState.RECEIVED
    assert contact.reference == f"MASH-{timezone.localdate().year}-000001"
    assert [p.role for p in contact.people.all()] == [
        PersonRole.SUBJECT_CHILD,
        PersonRole.PARENT_CARER,
    ]
    assert sorted(contact.factor_codes) == ["16A", "4B"]
    child = contact.people.get(position=0)
    assert child.postcode == "DC1 4AB"
    assert child.nhs_number == "9434765919"
    assert contact.submitted_by_agency == screener.agency


def test_it_numbers_references_in_sequence(screener: User) -> None:
    first, _ = contact_create(actor=Actor(user=screener), submission=a_submission())
    second, _ = contact_create(actor=Actor(user=screener), submission=a_submission())
    assert int(second.reference[-6:]) == int(first.reference[-6:]) + 1


def test_it_keeps_the_years_last_number(screener: User) -> None:
    contact_create(actor=Actor(user=screener), submission=a_submission())
    last, _ = contact_create(actor=Actor(user=screener), submission=a_submission())
    year = timezone.localdate().year
    assert ReferenceSequence.objects.get(year=year).last_number == int(last.reference[-6:])


DATABASE_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


@override_settings(TASKS=DATABASE_TASKS)
def test_it_queues_matching_in_the_contacts_own_transaction(screener: User) -> None:
    contact, _ = contact_create(actor=Actor(user=screener), submission=a_submission())
    task = DBTaskResult.objects.get()
    assert task.task_path == "openmash.linkage.tasks.match_contact_people"
    assert task.args_kwargs["args"] == [contact.pk]


@override_settings(TASKS=DATABASE_TASKS)
def test_a_contact_rolled_back_leaves_no_matching_task(screener: User) -> None:
    with pytest.raises(RuntimeError), transaction.atomic():
        contact_create(actor=Actor(user=screener), submission=a_submission())
        raise RuntimeError("the request failed after the contact was written")
    assert not Contact.objects.exists()
    assert not DBTaskResult.objects.exists()


def test_it_writes_the_audit_event_with_the_contact(screener: User) -> None:
    contact, _ = contact_create(
        actor=Actor(user=screener, request_id="req-12345678"), submission=a_submission()
    )
    event = AuditEvent.objects.get(action="create", object_type="contact")
    assert event.object_id == str(contact.pk)
    assert event.actor_user == screener
    assert event.request_id == "req-12345678"


def test_it_refuses_without_an_actor(db: None) -> None:
    with pytest.raises(AuditActorMissing):
        contact_create(actor=Actor(), submission=a_submission())
    assert not Contact.objects.exists()


def test_it_saves_nothing_when_any_field_is_wrong(screener: User) -> None:
    errors = errors_for(screener, people=[a_child(), a_parent(nhs_number="9434765918")])
    assert "people[1].nhs_number" in errors
    assert not Contact.objects.exists()
    assert not ContactPerson.objects.exists()
    assert not AuditEvent.objects.filter(object_type="contact").exists()


@pytest.mark.parametrize(
    ("person", "field", "words"),
    [
        (a_child(nhs_number="12345"), "people[0].nhs_number", "10 digits"),
        (a_child(nhs_number="9434765918"), "people[0].nhs_number", "not valid"),
        (a_child(upn="A801200001001"), "people[0].upn", "check letter"),
        (
            # A week ahead: the cases are made when the tests are collected, and a run
            # can pass midnight before this one runs.
            a_child(date_of_birth=date.today() + timedelta(days=7)),
            "people[0].date_of_birth",
            "past",
        ),
        (a_child(date_of_birth=date(2000, 1, 1)), "people[0].date_of_birth", "under 18"),
        (a_child(date_of_birth=None), "people[0].date_of_birth", "estimated age"),
        (a_child(given_names="", family_name=""), "people[0].given_names", "first name"),
        (a_child(sex="X"), "people[0].sex", "male (M), female (F)"),
        (
            a_child(date_of_birth=None, expected_birth_date=date.today() - timedelta(days=3)),
            "people[0].expected_birth_date",
            "future",
        ),
        (a_child(date_of_birth=None, estimated_age=130), "people[0].estimated_age", "between"),
    ],
)
def test_it_names_the_field_and_how_to_fix_it(
    screener: User, person: object, field: str, words: str
) -> None:
    errors = errors_for(screener, people=[person, a_parent()])
    assert field in errors
    assert words in errors[field]


def test_it_rejects_a_bad_postcode(screener: User) -> None:
    child = a_child()
    child.address.postcode = "NOT A POSTCODE"
    assert "people[0].address.postcode" in errors_for(screener, people=[child])


def test_it_needs_at_least_one_child(screener: User) -> None:
    assert "people" in errors_for(screener, people=[a_parent()])
    assert "people" in errors_for(screener, people=[])


def test_it_accepts_an_unborn_child_with_an_expected_date(screener: User) -> None:
    unborn = a_child(
        given_names="Unborn",
        date_of_birth=None,
        sex="U",
        nhs_number="",
        expected_birth_date=date.today() + timedelta(weeks=10),
    )
    contact, _ = contact_create(
        actor=Actor(user=screener), submission=a_submission(people=[unborn, a_parent()])
    )
    assert contact.people.get(position=0).expected_birth_date is not None


def test_it_accepts_an_estimated_age(screener: User) -> None:
    child = a_child(date_of_birth=None, estimated_age=12)
    contact_create(actor=Actor(user=screener), submission=a_submission(people=[child]))
    assert ContactPerson.objects.get().estimated_age == 12


def test_it_rejects_codes_outside_the_national_lists(screener: User) -> None:
    errors = errors_for(
        screener,
        concerns=ConcernDetails(factor_codes=["99Z"], description="x", immediate_risk=False),
        referrer=ReferrerDetails(name="A", email="a@b.invalid", source_code="2Z"),
    )
    assert "concerns.factor_codes" in errors
    assert "referrer.source_code" in errors


def test_it_needs_a_reason_when_consent_was_not_given(screener: User) -> None:
    for status in (ConsentStatus.NOT_SOUGHT, ConsentStatus.REFUSED_OVERRIDDEN):
        errors = errors_for(
            screener, consent=ConsentDetails(status=status, lawful_basis="public_task_safeguarding")
        )
        assert "consent.reason" in errors


def test_it_needs_a_description_and_the_immediate_risk_answer(screener: User) -> None:
    errors = errors_for(screener, concerns=ConcernDetails(factor_codes=["16A"], description=" "))
    assert "concerns.description" in errors
    assert "concerns.immediate_risk" in errors


def test_it_records_an_anonymous_referrer_as_source_9(screener: User) -> None:
    contact, _ = contact_create(
        actor=Actor(user=screener),
        submission=a_submission(
            referrer=ReferrerDetails(anonymous=True, name="Should not be kept")
        ),
    )
    assert contact.referral_source == "9"
    assert contact.referrer_name == ""


def test_it_needs_a_reason_for_a_contact_received_earlier(screener: User) -> None:
    earlier = timezone.now() - timedelta(hours=3)
    assert "received_at_reason" in errors_for(screener, received_at=earlier)
    contact, _ = contact_create(
        actor=Actor(user=screener),
        submission=a_submission(
            received_at=earlier, received_at_reason="Phone call taken on the duty line"
        ),
    )
    assert contact.received_at == earlier


def test_it_refuses_a_received_time_in_the_future(screener: User) -> None:
    assert "received_at" in errors_for(screener, received_at=timezone.now() + timedelta(hours=1))


def test_it_deletes_the_submitters_draft_once_the_contact_is_made(screener: User) -> None:
    contact_draft_save(
        actor=Actor(user=screener), owner=screener, data={"concern_description": ["half typed"]}
    )
    contact_create(actor=Actor(user=screener), submission=a_submission())
    assert not ContactDraft.objects.filter(owner=screener).exists()


def test_it_refuses_text_longer_than_the_record_can_hold(screener: User) -> None:
    errors = errors_for(screener, people=[a_child(given_names="A" * 201)])
    assert errors["people[0].given_names"] == "Shorten this to 200 characters or fewer"


# A Wednesday morning, in working hours: no out-of-hours acknowledgement is written.
IN_HOURS = datetime(2026, 3, 4, 10, 0, tzinfo=LONDON)


def intake_queries(*, child_known: bool) -> int:
    """Per contact from a signed-in user, inside the caller's transaction (a savepoint at
    either end): the rating levels, the working hours and closure days (read once, for
    the deadline and the out-of-hours look-up), the contact, its people, their index
    records, the records sharing the child's NHS number (and, when another record holds
    it, the conflicts stored about them), its factors, the audit event, the draft
    cleared, the matching task, the indicator facts (one INSERT ... SELECT), the
    reference taken and written last (its row lock is held to the commit, so the later
    it is taken the less every other new contact waits: one statement on PostgreSQL,
    two elsewhere), and the emergency duty team looked up."""
    reference = 1 if connection.vendor == "postgresql" else 2
    return 15 + int(child_known) + reference


@override_settings(TASKS=DATABASE_TASKS)
@pytest.mark.parametrize("child_known", [False, True])
def test_it_records_a_contact_in_a_fixed_number_of_queries(
    screener: User, django_assert_num_queries: DjangoAssertNumQueries, child_known: bool
) -> None:
    if child_known:
        contact_create(actor=Actor(user=screener), submission=a_submission(), now=IN_HOURS)
    with django_assert_num_queries(intake_queries(child_known=child_known)):
        contact, created = contact_create(
            actor=Actor(user=screener), submission=a_submission(), now=IN_HOURS
        )
    assert created
    # Nothing was dropped to save the queries: the audit event, the matching task and
    # the facts are written with the contact.
    assert AuditEvent.objects.filter(object_type="contact", object_id=contact.pk).exists()
    assert DBTaskResult.objects.filter(args_kwargs__args=[contact.pk]).exists()
    fact = ContactFact.objects.get(contact=contact)
    assert fact.received_at == contact.received_at
    assert fact.deadline_at == contact.deadline_at
    year = timezone.localtime(contact.received_at).year
    number = ReferenceSequence.objects.get(year=year).last_number
    assert contact.reference == f"MASH-{year}-{number:06d}"
    assert Contact.objects.get(pk=contact.pk).reference == contact.reference


def test_a_reference_number_past_six_digits_is_written_whole(screener: User) -> None:
    year = timezone.localtime(IN_HOURS).year
    ReferenceSequence.objects.create(year=year, last_number=999_999)
    contact, _ = contact_create(actor=Actor(user=screener), submission=a_submission(), now=IN_HOURS)
    assert contact.reference == f"MASH-{year}-1000000"
    assert Contact.objects.get(pk=contact.pk).reference == contact.reference


# Two requests with one idempotency key racing: the second's look-up misses the first
# contact (not yet committed when it looked), and the unique constraint stops its insert.


def _race_lost(monkeypatch: pytest.MonkeyPatch) -> None:
    """The next look-up by idempotency key finds nothing, as the racing request's would."""
    from openmash.contacts import services

    real = services._contact_for_idempotency_key
    calls = {"n": 0}

    def first_misses(*args: Any, **kwargs: Any) -> Contact | None:
        calls["n"] += 1
        return None if calls["n"] == 1 else real(*args, **kwargs)

    monkeypatch.setattr(services, "_contact_for_idempotency_key", first_misses)


def _counts() -> tuple[int, ...]:
    return (
        Contact.objects.count(),
        ContactPerson.objects.count(),
        AuditEvent.objects.filter(object_type="contact").count(),
        DBTaskResult.objects.count(),
        ContactFact.objects.count(),
    )


@pytest.mark.django_db(transaction=True)
@override_settings(TASKS=DATABASE_TASKS)
def test_the_loser_of_an_idempotency_race_in_its_own_transaction_gets_the_first_contact(
    police_token: tuple[ApiToken, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    actor = Actor(token=police_token[0])
    first, created = contact_create(actor=actor, submission=a_submission(), idempotency_key="k1")
    assert created
    before = _counts()
    _race_lost(monkeypatch)
    assert not transaction.get_connection().in_atomic_block
    again, created = contact_create(actor=actor, submission=a_submission(), idempotency_key="k1")
    assert (again.pk, created) == (first.pk, False)
    assert again.reference == first.reference
    # The loser's whole transaction rolled back: nothing of it was kept.
    assert _counts() == before


@override_settings(TASKS=DATABASE_TASKS)
def test_the_loser_of_an_idempotency_race_inside_a_transaction_keeps_that_transaction(
    police_token: tuple[ApiToken, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    actor = Actor(token=police_token[0])
    first, _ = contact_create(actor=actor, submission=a_submission(), idempotency_key="k2")
    before = _counts()
    _race_lost(monkeypatch)
    with transaction.atomic():
        again, created = contact_create(
            actor=actor, submission=a_submission(), idempotency_key="k2"
        )
        # The caller's transaction is still usable: only the insert's savepoint rolled back.
        assert Contact.objects.filter(pk=first.pk).exists()
    assert (again.pk, created) == (first.pk, False)
    assert _counts() == before


@pytest.mark.django_db(transaction=True)
def test_a_race_lost_with_a_different_request_is_refused(
    police_token: tuple[ApiToken, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from openmash.contacts.services import IdempotencyKeyReused

    actor = Actor(token=police_token[0])
    contact_create(actor=actor, submission=a_submission(), idempotency_key="k3")
    _race_lost(monkeypatch)
    changed = a_submission(people=[a_child(given_names="Bella")])
    with pytest.raises(IdempotencyKeyReused):
        contact_create(actor=actor, submission=changed, idempotency_key="k3")
    assert Contact.objects.count() == 1
