import rules

from openmash.core.permissions import is_administrator, is_mash_manager

# Administrators configure where each receiving team's and agency's events are sent.
rules.add_perm("events.manage_endpoints", is_administrator)
# Deliveries the receiving systems did not take: administrators and MASH managers see
# them and try one again.
rules.add_perm("events.view_failed_deliveries", is_administrator | is_mash_manager)
rules.add_perm("events.retry_delivery", is_administrator | is_mash_manager)
