"""Who may manage an agency's person index feed.

An agency researcher manages their OWN agency's feed: imports, the import history and
whether the agency's "known to" flags are shown to MASH screeners. The researcher is the
agency's person in the MASH, who holds its records and answers its checks, so the choice
of what the MASH sees of the agency's index is theirs to make day to day (the issue:
"each agency chooses"); every change is audited. An administrator may do the same for any
agency: to set an agency up before it has a researcher, or on the agency's instructions.
"""

from typing import Any

import rules

from openmash.contacts.codes import ContactState
from openmash.core.permissions import (
    is_administrator,
    is_agency_researcher,
    is_analyst,
    is_auditor,
    is_mash_decision_maker,
    is_mash_manager,
    is_screener,
)


@rules.predicate
def agency_is_theirs(user: Any, agency: Any) -> bool:
    # Without an agency this answers "may this user manage some agency's feed?"; the
    # selectors and services ask again with the agency itself.
    if agency is None:
        return True
    return user.agency_id is not None and user.agency_id == agency.pk


manages_agency_feed = (is_agency_researcher & agency_is_theirs) | is_administrator

rules.add_perm("linkage.import_index_feed", manages_agency_feed)
rules.add_perm("linkage.view_index_imports", manages_agency_feed)
rules.add_perm("linkage.manage_index_settings", manages_agency_feed)

# The matcher's quality in figures (no names): for the people who answer for the hub's
# decisions and its figures.
rules.add_perm(
    "linkage.view_match_quality", is_mash_manager | is_analyst | is_auditor | is_administrator
)


@rules.predicate
def contact_not_screened_by_someone_else(user: Any, contact: Any) -> bool:
    # The rule of every screening action (openmash.enquiries.rules): while a contact is
    # being screened, only the screener who took it acts on it.
    if contact is None:
        return True
    return contact.state != ContactState.SCREENING or contact.assigned_to_id in (None, user.pk)


# Identifier conflicts (openmash.linkage.conflicts): both records side by side, so only
# the MASH screeners and managers see them (the fire wall), and deciding one is screening
# work on the contact, as deciding its matches is.
rules.add_perm("linkage.view_identifier_conflicts", is_mash_decision_maker)
rules.add_perm(
    "linkage.decide_identifier_conflict",
    (is_screener & contact_not_screened_by_someone_else) | is_mash_manager,
)

# Django admin: administrators see imports and change index settings.
for model in ("indeximport", "agencyindexsettings"):
    rules.add_perm(f"linkage.view_{model}", is_administrator)
rules.add_perm("linkage.change_agencyindexsettings", is_administrator)
rules.add_perm("linkage", is_administrator)
