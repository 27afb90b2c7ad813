"""The retention job (issue 14, item 8): the dry run lists what is due and changes nothing;
the real run anonymises or deletes exactly that, with an audit event each, and never a
contact under a legal hold, still open, handed on and not accepted, or in a strategy
discussion in progress. The 2019 hub is described in tests/governance/conftest.py."""

from datetime import date, datetime
from io import StringIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from openmash.accounts.models import User
from openmash.contacts.models import Contact, ContactPerson
from openmash.core.attachments import attachment_storage
from openmash.core.audit import Actor
from openmash.core.models import AuditAction, AuditEvent
from openmash.enquiries.models import Attachment, Decision, Message, MessageKind
from openmash.enquiries.services.attachments import attachment_add
from openmash.governance.models import Disposal, LegalHold, RecordType, RetentionRun
from openmash.governance.retention import HELD_HAND_ON, HELD_LEGAL, retention_apply, retention_plan
from openmash.governance.schedule import birthday, months_before
from openmash.governance.services import (
    GovernanceRefused,
    RuleInput,
    legal_hold_place,
    legal_hold_release,
    retention_rule_set,
)
from openmash.linkage.feeds import feed_from_records
from openmash.linkage.models import IndexedPerson, LinkState, PersonLink
from openmash.linkage.services import index_import_apply
from tests.attachment_files import PDF
from tests.governance.conftest import IN_2027, RetentionHub, at

pytestmark = pytest.mark.django_db


def due(plan_of: RetentionHub, record_type: str, now: datetime = IN_2027) -> list[str]:
    return [item.label for item in retention_plan(now=now).due[record_type]]


def test_months_are_counted_on_the_calendar() -> None:
    assert months_before(datetime(2027, 3, 31, 9), 1) == datetime(2027, 2, 28, 9)
    assert months_before(datetime(2027, 1, 15), 72) == datetime(2021, 1, 15)
    assert months_before(datetime(2021, 1, 15), -72) == datetime(2027, 1, 15)
    assert birthday(date(2012, 2, 29), 25) == date(2037, 2, 28)
    assert birthday(date(2019, 1, 10), -6) == date(2013, 1, 10)


def test_the_dry_run_lists_what_is_due_and_changes_nothing(in_2019: RetentionHub) -> None:
    plan = retention_plan(now=IN_2027)

    # Only Nina's contact went no further and is free to go; Holly's is held, Will's is
    # waiting for early help, Rosa's is recent, Owen's is open, Alfie's led to an assessment.
    assert [item.label for item in plan.due[RecordType.CONTACT_NO_ASSESSMENT]] == [
        in_2019.contacts["N"].reference
    ]
    assert plan.due[RecordType.CONTACT_ASSESSMENT] == []
    held = {item.reference: item.reasons for item in plan.held}
    assert held == {
        in_2019.contacts["H"].reference: (HELD_LEGAL,),
        in_2019.contacts["W"].reference: (HELD_HAND_ON,),
    }
    item = plan.due[RecordType.CONTACT_NO_ASSESSMENT][0]
    assert item.due_at == at(2025, 1, 10, 11)  # six years after it was closed
    assert item.action == "anonymised"
    assert not Disposal.objects.exists()
    assert ContactPerson.objects.filter(given_names="Nina").exists()


def test_the_command_prints_the_dry_run(in_2019: RetentionHub) -> None:
    out = StringIO()
    call_command("apply_retention", "--dry-run", "--as-of", "2027-01-04", stdout=out)

    text = out.getvalue()
    assert "Dry run on 04 January 2027: nothing is changed." in text
    assert f"anonymised contact {in_2019.pk('N')}: {in_2019.contacts['N'].reference}" in text
    assert f"Held back: {in_2019.contacts['H'].reference} (Legal hold)" in text
    assert "Nina" not in text and "Hall" not in text
    assert not Disposal.objects.exists()


def test_as_of_is_only_for_a_dry_run(in_2019: RetentionHub) -> None:
    with pytest.raises(CommandError, match="--dry-run"):
        call_command("apply_retention", "--as-of", "2040-01-01", stdout=StringIO())


