import rules

from openmash.core.permissions import is_mash_manager

# Ofsted's Annex A lists and the census items are about named children (dates of birth,
# ages, the referral history of each child): MASH managers make the returns. Analysts get
# aggregates only (the indicators dashboard), never these. Auditors are left out too:
# their job is who read which child's record, and every download shows in the audit log
# they read.
rules.add_perm("extracts.download_extracts", is_mash_manager)
