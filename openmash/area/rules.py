import rules

from openmash.core.permissions import is_administrator

for model in ("raglevel", "workinghours", "closureday", "levelofneed", "outcome", "concernrule"):
    for action in ("view", "add", "change", "delete"):
        rules.add_perm(f"area.{action}_{model}", is_administrator)
rules.add_perm("area", is_administrator)
