"""Out of hours (issue 13, item 6): a contact made while the hub is closed is acknowledged
at once with the emergency duty team's details; one about a child at immediate risk, or
rated red, alerts whoever is on call, and with nobody on call the emergency duty team's
inbox, the audit log recording that nobody was. In hours nothing changes."""

from datetime import datetime, timedelta
from typing import Any

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from openmash.accounts.models import ApiToken, User
from openmash.area.calendar import LONDON
from openmash.area.models import ClosureDay, EmergencyDutyTeam, OnCallPeriod
from openmash.area.out_of_hours import edt_covers, out_of_hours_at
from openmash.contacts.models import Contact
from openmash.contacts.services import contact_create
from openmash.core.audit import Actor
from openmash.core.models import AuditEvent
from openmash.enquiries.models import Message, MessageKind, MessageStatus
from openmash.enquiries.services.screening import contact_rate, contact_take
from tests.clock import hub_clock
from tests.conftest import signed_in
from tests.factories import a_submission, api_payload

SATURDAY_0613 = datetime(2026, 12, 5, 6, 13, tzinfo=LONDON)
MONDAY_1000 = datetime(2026, 12, 7, 10, 0, tzinfo=LONDON)
FRIDAY_1730 = datetime(2026, 12, 4, 17, 30, tzinfo=LONDON)
# Monday 28 December 2026 is the substitute day for Boxing Day.
BANK_HOLIDAY_1000 = datetime(2026, 12, 28, 10, 0, tzinfo=LONDON)


def make_contact(referrer: User, now: datetime, *, immediate_risk: bool = False) -> Contact:
    submission = a_submission()
    submission.concerns.immediate_risk = immediate_risk
    contact, _ = contact_create(actor=Actor(user=referrer), submission=submission, now=now)
    return contact


def on_call(person: User, around: datetime) -> OnCallPeriod:
    return OnCallPeriod.objects.create(
        person=person, starts_at=around - timedelta(hours=8), ends_at=around + timedelta(hours=8)
    )


def acknowledgements() -> list[Message]:
    return list(Message.objects.filter(kind=MessageKind.OUT_OF_HOURS_ACKNOWLEDGEMENT))


# --- When the hub is closed ------------------------------------------------------------


@pytest.mark.parametrize(
    ("moment", "closed"),
    [
        (SATURDAY_0613, True),
        (FRIDAY_1730, True),
        (datetime(2026, 12, 7, 8, 59, tzinfo=LONDON), True),
        (MONDAY_1000, False),
        (datetime(2026, 12, 7, 16, 59, tzinfo=LONDON), False),
        (BANK_HOLIDAY_1000, True),
    ],
)
def test_it_knows_when_the_hub_is_closed(
    moment: datetime, closed: bool, emergency_duty_team: EmergencyDutyTeam
) -> None:
    assert (out_of_hours_at(moment) is not None) is closed


def test_a_local_closure_day_is_out_of_hours(emergency_duty_team: EmergencyDutyTeam) -> None:
    ClosureDay.objects.create(day=MONDAY_1000.date(), name="Council closure")
    found = out_of_hours_at(MONDAY_1000)
    assert found is not None
    assert found.reopens_at == datetime(2026, 12, 8, 9, 0, tzinfo=LONDON)


def test_nothing_is_out_of_hours_until_the_area_sets_up_its_edt(db: None) -> None:
    assert out_of_hours_at(SATURDAY_0613) is None


def test_the_edt_covers_whenever_the_hub_is_closed(db: None) -> None:
    assert edt_covers() == (
        "Whenever the MASH is closed: before 09:00 and from 17:00 Monday to Friday, "
        "all day Saturday and Sunday, on bank holidays and the council's closure days"
    )


# --- The acknowledgement ---------------------------------------------------------------


