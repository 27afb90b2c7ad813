import rules

from openmash.core.permissions import is_administrator, is_mash_manager, is_signed_in

for model in ("agency", "user", "userrole", "apitoken"):
    for action in ("view", "add", "change", "delete"):
        rules.add_perm(f"accounts.{action}_{model}", is_administrator)
rules.add_perm("accounts", is_administrator)

# The user administration pages (issue 16, item 5; docs/adr/0029-user-administration.md):
# administrators for everyone; MASH managers for the hub's workers, never giving a role
# above their own (openmash/accounts/services.py, roles_grantable_by).
rules.add_perm("accounts.manage_users", is_administrator | is_mash_manager)

# Sign-in lockouts (django-axes' failed sign-ins): administrators see and clear them
# (clearing one unlocks it, audited: accounts/admin.py).
for action in ("view", "delete"):
    rules.add_perm(f"axes.{action}_accessattempt", is_administrator)
rules.add_perm("axes", is_administrator)


@rules.predicate
def has_password(user: object) -> bool:
    """Signs in with a password held here (not only through their organisation's sign-in)."""
    return bool(getattr(user, "has_usable_password", lambda: False)())


# A person's own account: their details, their password, their sessions.
rules.add_perm("accounts.view_own_account", is_signed_in)
rules.add_perm("accounts.change_own_password", is_signed_in & has_password)
rules.add_perm("accounts.manage_own_sessions", is_signed_in)
