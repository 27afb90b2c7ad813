"""Share within the area's timescale uses the deadline the workflow recorded, so a
working-hours timescale over a bank holiday agrees with the queues."""

from datetime import date
from decimal import Decimal

import pytest

from openmash.area.models import RagLevel, TimeCounting
from openmash.contacts.models import Contact
from openmash.enquiries.models import RagRating
from openmash.metrics.filters import MetricFilter
from openmash.metrics.indicators.timeliness import check_turnaround, decision_turnaround
from tests.metrics.conftest import ASSESSMENT, Hub, at

pytestmark = pytest.mark.django_db


def test_it_counts_working_hours_over_easter_as_the_queue_does(hub: Hub) -> None:
    # Amber: the decision within 8 working hours, checks within 4, on 09:00 to 17:00
    # weekdays. Received Thursday 2 April 2026 at 16:00: one working hour that day, then
    # Good Friday, the weekend and Easter Monday, so the decision is due Tuesday 7 April
    # at 16:00 (about 120 clock hours later) and a check asked at 16:30 on Thursday is
    # due Tuesday at 12:30.
    RagLevel.objects.filter(code="amber").update(
        decision_hours=Decimal(8),
        decision_counting=TimeCounting.WORKING_HOURS,
        check_hours=Decimal(4),
        check_counting=TimeCounting.WORKING_HOURS,
    )
    for name, decided in (("in_time", at(7, 15, month=4)), ("late", at(7, 16, 30, month=4))):
        hub.receive(name, at(2, 16, month=4), "2A")
        hub.take(name, at(2, 16, 10, month=4))
        hub.rate(name, "amber", at(2, 16, 30, month=4))
        hub.enquire(name, ["police"], at(2, 16, 30, month=4))
        hub.answer(name, "police", at(7, 12, 0, month=4) if name == "in_time" else decided)
        hub.decide(name, ASSESSMENT, decided)
    due = at(7, 16, month=4)
    assert set(Contact.objects.values_list("deadline_at", flat=True)) == {due}
    assert set(RagRating.objects.values_list("deadline_at", flat=True)) == {due}

    f = MetricFilter(start=date(2026, 4, 1), end=date(2026, 4, 30), now=at(20, 12))
    table = decision_turnaround(f)
    assert (table.overall.within, table.overall.late) == (1, 1)
    assert table.overall.median_hours == pytest.approx((119 + 120.5) / 2, abs=0.001)
    checks = check_turnaround(f)
    assert (checks.overall.within, checks.overall.late) == (1, 1)


def test_a_regrade_moves_the_deadline_of_a_check_still_open(
    hub: Hub, the_week: MetricFilter
) -> None:
    hub.receive("A", at(5, 9), "2A")
    hub.take("A", at(5, 9))
    hub.rate("A", "green", at(5, 9))  # police due in 24 hours: Tue 09:00
    hub.enquire("A", ["police"], at(5, 9))
    hub.rate("A", "red", at(5, 10))  # now due in 2 hours from the request: 11:00
    hub.answer("A", "police", at(5, 12))
    table = check_turnaround(the_week)
    assert (table.overall.within, table.overall.late) == (0, 1)
