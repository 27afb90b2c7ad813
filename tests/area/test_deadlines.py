"""The MASH's deadlines from the area's configuration: a contact's provisional deadline
when it arrives, and how rating and re-grading move it."""

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

import pytest

from openmash.accounts.models import Agency, User
from openmash.area.calendar import calendar_for_area
from openmash.area.deadlines import check_deadline, decision_deadline, provisional_level
from openmash.area.models import ClosureDay, RagLevel, TimeCounting, WorkingHours
from openmash.contacts.models import Contact
from openmash.contacts.services import contact_create
from openmash.core.audit import Actor
from openmash.enquiries.models import AgencyCheck, RagRating
from openmash.enquiries.services.screening import contact_rate, contact_take, enquiry_open
from tests.factories import a_submission

pytestmark = pytest.mark.django_db

# A Tuesday morning in term time, well clear of the clocks changing.
TUESDAY_10AM = datetime(2026, 3, 10, 10, 0, tzinfo=UTC)


def a_contact(referrer: User, *, immediate_risk: bool = False) -> Contact:
    submission = a_submission()
    submission.concerns.immediate_risk = immediate_risk
    contact, _ = contact_create(actor=Actor(user=referrer), submission=submission, now=TUESDAY_10AM)
    return contact


def test_the_default_calendar_is_the_one_in_the_migration() -> None:
    calendar = calendar_for_area()
    assert (calendar.opens, calendar.closes) == (time(9), time(17))
    assert calendar.weekdays == frozenset(range(5))
    assert all(day in calendar.bank_holidays for day in (date(2027, 12, 27), date(2027, 12, 28)))
    assert not calendar.is_working_day(date(2027, 12, 28))


def test_the_area_calendar_reads_the_configured_hours_and_holidays() -> None:
    hours = WorkingHours.objects.get()
    hours.opens, hours.closes, hours.saturday = time(8, 0), time(18, 0), True
    hours.save()
    ClosureDay.objects.create(day=date(2026, 3, 11), name="Local holiday")
    calendar = calendar_for_area()
    assert (calendar.opens, calendar.closes) == (time(8), time(18))
    assert 5 in calendar.weekdays
    assert date(2026, 3, 11) in calendar.bank_holidays


def test_an_unrated_contact_runs_on_the_default_level() -> None:
    assert provisional_level(immediate_risk=False).code == "amber"  # type: ignore[union-attr]
    assert provisional_level(immediate_risk=True).code == "red"  # type: ignore[union-attr]
    RagLevel.objects.update(default_for_unrated=False)
    # With none marked, the least urgent.
    assert provisional_level(immediate_risk=False).code == "green"  # type: ignore[union-attr]
    RagLevel.objects.update(active=False)
    assert provisional_level(immediate_risk=True) is None


def test_a_new_contact_gets_a_provisional_deadline(school_referrer: User) -> None:
    contact = a_contact(school_referrer)
    assert contact.rag_level is None
    assert contact.deadline_at == TUESDAY_10AM + timedelta(hours=24)


def test_a_child_at_immediate_risk_runs_on_the_red_deadline(school_referrer: User) -> None:
    contact = a_contact(school_referrer, immediate_risk=True)
    assert contact.deadline_at == TUESDAY_10AM + timedelta(hours=4)


def test_a_contact_gets_no_deadline_when_the_area_has_no_rag_levels(
    school_referrer: User,
) -> None:
    RagLevel.objects.update(active=False)
    assert a_contact(school_referrer).deadline_at is None


def test_the_provisional_deadline_counts_working_hours_when_configured(
    school_referrer: User,
) -> None:
    RagLevel.objects.filter(code="red").update(decision_counting=TimeCounting.WORKING_HOURS)
    friday_4pm = datetime(2026, 3, 13, 16, 0, tzinfo=UTC)  # GMT in March
    submission = a_submission()
    submission.concerns.immediate_risk = True
    contact, _ = contact_create(
        actor=Actor(user=school_referrer), submission=submission, now=friday_4pm
    )
    assert contact.deadline_at == datetime(2026, 3, 16, 12, 0, tzinfo=UTC)


def test_rating_and_regrading_move_the_deadline_from_when_it_was_received(
    school_referrer: User, screener: User
) -> None:
    contact = a_contact(school_referrer)
    later = TUESDAY_10AM + timedelta(hours=2)
    contact_take(actor=Actor(user=screener), contact_id=contact.pk, now=later)
    contact_rate(
        actor=Actor(user=screener),
        contact_id=contact.pk,
        rag="green",
        rationale="Needs are known to school; no sign of harm.",
        now=later,
    )
    contact.refresh_from_db()
    assert contact.deadline_at == TUESDAY_10AM + timedelta(hours=72)

    contact_rate(
        actor=Actor(user=screener),
        contact_id=contact.pk,
        rag="red",
        rationale="Police report a new incident at the address.",
        now=later + timedelta(hours=1),
    )
    contact.refresh_from_db()
    assert contact.rag_level.code == "red"  # type: ignore[union-attr]
    assert contact.deadline_at == TUESDAY_10AM + timedelta(hours=4)
    history = list(RagRating.objects.filter(contact=contact).order_by("set_at"))
    assert [(rating.level.code, rating.is_regrade) for rating in history] == [
        ("green", False),
        ("red", True),
    ]
    assert history[0].deadline_at == TUESDAY_10AM + timedelta(hours=72)


def test_regrading_moves_open_check_deadlines(
    school_referrer: User, screener: User, agencies: dict[str, Agency]
) -> None:
    contact = a_contact(school_referrer)
    actor = Actor(user=screener)
    contact_take(actor=actor, contact_id=contact.pk, now=TUESDAY_10AM)
    contact_rate(
        actor=actor, contact_id=contact.pk, rag="green", rationale="Low level.", now=TUESDAY_10AM
    )
    requested = TUESDAY_10AM + timedelta(hours=1)
    enquiry_open(
        actor=actor, contact_id=contact.pk, agency_ids=[agencies["police"].pk], now=requested
    )
    check = AgencyCheck.objects.get(contact=contact)
    assert check.deadline_at == requested + timedelta(hours=24)
    contact_rate(actor=actor, contact_id=contact.pk, rag="amber", rationale="Worse than it looked.")
    check.refresh_from_db()
    assert check.deadline_at == requested + timedelta(hours=6)


def test_the_deadline_functions_use_the_level_s_counting() -> None:
    red = RagLevel.objects.get(code="red")
    red.decision_counting = TimeCounting.WORKING_HOURS
    red.check_hours = Decimal("2.5")
    friday_4pm = datetime(2026, 3, 13, 16, 0, tzinfo=UTC)
    assert decision_deadline(received_at=friday_4pm, level=red) == datetime(
        2026, 3, 16, 12, 0, tzinfo=UTC
    )
    assert check_deadline(requested_at=friday_4pm, level=red) == friday_4pm + timedelta(hours=2.5)
