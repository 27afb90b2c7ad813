"""The board report's strategy discussion table: how long from the decision (or the
raising) to the discussion, and from the discussion to its decision, this month beside
the same month last year, with small numbers withheld."""

from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from openmash.metrics.numbers import NO_FIGURE
from openmash.metrics.suppression import SUPPRESSED
from openmash.strategy.models import DiscussionOutcome
from openmash.strategy.services import (
    ScheduleInput,
    discussion_raise,
    discussion_schedule,
    minutes_record,
    outcome_record,
)
from openmash.value.board_report import board_report_build
from openmash.value.services import board_report_html
from tests.value.conftest import LATER, Hub, at
from tests.value.test_board_report import OCTOBER, closed

pytestmark = pytest.mark.django_db
HOUR = timedelta(hours=1)


def held(hub: Hub, name: str, raised: datetime, hours_later: int, by: str = "manager") -> None:
    """Raised at `raised`, held `hours_later` hours after the need was identified (the
    decision for A, the raising otherwise), minuted an hour after, decided 2 hours after."""
    discussion = discussion_raise(
        actor=hub.as_(by), contact_id=hub.pk(name), reason="Disclosure.", now=raised
    )
    start = discussion.identified_at
    when = timezone.localtime(start + hours_later * HOUR)
    manager = hub.users["manager"]
    discussion_schedule(
        actor=hub.as_("manager"),
        discussion_id=discussion.pk,
        data=ScheduleInput(
            day=when.date(), time=f"{when:%H:%M}", place="Room", chair_id=manager.pk
        ),
        now=raised,
    )
    minutes_record(
        actor=hub.as_("manager"), discussion_id=discussion.pk, minutes="Held.", now=when + HOUR
    )
    outcome_record(
        actor=hub.as_("manager"),
        discussion_id=discussion.pk,
        outcome=DiscussionOutcome.S47_SINGLE,
        now=when + 2 * HOUR,
    )


def _rows(html: str) -> str:
    start = html.index('id="strategy-table"')
    return html[start : html.index("</table>", start)]


def test_one_discussion_is_withheld(october: Hub) -> None:
    held(october, "A", at(5, 13, 30), 2)

    table = board_report_build(OCTOBER, now=LATER).strategy_table

    assert table is not None
    this_month, last_year = table.rows[0], table.rows[1]
    assert [cell.text for cell in this_month[1:]] == [SUPPRESSED, "0", SUPPRESSED, SUPPRESSED]
    assert [cell.text for cell in last_year[1:]] == ["0", "0", NO_FIGURE, NO_FIGURE]


def test_it_shows_the_median_and_90th_percentile_of_six(october: Hub) -> None:
    # A, from its decision (5 Oct 13:00), held 2 hours later; five more raised by the
    # MASH screener on five more of the month's contacts, held 1 to 5 hours after raising.
    held(october, "A", at(5, 13, 30), 2)
    for number in range(5):
        name = f"oct26-{number}"
        october.receive(name, at(12 + number, 9), number=number + 7)
        closed(october, name, at(12 + number, 9))
        held(october, name, at(12 + number, 10), number + 1, by="screener")

    report = board_report_build(OCTOBER, now=LATER)

    assert report.strategy_table is not None
    to_discussion, _, to_decision, _ = report.strategy_table.rows
    # 1, 2, 2, 3, 4, 5 hours: median 2.5, 90th percentile 4 + 0.5 x (5 - 4).
    assert [cell.text for cell in to_discussion[1:]] == ["6", "0", "2.5", "4.5"]
    assert [cell.text for cell in to_decision[1:]] == ["6", "0", "2.0", "2.0"]
    html = board_report_html(report)
    assert "Strategy discussions" in html
    assert "From the decision to the strategy discussion, October 2026" in _rows(html)
    assert "Strategy discussion: time from the decision to the discussion" in html
