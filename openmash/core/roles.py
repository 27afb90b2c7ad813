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
    ADMINISTRATOR = "administrator", "Administrator"


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
