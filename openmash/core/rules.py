import rules

from openmash.core.permissions import is_auditor, is_signed_in

rules.add_perm("core.view_home", is_signed_in)
# Auditors see whether the audit log still matches its seals, and ask for a check.
rules.add_perm("core.view_audit_integrity", is_auditor)
