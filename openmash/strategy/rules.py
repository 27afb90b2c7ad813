"""Who may raise, run, read and act on a strategy discussion.

The MASH (screeners and managers) sees every discussion. Any other agency sees a
discussion only once it is invited (its invitations are the fire wall here: minutes are
shared with invitees only), and its own actions. MASH managers schedule, invite and
record attendance; the chair (a MASH manager) records the minutes, the decision and the
actions.
"""

from typing import Any

import rules

from openmash.core.permissions import (
    is_agency_researcher,
    is_early_help_coordinator,
    is_mash_decision_maker,
    is_mash_manager,
    is_referrer,
)
from openmash.core.roles import AgencyType


@rules.predicate
def is_police_researcher_on_contact(user: Any, contact: Any) -> bool:
    """A police researcher whose force was asked to check this contact: police may raise
    a strategy discussion on a contact they know of."""
    if contact is None:
        return True
    agency = getattr(user, "agency", None)
    if agency is None or agency.agency_type != AgencyType.POLICE:
        return False
    return bool(contact.agency_checks.filter(agency_id=agency.pk).exists())


@rules.predicate
def is_invited(user: Any, discussion: Any) -> bool:
    if discussion is None:
        return True
    agency_id = getattr(user, "agency_id", None)
    return agency_id is not None and bool(
        discussion.invitations.filter(agency_id=agency_id).exists()
    )


@rules.predicate
def chairs_it(user: Any, discussion: Any) -> bool:
    if discussion is None:
        return True
    return discussion.chair_id is not None and discussion.chair_id == user.pk


@rules.predicate
def owns_action(user: Any, action: Any) -> bool:
    if action is None:
        return True
    return action.owner_person_id == user.pk or (
        action.owner_person_id is None
        and user.agency_id is not None
        and action.owner_agency_id == user.agency_id
    )


# The list of discussions: every role that can be invited (its list holds only its own
# agency's invitations) and the MASH (every discussion).
rules.add_perm(
    "strategy.view_discussions",
    is_mash_decision_maker | is_agency_researcher | is_early_help_coordinator | is_referrer,
)
# One discussion, asked with it: the MASH, or an invited agency.
rules.add_perm("strategy.view_discussion", is_mash_decision_maker | is_invited)
# Raising one on a contact, asked with the contact: social care in the MASH, or police
# who were asked to check it.
rules.add_perm(
    "strategy.raise_discussion",
    is_mash_decision_maker | (is_agency_researcher & is_police_researcher_on_contact),
)
# Scheduling, inviting and attendance: MASH managers.
rules.add_perm("strategy.run_discussion", is_mash_manager)
# Minutes, the decision and the actions: the chair, asked with the discussion.
rules.add_perm("strategy.chair_discussion", is_mash_manager & chairs_it)
# Marking an action done: a MASH manager, or whoever owns it, asked with the action.
rules.add_perm("strategy.complete_action", is_mash_manager | owns_action)
# Files on a discussion (issue 13, item 2), asked with the discussion: shared like its
# minutes, so whoever may see the discussion (the MASH, an invited agency) may add one
# and download them, and no one else.
rules.add_perm("strategy.discussion_attachments", is_mash_decision_maker | is_invited)
