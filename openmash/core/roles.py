"""The MASH's vocabulary of roles and agency types.

It sits in core, below accounts, because the permission predicates in
core/permissions.py are built from the roles: accounts stores who holds which role,
but what the roles are is shared by every app.
"""

from django.db import models


class Role(models.TextChoices):
    """What a person does in or around the MASH. A user can hold several."""

    REFERRER = "referrer", "Referrer"
    SCREENER = "screener", "Screener"
    MASH_MANAGER = "mash_manager", "MASH manager"
    AGENCY_RESEARCHER = "agency_researcher", "Agency researcher"
    EARLY_HELP_COORDINATOR = "early_help_coordinator", "Early help coordinator"
    ANALYST = "analyst", "Analyst"
    AUDITOR = "auditor", "Auditor"
    # Answers subject access requests and keeps the retention schedule and legal holds
    # (docs/adr/0025-retention-and-subject-access.md).
    INFORMATION_GOVERNANCE = "information_governance", "Information governance officer"
    ADMINISTRATOR = "administrator", "Administrator"


def role_in_sentence(role: Role) -> str:
    """A role's name inside a sentence: "administrator", but "MASH manager"."""
    label = str(role.label)
    return label if label[1:2].isupper() else label[0].lower() + label[1:]


class AgencyType(models.TextChoices):
    CHILDRENS_SOCIAL_CARE = "childrens_social_care", "Children's social care"
    POLICE = "police", "Police"
    HEALTH = "health", "Health"
    EDUCATION = "education", "Education"
    PROBATION = "probation", "Probation"
    HOUSING = "housing", "Housing"
    YOUTH_JUSTICE = "youth_justice", "Youth justice"
    EARLY_HELP = "early_help", "Early help"
    ADULT_SOCIAL_CARE = "adult_social_care", "Adult social care"
    OTHER = "other", "Other"


# What each role is for, in a sentence: the hint beside each role where an administrator
# gives roles, and the Roles page (openmash/accounts/administration). What each role may
# open is not written here: the Roles page works it out from the permissions.
ROLE_SUMMARIES: dict[Role, str] = {
    Role.REFERRER: "Makes contacts for their organisation (a school, a GP practice) and "
    "sees what happened to them.",
    Role.SCREENER: "Screens and rates new contacts, asks partner agencies to check their "
    "records and proposes what should happen.",
    Role.MASH_MANAGER: "Decides on contacts, allocates the team's work, holds strategy "
    "discussions and plans capacity; adds and changes the MASH's workers.",
    Role.AGENCY_RESEARCHER: "Researches their own agency's records for the checks the MASH "
    "asks of it, and keeps their agency's person index.",
    Role.EARLY_HELP_COORDINATOR: "Accepts or returns the cases the MASH hands on to early help.",
    Role.ANALYST: "Sees the MASH's performance figures and reports, never a child's records.",
    Role.AUDITOR: "Searches the access log and checks that the audit log has not been altered.",
    Role.INFORMATION_GOVERNANCE: "Answers subject access requests and keeps the retention "
    "schedule and legal holds.",
    Role.ADMINISTRATOR: "Adds and changes users and their roles, and looks after the area's "
    "technical settings.",
}
