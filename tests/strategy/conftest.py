"""Fixtures for strategy discussions: a contact the MASH decided "strategy discussion and
section 47 enquiry" after police, health and education checked it, made through the real
services, and the people each agency would send."""

from collections.abc import Callable
from datetime import date, timedelta

import pytest
from django.utils import timezone

from openmash.accounts.models import Agency, User
from openmash.core.audit import Actor
from openmash.core.roles import Role
from openmash.enquiries.models import Decision
from openmash.enquiries.services.decisions import DecisionInput
from openmash.strategy.models import StrategyDiscussion
from openmash.strategy.services import (
    ScheduleInput,
    discussion_invite,
    discussion_raise,
    discussion_schedule,
)

# The enquiry's fixtures (partner agencies, researchers, manager, contacts in checks).
from tests.enquiries.conftest import *  # noqa: F403
from tests.enquiries.test_hand_on_views import decided_contact

STRATEGY_INPUT = DecisionInput(
    level_of_need=4,
    outcome="strategy_s47",
    factor_codes=["2B"],
    primary_need="N1",
    rationale="Police hold a record of violence against the mother's partner (MASH only).",
    receiving_team="Assessment and intervention team",
)
# A rationale word that must never leave the MASH.
RATIONALE_WORDS = "MASH only"


@pytest.fixture
def strategy_decision(
    school_referrer: User,
    screener: User,
    manager: User,
    partner_agencies: dict[str, Agency],
    researchers: dict[str, User],
) -> Decision:
    hand_on = decided_contact(
        school_referrer,
        screener,
        manager,
        STRATEGY_INPUT,
        agencies=partner_agencies,
        researchers=researchers,
    )
    return hand_on.decision


@pytest.fixture
def raised(strategy_decision: Decision, manager: User) -> StrategyDiscussion:
    return discussion_raise(actor=Actor(user=manager), contact_id=strategy_decision.contact_id)


def earlier_today() -> tuple[date, str]:
    """A moment earlier today (so the discussion may be minuted at once)."""
    now = timezone.localtime()
    moment = max(now - timedelta(minutes=30), now.replace(hour=0, minute=0, second=0))
    return moment.date(), f"{moment:%H:%M}"


@pytest.fixture
def scheduled(
    raised: StrategyDiscussion, manager: User, partner_agencies: dict[str, Agency]
) -> StrategyDiscussion:
    """Scheduled earlier today, chaired by the manager, with social care, police and
    health invited (not education)."""
    day, time = earlier_today()
    discussion_schedule(
        actor=Actor(user=manager),
        discussion_id=raised.pk,
        data=ScheduleInput(day=day, time=time, place="MASH room 2", chair_id=manager.pk),
    )
    discussion_invite(
        actor=Actor(user=manager),
        discussion_id=raised.pk,
        agency_ids=[partner_agencies[slug].pk for slug in ("csc", "police", "health")],
    )
    raised.refresh_from_db()
    return raised


@pytest.fixture
def health_nurse(make_user: Callable[..., User]) -> User:
    return make_user("health_nurse", Role.AGENCY_RESEARCHER, "health")
