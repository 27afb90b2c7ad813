from typing import Any

import rules

from openmash.core.permissions import (
    is_analyst,
    is_auditor,
    is_mash_decision_maker,
    is_mash_manager,
    is_referrer,
    is_screener,
)


@rules.predicate
def submitted_by_own_agency(user: Any, contact: Any) -> bool:
    # Without a contact this answers "may this user see some contacts?"; the
    # accessor asks again with the contact itself.
    if contact is None:
        return True
    return user.agency_id is not None and contact.submitted_by_agency_id == user.agency_id


rules.add_perm("contacts.submit_contact", is_referrer | is_screener | is_mash_manager)
rules.add_perm("contacts.record_contact_received_by_phone", is_screener | is_mash_manager)
rules.add_perm("contacts.view_new_contacts", is_mash_decision_maker)
rules.add_perm(
    "contacts.view_contact", is_mash_decision_maker | (is_referrer & submitted_by_own_agency)
)
# The MASH's own research and working notes; referrers see only what they sent and the outcome.
rules.add_perm("contacts.view_contact_research", is_mash_decision_maker)
rules.add_perm("contacts.view_submitted_contacts", is_referrer)
rules.add_perm("contacts.view_contact_figures", is_analyst | is_mash_manager)
rules.add_perm("contacts.view_access_log", is_auditor)
