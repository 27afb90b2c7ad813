import rules

from openmash.core.permissions import is_administrator

for model in ("agency", "user", "userrole", "apitoken"):
    for action in ("view", "add", "change", "delete"):
        rules.add_perm(f"accounts.{action}_{model}", is_administrator)
rules.add_perm("accounts", is_administrator)
