import rules

from openmash.core.permissions import is_signed_in

rules.add_perm("core.view_home", is_signed_in)
