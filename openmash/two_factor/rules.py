import rules

from openmash.core.permissions import is_administrator, is_signed_in

# A person's own second factors: using one after the password, setting one up, seeing
# and replacing their recovery codes.
rules.add_perm("two_factor.use_own", is_signed_in)
# An administrator resets someone's factors (they lost their phone) and says which
# roles, if any, the area exempts.
rules.add_perm("two_factor.reset_user", is_administrator)
rules.add_perm("two_factor.manage_exemptions", is_administrator)
