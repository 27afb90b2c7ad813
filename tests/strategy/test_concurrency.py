"""Two managers raising the discussion the MASH decided, or inviting, at the same moment,
each from their own thread and database connection: the contact's (or the discussion's)
row lock serves them one after the other. PostgreSQL only.

Run with: DATABASE_URL=postgres://... pytest tests/strategy/test_concurrency.py
"""

import pytest
from django.db import connection

from openmash.accounts.models import Agency, User
from openmash.core.audit import Actor
from openmash.enquiries.models import Decision
from openmash.strategy.models import Invitation, StrategyDiscussion
from openmash.strategy.services import DiscussionConflict, discussion_invite, discussion_raise
from tests.enquiries.test_concurrency import at_the_same_moment

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL's row locks"),
    pytest.mark.django_db(transaction=True),
]


def test_two_managers_raising_it_at_once_raise_one(
    strategy_decision: Decision, manager: User, second_manager: User
) -> None:
    results = at_the_same_moment(
        lambda: discussion_raise(
            actor=Actor(user=manager), contact_id=strategy_decision.contact_id
        ),
        lambda: discussion_raise(
            actor=Actor(user=second_manager), contact_id=strategy_decision.contact_id
        ),
    )

    assert sum(isinstance(result, DiscussionConflict) for result in results) == 1, results
    assert StrategyDiscussion.objects.filter(decision=strategy_decision).count() == 1


def test_two_managers_inviting_police_at_once_invite_them_once(
    raised: StrategyDiscussion,
    manager: User,
    second_manager: User,
    agencies: dict[str, Agency],
) -> None:
    def invite(user: User) -> object:
        return discussion_invite(
            actor=Actor(user=user), discussion_id=raised.pk, agency_ids=[agencies["police"].pk]
        )

    results = at_the_same_moment(lambda: invite(manager), lambda: invite(second_manager))

    assert sorted(len(result) for result in results) == [0, 1], results  # type: ignore[arg-type]
    assert Invitation.objects.filter(discussion=raised).count() == 1
