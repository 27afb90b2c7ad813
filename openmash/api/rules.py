from typing import Any

import rules

from openmash.accounts.models import ApiToken


@rules.predicate
def is_active_api_token(token: Any) -> bool:
    return isinstance(token, ApiToken) and token.is_active


@rules.predicate
def is_mash_partner_token(token: Any) -> bool:
    # Only an agency that sits in the hub is asked to check its records; a school's or
    # another referrer's system has no check queue.
    return isinstance(token, ApiToken) and token.agency.is_mash_partner


rules.add_perm("api.submit_contact", is_active_api_token)
rules.add_perm("api.view_own_contact", is_active_api_token)
# The outcome of a contact the token's own agency submitted: never what agencies found.
rules.add_perm("api.view_own_contact_outcome", is_active_api_token)
# The agency's system adds information to a contact its agency submitted while it is open
# (the service scopes it to the token's agency).
rules.add_perm("api.add_contact_information", is_active_api_token)
# A partner agency's system answers the checks asked of that agency, and no other's
# (the selectors and services scope each check to the token's agency).
rules.add_perm("api.view_agency_checks", is_active_api_token & is_mash_partner_token)
rules.add_perm("api.record_findings", is_active_api_token & is_mash_partner_token)
# A partner agency's system sends its own agency's person index feed and reads back its
# own imports (the service and selector scope both to the token's agency).
rules.add_perm("api.import_index_feed", is_active_api_token & is_mash_partner_token)
rules.add_perm("api.view_index_imports", is_active_api_token & is_mash_partner_token)
# The events for the token's own agency: its receiving team's hand-ons and decisions and
# its own contacts' outcomes (the selector scopes the feed to the agency).
rules.add_perm("api.view_own_events", is_active_api_token)


@rules.predicate
def is_receiving_team_token(token: Any) -> bool:
    # Early help's or children's social care's own case system (the teams with a queue in
    # OpenMASH): it reads the cases handed to its team, each as the MASH summary only.
    return isinstance(token, ApiToken) and token.agency.agency_type in (
        "early_help",
        "childrens_social_care",
    )


rules.add_perm("api.view_hand_ons", is_active_api_token & is_receiving_team_token)