def test_it_anonymises_what_is_due_with_an_audit_event(in_2019: RetentionHub) -> None:
    nina = in_2019.contacts["N"]
    decision_before = Decision.objects.get(contact=nina)

    outcome = retention_apply(now=IN_2027)

    assert outcome.done == {RecordType.CONTACT_NO_ASSESSMENT: 1}
    nina.refresh_from_db()
    assert nina.concern_description == ""
    assert nina.referrer_name == nina.referrer_email == nina.referrer_phone == ""
    people = list(nina.people.order_by("position"))
    assert [(p.given_names, p.family_name, p.date_of_birth) for p in people] == [
        ("", "", None),
        ("", "", None),
    ]
    # What the figures count stays: the child's age at the contact, sex, the outcome.
    assert people[0].estimated_age == 6 and people[0].sex == "F"
    decision = Decision.objects.get(contact=nina)
    assert decision.outcome_id == decision_before.outcome_id
    assert decision.primary_need == "N9" and decision.rationale == ""
    assert nina.state == "closed" and nina.closed_at == at(2019, 1, 10, 11)
    assert not IndexedPerson.objects.filter(contact_person__contact=nina).exists()
    assert all(
        not (m.to_email or m.subject or m.body) for m in Message.objects.filter(contact=nina)
    )
    # Recorded: a disposal and an audit event that holds no personal data.
    disposal = Disposal.objects.get()
    assert (disposal.object_type, disposal.contact_id) == ("contact", nina.pk)
    event = AuditEvent.objects.get(
        object_type="contact", action=AuditAction.UPDATE, detail__system="retention"
    )
    assert event.contact_id == nina.pk
    assert event.detail["retention"] == RecordType.CONTACT_NO_ASSESSMENT
    assert event.detail["system"] == "retention"
    assert "Nina" not in str(event.detail)
    assert RetentionRun.objects.get().counts == {RecordType.CONTACT_NO_ASSESSMENT: 1}
    # Everything else is as it was.
    for name, given in (("H", "Holly"), ("W", "Will"), ("R", "Rosa"), ("O", "Owen")):
        assert ContactPerson.objects.filter(contact=in_2019.contacts[name], given_names=given)


def test_a_second_run_does_nothing_again(in_2019: RetentionHub) -> None:
    retention_apply(now=IN_2027)

    again = retention_apply(now=IN_2027)

    assert again.done == {}
    assert Disposal.objects.count() == 1
    assert retention_plan(now=IN_2027).total_due == 0


def test_a_contact_that_led_to_an_assessment_waits_for_the_childs_25th_birthday(
    in_2019: RetentionHub,
) -> None:
    alfie = in_2019.contacts["A"]
    day_before = datetime(2037, 2, 28, 12, tzinfo=IN_2027.tzinfo)

    assert due(in_2019, RecordType.CONTACT_ASSESSMENT, now=day_before) == []
    later = retention_plan(now=datetime(2037, 3, 1, 12, tzinfo=IN_2027.tzinfo))
    [item] = later.due[RecordType.CONTACT_ASSESSMENT]
    assert item.label == alfie.reference
    assert timezone.localdate(item.due_at) == date(2037, 3, 1)


def test_releasing_a_hold_lets_the_contact_go(in_2019: RetentionHub, ig_officer: User) -> None:
    hold = LegalHold.objects.get(contact=in_2019.contacts["H"])
    legal_hold_release(actor=Actor(user=ig_officer), hold_id=hold.pk, reason="Claim settled")

    labels = due(in_2019, RecordType.CONTACT_NO_ASSESSMENT)

    assert in_2019.contacts["H"].reference in labels
    event = AuditEvent.objects.get(object_type="legal_hold", action=AuditAction.UPDATE)
    assert event.contact_id == in_2019.pk("H")


def test_a_hold_keeps_a_contact_that_was_due(in_2019: RetentionHub, ig_officer: User) -> None:
    legal_hold_place(
        actor=Actor(user=ig_officer),
        reference=in_2019.contacts["N"].reference.lower(),
        reason="Complaint 88",
    )

    outcome = retention_apply(now=IN_2027)

    assert RecordType.CONTACT_NO_ASSESSMENT not in outcome.done
    assert ContactPerson.objects.filter(given_names="Nina").exists()


