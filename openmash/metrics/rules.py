import rules

from openmash.core.permissions import is_analyst, is_mash_manager

# The indicators dashboard: aggregates only, never a name. MASH managers run the hub on
# it and analysts report from it. Auditors are left out on purpose: their job is who
# read which child's record (the access log), not how the hub performs.
rules.add_perm("metrics.view_dashboard", is_mash_manager | is_analyst)
