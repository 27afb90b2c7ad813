"""Overdue means strictly past the deadline, in Python and in the database alike."""

from datetime import UTC, datetime, timedelta

import pytest

from openmash.contacts.models import Contact
from openmash.core.overdue import done_in_time, is_overdue, overdue_q
from openmash.core.presenters import Deadline
from openmash.core.time_text import time_left_text

DEADLINE = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
SECOND = timedelta(seconds=1)


def test_it_is_not_overdue_at_the_deadline_itself() -> None:
    assert not is_overdue(DEADLINE, DEADLINE)
    assert not is_overdue(DEADLINE, DEADLINE - SECOND)
    assert is_overdue(DEADLINE, DEADLINE + SECOND)
    assert not is_overdue(None, DEADLINE)


def test_work_done_at_the_deadline_is_in_time() -> None:
    assert done_in_time(DEADLINE, DEADLINE)
    assert not done_in_time(DEADLINE + SECOND, DEADLINE)


def test_the_page_says_overdue_only_once_the_deadline_has_passed() -> None:
    assert time_left_text(DEADLINE, DEADLINE) == "less than a minute left"
    assert time_left_text(DEADLINE, DEADLINE + timedelta(hours=2)) == "Overdue by 2 hours"
    assert not Deadline(DEADLINE, DEADLINE).is_overdue
    assert Deadline(DEADLINE, DEADLINE + SECOND).is_overdue


@pytest.mark.django_db
def test_the_queryset_filter_agrees_with_the_predicate(school_contact: Contact) -> None:
    Contact.objects.filter(pk=school_contact.pk).update(deadline_at=DEADLINE)
    for now in (DEADLINE - SECOND, DEADLINE, DEADLINE + SECOND):
        found = Contact.objects.filter(overdue_q(now), pk=school_contact.pk).exists()
        assert found == is_overdue(DEADLINE, now)
