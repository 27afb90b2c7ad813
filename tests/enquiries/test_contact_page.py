"""The contact at the top of the screening page and of the decision page: both pages
name, rate and time the contact alike, and show the same RAG history and closure
proposals."""

from datetime import timedelta

import pytest
from django.utils import timezone

from openmash.accounts.models import User
from openmash.contacts.models import Contact
from openmash.core.audit import Actor
from openmash.enquiries.presenters.decisions import DecisionPagePresenter
from openmash.enquiries.presenters.screening import ScreeningPage
from openmash.enquiries.selectors.decisions import decision_page_for
from openmash.enquiries.selectors.screening import screening_contact_get
from openmash.enquiries.services.screening import (
    closure_decline,
    closure_propose,
    contact_rate,
)

pytestmark = pytest.mark.django_db


def _pages(contact: Contact, manager: User) -> tuple[ScreeningPage, DecisionPagePresenter]:
    actor = Actor(user=manager)
    now = timezone.now()
    screening = ScreeningPage(screening_contact_get(actor=actor, reference=contact.reference), now)
    decision = DecisionPagePresenter(
        decision_page_for(actor=actor, reference=contact.reference), now
    )
    return screening, decision


def test_it_heads_both_pages_with_the_same_contact(
    contact_with_checks: Contact, manager: User
) -> None:
    screening, decision = _pages(contact_with_checks, manager)

    for page in (screening, decision):
        assert page.reference == contact_with_checks.reference
        assert page.state == "Checks in progress"
        assert page.rag.label == "Amber"
        assert page.is_rated
        assert page.is_open
        assert page.contact.reference == contact_with_checks.reference
    assert screening.deadline is not None and decision.deadline is not None
    assert screening.deadline.when == decision.deadline.when
    assert screening.deadline.time_left == decision.deadline.time_left


def test_it_shows_the_same_rag_history_on_both_pages(
    rated_contact: Contact, screener: User, manager: User
) -> None:
    contact_rate(
        actor=Actor(user=screener),
        contact_id=rated_contact.pk,
        rag="red",
        rationale="The child said tonight they are afraid to go home.",
    )
    screening, decision = _pages(rated_contact, manager)

    regrade, first = screening.ratings  # newest first
    assert [(r.tag.label, r.by, r.at) for r in screening.ratings] == [
        (r.tag.label, r.by, r.at) for r in decision.ratings
    ]
    assert (first.kind, first.title) == ("First rating", "Rated")
    assert (regrade.kind, regrade.title) == ("Re-grade", "Re-graded")
    assert regrade.by == screener.display_name
    assert regrade.rationale == "The child said tonight they are afraid to go home."


def test_it_times_the_contact_provisionally_until_it_is_rated(
    new_contact: Contact, manager: User
) -> None:
    screening, _ = _pages(new_contact, manager)

    assert not screening.is_rated
    assert screening.deadline is not None and screening.deadline.provisional
    assert screening.deadline.at is not None
    assert screening.deadline.at > timezone.now() - timedelta(days=1)


def test_it_shows_a_closure_proposal_and_its_answer_on_both_pages(
    rated_contact: Contact, screener: User, manager: User
) -> None:
    proposal = closure_propose(
        actor=Actor(user=screener),
        contact_id=rated_contact.pk,
        outcome="nfa",
        rationale="Explained at home; no further concerns.",
    )
    screening, decision = _pages(rated_contact, manager)
    waiting = screening.closure_proposals[0]
    assert waiting.is_pending and decision.pending_proposal is not None
    assert waiting.proposed_by.startswith(f"{screener.display_name}, ")
    assert decision.pending_proposal.proposed.startswith(f"{screener.display_name} at ")
    assert waiting.response == "" and waiting.answered == ""

    closure_decline(actor=Actor(user=manager), proposal_id=proposal.pk, reason="Ask the GP.")
    screening, decision = _pages(rated_contact, manager)

    answered = screening.closure_proposals[0]
    assert not answered.is_pending and decision.pending_proposal is None
    assert answered.response.startswith(f"{manager.display_name}, ")
    assert answered.response.endswith(": Ask the GP.")
    assert [p.answered for p in decision.answered_proposals] == [answered.answered]
    assert answered.answered.startswith(f"{manager.display_name} at ")
