"""The strategy discussion indicators: time from the decision (or the raising) to the
discussion being held, and from the discussion to its decision; medians, 90th percentiles
and counts by how it was raised, followed up to the end of the period."""

from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from openmash.accounts.models import Agency, User
from openmash.contacts.models import Contact
from openmash.core.audit import Actor
from openmash.metrics.filters import MetricFilter
from openmash.metrics.indicators import INDICATORS
from openmash.metrics.indicators.strategy import (
    strategy_discussion_to_outcome,
    time_to_strategy_discussion,
)
from openmash.strategy.models import DiscussionOutcome, StrategyDiscussion
from openmash.strategy.services import (
    ScheduleInput,
    discussion_raise,
    discussion_schedule,
    minutes_record,
    outcome_record,
)
from tests.enquiries.test_hand_on_views import decided_contact
from tests.strategy.conftest import STRATEGY_INPUT

pytestmark = pytest.mark.django_db
HOUR = timedelta(hours=1)


def _hours(later: datetime, earlier: datetime) -> float:
    return (later - earlier).total_seconds() / 3600


def _hold(
    discussion: StrategyDiscussion, manager: User, at: datetime, minuted: datetime
) -> StrategyDiscussion:
    local = timezone.localtime(at)
    discussion_schedule(
        actor=Actor(user=manager),
        discussion_id=discussion.pk,
        data=ScheduleInput(
            day=local.date(), time=f"{local:%H:%M}", place="Room", chair_id=manager.pk
        ),
        now=discussion.raised_at,
    )
    return minutes_record(
        actor=Actor(user=manager), discussion_id=discussion.pk, minutes="Held.", now=minuted
    )


@pytest.fixture
def three_discussions(
    school_referrer: User,
    screener: User,
    manager: User,
    contact_with_checks: Contact,
    personas: dict[str, User],
) -> dict[str, StrategyDiscussion]:
    """From a decision: one held 2 hours later and decided 3 hours after that; one not
    scheduled. Raised by police an hour after now: held 4 hours later, not decided."""
    start = timezone.now()
    chair = Actor(user=manager)
    held = discussion_raise(
        actor=chair,
        contact_id=decided_contact(school_referrer, screener, manager, STRATEGY_INPUT).contact_id,
        now=start,
    )
    held = _hold(held, manager, start + 2 * HOUR, start + 3 * HOUR)
    outcome_record(
        actor=chair,
        discussion_id=held.pk,
        outcome=DiscussionOutcome.S47_SINGLE,
        now=held.scheduled_for + 3 * HOUR,  # type: ignore[operator]
    )
    waiting = discussion_raise(
        actor=chair,
        contact_id=decided_contact(school_referrer, screener, manager, STRATEGY_INPUT).contact_id,
        now=start,
    )
    police = discussion_raise(
        actor=Actor(user=personas["police_researcher"]),
        contact_id=contact_with_checks.pk,
        reason="Disclosure.",
        now=start + HOUR,
    )
    police = _hold(police, manager, start + 5 * HOUR, start + 6 * HOUR)
    for each in (held, waiting, police):
        each.refresh_from_db()
    return {"held": held, "waiting": waiting, "police": police}


def _week(now: datetime) -> MetricFilter:
    today = timezone.localdate()
    return MetricFilter(start=today, end=today + timedelta(days=6), now=now)


def test_it_times_the_decision_to_the_discussion_by_how_it_was_raised(
    three_discussions: dict[str, StrategyDiscussion],
) -> None:
    held, police = three_discussions["held"], three_discussions["police"]
    assert held.decision is not None
    from_decision = _hours(held.scheduled_for, held.decision.decided_at)  # type: ignore[arg-type]
    from_raising = _hours(police.scheduled_for, police.raised_at)  # type: ignore[arg-type]

    table = time_to_strategy_discussion(_week(timezone.now() + 3 * timedelta(days=1)))

    low, high = sorted([from_decision, from_raising])
    assert (table.overall.measured, table.overall.open) == (2, 1)
    assert table.overall.median_hours == pytest.approx((low + high) / 2)
    assert table.overall.p90_hours == pytest.approx(low + 0.9 * (high - low))
    rows = {row.key: row for row in table.rows}
    assert [row.label for row in table.rows] == ["From a MASH decision", "Raised by police"]
    assert (rows["decision"].measured, rows["decision"].open) == (1, 1)
    assert rows["decision"].median_hours == pytest.approx(from_decision)
    assert rows["police"].p90_hours == pytest.approx(from_raising)
    assert table.overall.within is None  # no timescale: nothing is called late


def test_it_times_the_discussion_to_its_decision(
    three_discussions: dict[str, StrategyDiscussion],
) -> None:
    table = strategy_discussion_to_outcome(_week(timezone.now() + 3 * timedelta(days=1)))

    # Two held; the one from the decision decided 3 hours after it was held.
    assert (table.overall.measured, table.overall.open) == (1, 1)
    assert table.overall.median_hours == pytest.approx(3.0)
    assert table.overall.p90_hours == pytest.approx(3.0)


def test_a_step_after_the_end_of_the_period_has_not_happened_yet(
    three_discussions: dict[str, StrategyDiscussion],
) -> None:
    held = three_discussions["held"]
    # Figures as at half an hour after the discussion's minutes: not yet decided.
    as_at = held.minutes_recorded_at + timedelta(minutes=30)  # type: ignore[operator]

    to_outcome = strategy_discussion_to_outcome(_week(as_at))
    to_discussion = time_to_strategy_discussion(_week(as_at))

    assert (to_outcome.overall.measured, to_outcome.overall.open) == (0, 1)
    assert (to_discussion.overall.measured, to_discussion.overall.open) == (1, 2)


def test_the_indicators_are_registered_with_their_definitions(agencies: dict[str, Agency]) -> None:
    for key in ("time_to_strategy_discussion", "strategy_discussion_to_outcome"):
        assert INDICATORS[key].group == "timeliness"
        assert "strategy discussion" in INDICATORS[key].definition