def test_a_contact_at_0613_on_a_saturday_is_acknowledged_with_the_edt_details(
    emergency_duty_team: EmergencyDutyTeam,
    school_referrer: User,
    django_capture_on_commit_callbacks: Any,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        contact = make_contact(school_referrer, SATURDAY_0613)
    [message] = acknowledgements()
    assert message.status == MessageStatus.SENT
    assert message.to_email == contact.referrer_email == "jo.bennett@riverside.sch.uk"
    assert message.subject == f"We have received your safeguarding contact {contact.reference}"
    assert "received at 06:13 on Saturday 5 December 2026" in message.body
    assert "when it opens at 09:00 on Monday 7 December 2026" in message.body
    assert "contact the Eastbridge emergency duty team" in message.body
    assert "Phone: 0300 123 4567\nEmail: edt@eastbridge.gov.uk" in message.body
    assert "call the police on 999" in message.body
    # No personal data about the child: only the reference.
    for detail in ("Amy", "Smith", "hungry", "High Street"):
        assert detail not in message.subject and detail not in message.body
    [email] = mail.outbox
    assert (email.to, email.subject, email.body) == (
        [message.to_email],
        message.subject,
        message.body,
    )


def test_a_contact_on_a_bank_holiday_is_acknowledged(
    emergency_duty_team: EmergencyDutyTeam, school_referrer: User
) -> None:
    make_contact(school_referrer, BANK_HOLIDAY_1000)
    [message] = acknowledgements()
    assert "when it opens at 09:00 on Tuesday 29 December 2026" in message.body


def test_a_contact_in_hours_is_not_acknowledged_as_out_of_hours(
    emergency_duty_team: EmergencyDutyTeam, school_referrer: User
) -> None:
    make_contact(school_referrer, MONDAY_1000)
    assert not Message.objects.exists()


def test_a_contact_without_a_referrer_address_gets_no_acknowledgement(
    emergency_duty_team: EmergencyDutyTeam, school_referrer: User
) -> None:
    submission = a_submission()
    submission.referrer.email = ""
    submission.referrer.phone = "01632 960000"
    contact_create(actor=Actor(user=school_referrer), submission=submission, now=SATURDAY_0613)
    assert acknowledgements() == []


def test_a_contact_sent_through_the_api_out_of_hours_is_acknowledged(
    emergency_duty_team: EmergencyDutyTeam,
    police_token: tuple[ApiToken, str],
    django_capture_on_commit_callbacks: Any,
) -> None:
    client = Client(headers={"Authorization": f"Bearer {police_token[1]}"})
    with hub_clock(SATURDAY_0613), django_capture_on_commit_callbacks(execute=True):
        response = client.post("/api/v1/contacts", api_payload(), content_type="application/json")
    assert response.status_code == 201, response.content
    [message] = acknowledgements()
    assert message.to_email == "dan.reid@police.invalid"
    assert message.status == MessageStatus.SENT
    assert "Eastbridge emergency duty team" in message.body
    assert "Liam" not in message.body


# --- The on-call alert -----------------------------------------------------------------


def test_a_child_at_immediate_risk_out_of_hours_alerts_the_person_on_call(
    emergency_duty_team: EmergencyDutyTeam,
    school_referrer: User,
    manager: User,
    django_capture_on_commit_callbacks: Any,
) -> None:
    period = on_call(manager, SATURDAY_0613)
    with django_capture_on_commit_callbacks(execute=True):
        contact = make_contact(school_referrer, SATURDAY_0613, immediate_risk=True)
    [alert] = Message.objects.filter(kind=MessageKind.ON_CALL_ALERT)
    assert alert.to_user == manager
    assert alert.to_email == manager.email
    assert alert.status == MessageStatus.SENT
    assert alert.subject == (
        f"{contact.reference}: a child at immediate risk, received out of hours"
    )
    assert "You are on call until 14:13 on Saturday 5 December 2026" in alert.body
    assert "Amy" not in alert.body
    assert not Message.objects.filter(kind=MessageKind.EDT_ALERT).exists()
    event = AuditEvent.objects.get(object_type="on_call_alert", contact_id=contact.pk)
    assert event.detail["on_call"] == manager.pk
    assert event.detail["on_call_period"] == period.pk
    assert {email.to[0] for email in mail.outbox} == {manager.email, contact.referrer_email}


def test_a_contact_rated_red_out_of_hours_alerts_the_person_on_call_once(
    emergency_duty_team: EmergencyDutyTeam,
    school_referrer: User,
    screener: User,
    manager: User,
) -> None:
    on_call(manager, SATURDAY_0613)
    contact = make_contact(school_referrer, SATURDAY_0613)
    assert not Message.objects.filter(kind=MessageKind.ON_CALL_ALERT).exists()
    later = SATURDAY_0613 + timedelta(minutes=20)
    contact_take(actor=Actor(user=screener), contact_id=contact.pk, now=later)
    contact_rate(
        actor=Actor(user=screener), contact_id=contact.pk, rag="red", rationale="Burn.", now=later
    )
    [alert] = Message.objects.filter(kind=MessageKind.ON_CALL_ALERT)
    assert alert.to_user == manager
    assert alert.subject == f"{contact.reference}: rated red, received out of hours"
    # A re-grade to amber and back to red does not alert them again.
    for rag in ("amber", "red"):
        contact_rate(
            actor=Actor(user=screener),
            contact_id=contact.pk,
            rag=rag,
            rationale="Re-graded.",
            now=later + timedelta(minutes=5),
        )
    assert Message.objects.filter(kind=MessageKind.ON_CALL_ALERT).count() == 1


def test_a_contact_rated_amber_out_of_hours_alerts_nobody(
    emergency_duty_team: EmergencyDutyTeam,
    school_referrer: User,
    screener: User,
    manager: User,
) -> None:
    on_call(manager, SATURDAY_0613)
    contact = make_contact(school_referrer, SATURDAY_0613)
    contact_take(actor=Actor(user=screener), contact_id=contact.pk, now=SATURDAY_0613)
    contact_rate(
        actor=Actor(user=screener),
        contact_id=contact.pk,
        rag="amber",
        rationale="No immediate risk.",
        now=SATURDAY_0613,
    )
    assert [message.kind for message in Message.objects.all()] == [
        MessageKind.OUT_OF_HOURS_ACKNOWLEDGEMENT
    ]


def test_with_nobody_on_call_the_edt_is_alerted_and_the_log_says_nobody_was(
    emergency_duty_team: EmergencyDutyTeam,
    school_referrer: User,
    manager: User,
) -> None:
    # The rota has a gap: the last period ended an hour before.
    OnCallPeriod.objects.create(
        person=manager,
        starts_at=SATURDAY_0613 - timedelta(hours=10),
        ends_at=SATURDAY_0613 - timedelta(hours=1),
    )
    contact = make_contact(school_referrer, SATURDAY_0613, immediate_risk=True)
    assert not Message.objects.filter(kind=MessageKind.ON_CALL_ALERT).exists()
    [alert] = Message.objects.filter(kind=MessageKind.EDT_ALERT)
    assert alert.to_email == "edt@eastbridge.gov.uk"
    assert alert.to_user is None
    assert "nobody on call" in alert.subject
    event = AuditEvent.objects.get(object_type="on_call_alert", contact_id=contact.pk)
    assert event.detail["on_call"] is None
    assert event.detail["system"] == "out-of-hours"


def test_in_hours_an_urgent_contact_keeps_todays_alerts(
    emergency_duty_team: EmergencyDutyTeam,
    school_referrer: User,
    manager: User,
) -> None:
    on_call(manager, MONDAY_1000)
    make_contact(school_referrer, MONDAY_1000, immediate_risk=True)
    assert not Message.objects.exists()
    assert not AuditEvent.objects.filter(object_type="on_call_alert").exists()


def test_managers_see_whom_an_undelivered_out_of_hours_message_was_for(
    emergency_duty_team: EmergencyDutyTeam, school_referrer: User
) -> None:
    from openmash.enquiries.presenters.decisions import MessagePresenter

    make_contact(school_referrer, SATURDAY_0613, immediate_risk=True)
    recipients = {
        message.kind: MessagePresenter(message).recipient for message in Message.objects.all()
    }
    assert recipients == {
        MessageKind.OUT_OF_HOURS_ACKNOWLEDGEMENT: "the referrer",
        MessageKind.EDT_ALERT: "the emergency duty team",
    }


def test_a_calendar_with_no_working_time_never_stops_a_contact(
    emergency_duty_team: EmergencyDutyTeam, school_referrer: User
) -> None:
    from openmash.area.models import WorkingHours

    hours = WorkingHours.objects.get()
    for day in ("monday", "tuesday", "wednesday", "thursday", "friday"):
        setattr(hours, day, False)
    hours.save()
    contact = make_contact(school_referrer, SATURDAY_0613)
    assert Contact.objects.filter(pk=contact.pk).exists()
    assert acknowledgements() == []


@pytest.mark.parametrize("immediate_risk", [True, False])
def test_the_referrer_of_a_child_at_immediate_risk_out_of_hours_is_told_to_phone_now(
    school_referrer: User, emergency_duty_team: EmergencyDutyTeam, immediate_risk: bool
) -> None:
    contact = make_contact(school_referrer, SATURDAY_0613, immediate_risk=immediate_risk)
    page = (
        signed_in(school_referrer)
        .get(reverse("contacts:received", args=[contact.reference]))
        .content.decode()
    )
    urgent = 'data-testid="immediate-risk-out-of-hours"' in page
    assert urgent == immediate_risk
    if immediate_risk:
        assert "You said a child is at immediate risk, and the MASH is closed until" in page
        assert "now on <a" in page
        assert emergency_duty_team.phone in page