def test_a_hold_is_refused_for_an_unknown_or_anonymised_contact(
    in_2019: RetentionHub, ig_officer: User
) -> None:
    actor = Actor(user=ig_officer)
    with pytest.raises(GovernanceRefused, match="No contact has that reference"):
        legal_hold_place(actor=actor, reference="MASH-2019-999999", reason="x")
    retention_apply(now=IN_2027)
    with pytest.raises(GovernanceRefused, match="anonymised"):
        legal_hold_place(actor=actor, reference=in_2019.contacts["N"].reference, reason="x")
    with pytest.raises(GovernanceRefused, match="already held"):
        legal_hold_place(actor=actor, reference=in_2019.contacts["H"].reference, reason="x")


def test_a_strategy_discussion_in_progress_holds_its_contact(in_2019: RetentionHub) -> None:
    from openmash.strategy.services import discussion_raise

    discussion_raise(
        actor=in_2019.as_("manager"),
        contact_id=in_2019.pk("N"),
        reason="New information from police",
    )

    # Now a contact that led to a strategy discussion: kept until Nina is 25 (2037), and
    # after that still held while the discussion is not concluded.
    plan = retention_plan(now=datetime(2040, 1, 1, tzinfo=IN_2027.tzinfo))

    assert in_2019.contacts["N"].reference not in [
        item.label for item in plan.due[RecordType.CONTACT_ASSESSMENT]
    ]
    assert [item.reasons for item in plan.held if item.contact_id == in_2019.pk("N")] == [
        ("Strategy discussion in progress",)
    ]


def test_emails_are_anonymised_after_two_years_while_their_contact_is_kept(
    in_2019: RetentionHub,
) -> None:
    alfie = in_2019.contacts["A"]
    message = Message.objects.create(
        contact=alfie,
        kind=MessageKind.OUTCOME_FEEDBACK,
        to_email="jo.bennett@example.invalid",
        subject="Outcome of your contact",
        body="Alfie will have an assessment.",
        status="sent",
        sent_at=at(2019, 1, 11, 13),
    )
    Message.objects.filter(pk=message.pk).update(created_at=at(2019, 1, 11, 13))

    outcome = retention_apply(now=IN_2027)

    assert outcome.done[RecordType.MESSAGE] == 1
    message.refresh_from_db()
    assert (message.to_email, message.subject, message.body) == ("", "", "")
    assert message.kind == MessageKind.OUTCOME_FEEDBACK and message.sent_at is not None
    assert ContactPerson.objects.filter(contact=alfie, given_names="Alfie").exists()
    assert AuditEvent.objects.filter(
        object_type="message", object_id=str(message.pk), action=AuditAction.UPDATE
    ).exists()


def test_files_go_after_six_years_while_their_contact_is_kept(
    in_2019: RetentionHub, screener: User, django_capture_on_commit_callbacks: object
) -> None:
    alfie = in_2019.contacts["A"]
    attachment = attachment_add(
        actor=Actor(user=screener),
        contact_id=alfie.pk,
        upload=SimpleUploadedFile("body-map.pdf", PDF, content_type="application/pdf"),
    )
    stored = attachment.stored_name
    assert attachment_storage().exists(stored)

    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        outcome = retention_apply(now=IN_2027)

    assert outcome.done[RecordType.ATTACHMENT] == 1
    assert not Attachment.objects.filter(pk=attachment.pk).exists()
    assert not attachment_storage().exists(stored)
    assert ContactPerson.objects.filter(contact=alfie, given_names="Alfie").exists()


