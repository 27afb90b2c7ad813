import rules

from openmash.core.permissions import is_administrator

for model in (
    "raglevel",
    "workinghours",
    "closureday",
    "levelofneed",
    "outcome",
    "concernrule",
    "emergencydutyteam",
    "oncallperiod",
):
    for action in ("view", "add", "change", "delete"):
        rules.add_perm(f"area.{action}_{model}", is_administrator)
rules.add_perm("area", is_administrator)
# The protective marking printed on every page (issue 13, item 7).
for action in ("view", "add", "change", "delete"):
    rules.add_perm(f"area.{action}_protectivemarking", is_administrator)
