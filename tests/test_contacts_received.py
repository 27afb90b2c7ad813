"""The contacts-received table: counts by week and referral source, each source named and
in the children in need census's order, for the last 13 weeks only."""

from dataclasses import replace
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from openmash.accounts.models import User
from openmash.contacts.selectors import contact_weekly_counts_by_source
from openmash.contacts.services import contact_create
from openmash.core.audit import Actor
from tests.conftest import signed_in
from tests.factories import a_submission

LONDON = ZoneInfo("Europe/London")
TODAY = date(2026, 3, 18)  # a Wednesday


def _received(referrer: User, source: str, moment: datetime | None = None) -> None:
    submission = a_submission()
    submission = replace(submission, referrer=replace(submission.referrer, source_code=source))
    contact_create(actor=Actor(user=referrer), submission=submission, now=moment)


def _day(week: object) -> object:
    return week.date() if isinstance(week, datetime) else week


@pytest.mark.django_db
def test_sources_are_named_and_in_census_order_newest_week_first(school_referrer: User) -> None:
    monday = datetime(2026, 3, 16, 10, tzinfo=LONDON)
    for source in ("10", "2A", "1A", "6", "1A"):
        _received(school_referrer, source, monday)
    _received(school_referrer, "3A", monday - timedelta(days=7))

    counts = contact_weekly_counts_by_source(today=TODAY)

    assert [(count.source, count.contacts) for count in counts] == [
        ("1A", 2),
        ("2A", 1),
        ("6", 1),
        ("10", 1),
        ("3A", 1),
    ]
    assert counts[0].label == "1A Family member, relative or carer"
    assert counts[3].label == "10 Unknown"


@pytest.mark.django_db
def test_only_the_last_13_weeks_are_read(school_referrer: User) -> None:
    _received(school_referrer, "2A", datetime(2025, 12, 22, 9, tzinfo=LONDON))  # week 13
    _received(school_referrer, "2A", datetime(2025, 12, 21, 9, tzinfo=LONDON))  # week 14

    counts = contact_weekly_counts_by_source(today=TODAY)

    assert [(_day(count.week), count.contacts) for count in counts] == [(date(2025, 12, 22), 1)]


@pytest.mark.django_db
def test_the_page_shows_each_source_by_name(analyst: User, school_referrer: User) -> None:
    _received(school_referrer, "6")

    page = signed_in(analyst).get(reverse("contacts:figures")).content.decode()

    assert "6 Police" in page
    assert '<h1 class="govuk-heading-l">Contacts received</h1>' in page
