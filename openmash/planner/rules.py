"""Who may plan the hub's capacity.

MASH managers (and administrators) calibrate, edit and run scenarios: staffing is
theirs to plan. Analysts may view scenarios and results: they are figures about the
hub's workload (arrival rates, work times, queue lengths), with no names or contacts in
them, and an analyst is who checks a manager's model.
"""

import rules

from openmash.core.permissions import is_administrator, is_analyst, is_mash_manager

plans_capacity = is_mash_manager | is_administrator

rules.add_perm("planner.view_scenarios", plans_capacity | is_analyst)
rules.add_perm("planner.manage_scenarios", plans_capacity)
