"""Who may answer subject access requests and keep the retention schedule.

The information governance officer (Role.INFORMATION_GOVERNANCE) does both: they answer
for the area's handling of personal data, so they search every record about a person for
a subject access request (every agency's, behind the fire wall too: the export marks each
agency's information for that agency to agree before disclosure), set the retention
periods, and place and release legal holds. Auditors may read the schedule and the dry
run (ids and dates, no names): their job is checking what the hub does with records.
Nobody else sees any of it.
"""

import rules

from openmash.core.permissions import is_auditor, is_information_governance

rules.add_perm("governance.view_retention", is_information_governance | is_auditor)
rules.add_perm("governance.manage_retention", is_information_governance)
rules.add_perm("governance.manage_legal_holds", is_information_governance)
rules.add_perm("governance.subject_access", is_information_governance)
