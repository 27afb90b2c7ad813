"""A contact exactly at its deadline is treated the same everywhere: not yet overdue on
the screening queue, in its overdue count and its "overdue only" filter, in the reminders
and overdue alerts, and in the metrics (decided then, it was decided in time). One minute
later it is overdue everywhere. The rule is openmash.core.overdue."""

from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from openmash.accounts.models import Agency, User
from openmash.contacts.models import Contact
from openmash.enquiries.deadline_alerts import deadline_alerts_send
from openmash.enquiries.models import Message, MessageKind
from openmash.metrics.filters import MetricFilter
from openmash.metrics.indicators.timeliness import decision_turnaround
from tests.conftest import signed_in
from tests.factories import Hub, a_decision
from tests.metrics.conftest import at

pytestmark = pytest.mark.django_db

ONE_MINUTE = timedelta(minutes=1)
NFA = a_decision("nfa", level=1, need="N9")


@pytest.fixture
def hub(personas: dict[str, User], agencies: dict[str, Agency]) -> Hub:
    return Hub(users=dict(personas), agencies=agencies)


def rated(hub: Hub, name: str, received: datetime) -> Contact:
    """A contact rated red, its enquiry opened with no checks: ready for a decision."""
    hub.receive(name, received)
    hub.take(name, received + timedelta(minutes=10))
    hub.rate(name, "red", received + timedelta(minutes=20))
    hub.enquire(name, [], received + timedelta(minutes=20))
    contact = Contact.objects.get(pk=hub.pk(name))
    assert contact.deadline_at is not None
    return contact


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Callable[[datetime], None]:
    """Sets the time every page works from."""

    def set_to(moment: datetime) -> None:
        monkeypatch.setattr(timezone, "now", lambda: moment)

    return set_to


def the_queue(screener: User, query: str = "") -> tuple[Any, str]:
    response = signed_in(screener).get(reverse("enquiries:screening-queue") + query)
    assert response.status_code == 200
    return response.context, response.content.decode()


def queue_shows(screener: User, contact: Contact, now: datetime) -> dict[str, Any]:
    """What the screening queue shows about the contact at `now`."""
    context, html = the_queue(screener)
    (row,) = [row for row in context["rows"] if row.reference == contact.reference]
    _, filtered = the_queue(screener, "?overdue=on")
    return {
        "marked": row.deadline.is_overdue,
        "red": f'govuk-tag--red">{row.deadline.time_left}</strong>' in html,
        "counted": context["queue"].overdue_count,
        "in_filter": contact.reference in filtered,
    }


def test_the_screening_queue_marks_counts_and_filters_by_the_same_moment(
    hub: Hub, screener: User, clock: Callable[[datetime], None]
) -> None:
    contact = rated(hub, "A", at(5, 9))
    assert contact.deadline_at is not None

    clock(contact.deadline_at)
    assert queue_shows(screener, contact, contact.deadline_at) == {
        "marked": False,
        "red": False,
        "counted": 0,
        "in_filter": False,
    }

    clock(contact.deadline_at + ONE_MINUTE)
    assert queue_shows(screener, contact, contact.deadline_at + ONE_MINUTE) == {
        "marked": True,
        "red": True,
        "counted": 1,
        "in_filter": True,
    }


@pytest.fixture
def send(django_capture_on_commit_callbacks: Any) -> Iterator[Callable[[datetime], None]]:
    def run(now: datetime) -> None:
        with django_capture_on_commit_callbacks(execute=True):
            deadline_alerts_send(now=now)

    yield run


def kinds_sent(contact: Contact) -> set[str]:
    return set(Message.objects.filter(contact=contact).values_list("kind", flat=True))


def test_at_its_deadline_a_contact_is_reminded_and_just_past_it_managers_are_alerted(
    hub: Hub, send: Callable[[datetime], None]
) -> None:
    contact = rated(hub, "A", at(5, 9))
    assert contact.deadline_at is not None

    send(contact.deadline_at)
    assert kinds_sent(contact) == {MessageKind.DEADLINE_REMINDER}

    send(contact.deadline_at + ONE_MINUTE)
    assert kinds_sent(contact) == {MessageKind.DEADLINE_REMINDER, MessageKind.DEADLINE_PASSED}


def red_row(now: datetime) -> Any:
    table = decision_turnaround(MetricFilter(start=at(5, 0).date(), end=at(11, 0).date(), now=now))
    (row,) = [row for row in table.rows if row.key == "red"]
    return row


def test_the_metrics_count_a_decision_at_its_deadline_in_time_and_one_after_it_late(
    hub: Hub,
) -> None:
    on_time = rated(hub, "A", at(5, 9))
    late = rated(hub, "B", at(5, 9))
    assert on_time.deadline_at is not None and late.deadline_at is not None
    hub.decide("A", NFA, on_time.deadline_at)
    hub.decide("B", NFA, late.deadline_at + ONE_MINUTE)

    row = red_row(late.deadline_at + timedelta(hours=1))

    assert (row.within, row.late, row.open_overdue) == (1, 1, 0)


def test_the_metrics_count_an_open_contact_overdue_only_once_past_its_deadline(
    hub: Hub,
) -> None:
    contact = rated(hub, "A", at(5, 9))
    assert contact.deadline_at is not None

    assert red_row(contact.deadline_at).open_overdue == 0
    assert red_row(contact.deadline_at + ONE_MINUTE).open_overdue == 1