def test_index_records_go_a_year_after_the_agency_stopped_sending_them(
    in_2019: RetentionHub, agencies: dict[str, object], ig_officer: User
) -> None:
    police = agencies["police"]
    records = [
        {"source_id": f"PN-{n}", "given_names": "Sam", "family_name": f"Dee{n}", "sex": "M"}
        for n in range(3)
    ]
    index_import_apply(
        actor=in_2019.as_("administrator"),
        agency=police,  # type: ignore[arg-type]
        mode="replace",
        rows=feed_from_records(records),
        now=at(2019, 2, 1),
    )
    IndexedPerson.objects.filter(agency=police).update(imported_at=at(2019, 2, 1))
    # A screener confirmed one as Holly (held): it stays.
    kept = IndexedPerson.objects.get(agency=police, source_id="PN-0")
    PersonLink.objects.create(
        contact_person=in_2019.child("H"),
        candidate=kept,
        state=LinkState.CONFIRMED,
        probability=0.99,
    )

    outcome = retention_apply(now=IN_2027)

    assert outcome.done[RecordType.INDEX_RECORD] == 2
    assert list(
        IndexedPerson.objects.filter(agency=police).values_list("source_id", flat=True)
    ) == ["PN-0"]
    assert (
        AuditEvent.objects.filter(object_type="indexed_person", action=AuditAction.DELETE).count()
        == 2
    )


def test_a_type_switched_off_is_kept(in_2019: RetentionHub, ig_officer: User) -> None:
    retention_rule_set(
        actor=Actor(user=ig_officer),
        record_type=RecordType.CONTACT_NO_ASSESSMENT,
        data=RuleInput(keep_months=72, keep_until_age=None, active=False, reason="Inquiry"),
    )

    outcome = retention_apply(now=IN_2027)

    assert outcome.done == {}
    assert ContactPerson.objects.filter(given_names="Nina").exists()


def test_the_area_sets_its_own_period(in_2019: RetentionHub, ig_officer: User) -> None:
    rule = retention_rule_set(
        actor=Actor(user=ig_officer),
        record_type=RecordType.CONTACT_NO_ASSESSMENT,
        data=RuleInput(keep_months=120, keep_until_age=None, active=True, reason="Our schedule"),
    )

    assert due(in_2019, RecordType.CONTACT_NO_ASSESSMENT) == []
    assert rule.updated_by == ig_officer
    event = AuditEvent.objects.get(object_type="retention_rule")
    assert event.detail == {"keep_months": 120, "keep_until_age": None, "active": True}


@pytest.mark.parametrize(
    ("record_type", "data", "field", "message"),
    [
        (RecordType.AUDIT_EVENT, RuleInput(6, None, True, "x"), "keep_years", "at least a year"),
        (RecordType.MESSAGE, RuleInput(24, 25, True, "x"), "keep_until_age", "Only contacts"),
        (RecordType.MESSAGE, RuleInput(0, None, True, "x"), "keep_years", "at least 1 month"),
        (RecordType.MESSAGE, RuleInput(24, None, True, "  "), "reason", "Enter why"),
    ],
)
def test_the_schedule_refuses_what_it_cannot_keep_to(
    ig_officer: User, record_type: str, data: RuleInput, field: str, message: str
) -> None:
    with pytest.raises(GovernanceRefused, match=message) as refused:
        retention_rule_set(actor=Actor(user=ig_officer), record_type=record_type, data=data)
    assert refused.value.field == field


def test_only_the_information_governance_officer_changes_the_schedule(
    personas: dict[str, User],
) -> None:
    from django.core.exceptions import PermissionDenied

    for name in ("auditor", "administrator", "manager"):
        with pytest.raises(PermissionDenied):
            retention_rule_set(
                actor=Actor(user=personas[name]),
                record_type=RecordType.MESSAGE,
                data=RuleInput(24, None, True, "x"),
            )
        with pytest.raises(PermissionDenied):
            legal_hold_place(actor=Actor(user=personas[name]), reference="MASH-1", reason="x")


def test_the_job_loops_with_a_heartbeat(in_2019: RetentionHub) -> None:
    from openmash.core.models import Heartbeat

    out = StringIO()
    call_command("apply_retention", stdout=out)

    # Run today, whatever today is: what it removed or that nothing was due, and a beat.
    assert Heartbeat.objects.filter(loop="apply_retention").exists()
    assert "removed" in out.getvalue() or "Nothing is due" in out.getvalue()
    assert RetentionRun.objects.exists()


def test_contacts_count_unchanged_after_anonymising(in_2019: RetentionHub) -> None:
    before = Contact.objects.count()
    retention_apply(now=IN_2027)
    assert Contact.objects.count() == before
