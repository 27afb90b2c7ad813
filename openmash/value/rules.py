import rules

from openmash.core.permissions import is_administrator, is_analyst, is_mash_manager

# Value for money and the board report: aggregates only, never a name, for those who run
# the hub and report on it (as the Performance page). Auditors are left out for the same
# reason as there: their job is who read which child's record.
rules.add_perm("value.view_value_for_money", is_mash_manager | is_analyst)
rules.add_perm("value.download_board_report", is_mash_manager | is_analyst)

# The costs and times behind the figures: administrators, in Django admin.
for model in ("staffcost", "stagetime"):
    for action in ("view", "add", "change", "delete"):
        rules.add_perm(f"value.{action}_{model}", is_administrator)
rules.add_perm("value", is_administrator)
