"""National codes, stored as the DfE Children in Need census gives them."""

from django.db import models


class ReferralSource(models.TextChoices):
    FAMILY = "1A", "1A Family member, relative or carer"
    ACQUAINTANCE = "1B", "1B Acquaintance (neighbour, childminder)"
    SELF = "1C", "1C Self"
    OTHER_INDIVIDUAL = "1D", "1D Other individual"
    SCHOOLS = "2A", "2A School"
    EDUCATION_SERVICES = "2B", "2B Education services"
    GP = "3A", "3A GP"
    HEALTH_VISITOR = "3B", "3B Health visitor"
    SCHOOL_NURSE = "3C", "3C School nurse"
    OTHER_PRIMARY_HEALTH = "3D", "3D Other primary health services"
    A_AND_E = "3E", "3E A&E"
    OTHER_HEALTH = "3F", "3F Other health services"
    HOUSING = "4", "4 Housing"
    LA_SOCIAL_CARE = "5A", "5A Local authority social care (e.g. adults)"
    LA_OTHER_INTERNAL = "5B", "5B Other internal local authority services"
    ANOTHER_LA = "5C", "5C Another local authority"
    LA_EARLY_HELP = "5D", "5D Local authority early help"
    POLICE = "6", "6 Police"
    OTHER_LEGAL = "7", "7 Other legal agency (courts, probation, immigration, Cafcass, prison)"
    OTHER = "8", "8 Other (children's centre, voluntary organisation)"
    ANONYMOUS = "9", "9 Anonymous"
    UNKNOWN = "10", "10 Unknown"


class AssessmentFactor(models.TextChoices):
    ALCOHOL_CHILD = "1A", "1A Alcohol misuse: child"
    ALCOHOL_PARENT = "1B", "1B Alcohol misuse: parent or carer"
    ALCOHOL_OTHER = "1C", "1C Alcohol misuse: other person in household"
    DRUGS_CHILD = "2A", "2A Drug misuse: child"
    DRUGS_PARENT = "2B", "2B Drug misuse: parent or carer"
    DRUGS_OTHER = "2C", "2C Drug misuse: other person in household"
    DOMESTIC_VIOLENCE_CHILD = "3A", "3A Domestic violence: child"
    DOMESTIC_VIOLENCE_PARENT = "3B", "3B Domestic violence: parent or carer"
    DOMESTIC_VIOLENCE_OTHER = "3C", "3C Domestic violence: other person in household"
    MENTAL_HEALTH_CHILD = "4A", "4A Mental health: child"
    MENTAL_HEALTH_PARENT = "4B", "4B Mental health: parent or carer"
    MENTAL_HEALTH_OTHER = "4C", "4C Mental health: other person in household"
    LEARNING_DISABILITY_CHILD = "5A", "5A Learning disability: child"
    LEARNING_DISABILITY_PARENT = "5B", "5B Learning disability: parent or carer"
    LEARNING_DISABILITY_OTHER = "5C", "5C Learning disability: other person in household"
    PHYSICAL_DISABILITY_CHILD = "6A", "6A Physical disability or illness: child"
    PHYSICAL_DISABILITY_PARENT = "6B", "6B Physical disability or illness: parent or carer"
    PHYSICAL_DISABILITY_OTHER = "6C", "6C Physical disability or illness: other person in household"
    YOUNG_CARER = "7A", "7A Young carer"
    PRIVATELY_FOSTERED_8B = "8B", "8B Privately fostered: overseas, intending to return"
    PRIVATELY_FOSTERED_8C = "8C", "8C Privately fostered: overseas, staying"
    PRIVATELY_FOSTERED_8D = "8D", "8D Privately fostered: UK, for education"
    PRIVATELY_FOSTERED_8E = "8E", "8E Privately fostered: UK, parents cannot care"
    PRIVATELY_FOSTERED_8F = "8F", "8F Privately fostered: other"
    UNACCOMPANIED_ASYLUM_SEEKING = "9A", "9A Unaccompanied asylum-seeking child"
    MISSING = "10A", "10A Going or being missing"
    CHILD_SEXUAL_EXPLOITATION = "11A", "11A Child sexual exploitation"
    TRAFFICKING = "12A", "12A Trafficking"
    GANGS = "13A", "13A Gangs"
    SOCIALLY_UNACCEPTABLE_BEHAVIOUR = "14A", "14A Socially unacceptable behaviour"
    SELF_HARM = "15A", "15A Self-harm"
    NEGLECT = "16A", "16A Neglect"
    EMOTIONAL_ABUSE = "17A", "17A Emotional abuse"
    PHYSICAL_ABUSE_CHILD_ON_CHILD = "18B", "18B Physical abuse: child on child"
    PHYSICAL_ABUSE_ADULT_ON_CHILD = "18C", "18C Physical abuse: adult on child"
    SEXUAL_ABUSE_CHILD_ON_CHILD = "19B", "19B Sexual abuse: child on child"
    SEXUAL_ABUSE_ADULT_ON_CHILD = "19C", "19C Sexual abuse: adult on child"
    OTHER = "20", "20 Other"
    NO_FACTORS = "21", "21 No factors identified"
    FGM = "22A", "22A Female genital mutilation"
    FAITH_OR_BELIEF = "23A", "23A Abuse linked to faith or belief"
    CHILD_CRIMINAL_EXPLOITATION = "24A", "24A Child criminal exploitation"


class Sex(models.TextChoices):
    MALE = "M", "Male"
    FEMALE = "F", "Female"
    UNKNOWN = "U", "Unknown or unborn"


class PersonRole(models.TextChoices):
    SUBJECT_CHILD = "subject_child", "Child the contact is about"
    SIBLING = "sibling", "Sibling"
    PARENT_CARER = "parent_carer", "Parent or carer"
    OTHER_ADULT = "other_adult", "Other adult in the household"
    ALLEGED_HARM = "alleged_harm", "Person alleged to cause harm"


CHILD_ROLES = frozenset({PersonRole.SUBJECT_CHILD, PersonRole.SIBLING})


class Channel(models.TextChoices):
    PHONE = "phone", "Phone"
    EMAIL = "email", "Email"
    PORTAL = "portal", "Online portal"
    POLICE_NOTIFICATION = "police_notification", "Police notification"
    API = "api", "Another agency's system (API)"
    OTHER = "other", "Other"


class ConsentStatus(models.TextChoices):
    GIVEN = "given", "Consent given"
    NOT_SOUGHT = "not_sought", "Consent not sought"
    REFUSED_OVERRIDDEN = "refused_overridden", "Consent refused and overridden"


class LawfulBasis(models.TextChoices):
    PUBLIC_TASK_SAFEGUARDING = (
        "public_task_safeguarding",
        "UK GDPR Article 6(1)(e) public task, with DPA 2018 Schedule 1 Part 2 "
        "paragraph 18 (safeguarding of children and individuals at risk)",
    )
    LEGAL_OBLIGATION_SAFEGUARDING = (
        "legal_obligation_safeguarding",
        "UK GDPR Article 6(1)(c) legal obligation, with DPA 2018 Schedule 1 Part 2 paragraph 18",
    )
    VITAL_INTERESTS = "vital_interests", "UK GDPR Article 6(1)(d) vital interests"
    CONSENT = "consent", "UK GDPR Article 6(1)(a) consent"
    LAW_ENFORCEMENT_SAFEGUARDING = (
        "law_enforcement_safeguarding",
        "DPA 2018 Part 3, Schedule 8 paragraph 4 (police: safeguarding children)",
    )


class ContactState(models.TextChoices):
    """Where a contact is in the MASH. The allowed moves live in openmash.enquiries.workflow."""

    RECEIVED = "received", "Received"
    SCREENING = "screening", "Screening"
    CHECKS_IN_PROGRESS = "checks_in_progress", "Checks in progress"
    AWAITING_DECISION = "awaiting_decision", "Awaiting decision"
    DECIDED = "decided", "Decided"
    HANDED_ON = "handed_on", "Handed on"
    CLOSED = "closed", "Closed"


class PrimaryNeed(models.TextChoices):
    N1 = "N1", "N1 Abuse or neglect"
    N2 = "N2", "N2 Child's disability or illness"
    N3 = "N3", "N3 Parental disability or illness"
    N4 = "N4", "N4 Family in acute stress"
    N5 = "N5", "N5 Family dysfunction"
    N6 = "N6", "N6 Socially unacceptable behaviour"
    N7 = "N7", "N7 Low income"
    N8 = "N8", "N8 Absent parenting"
    N9 = "N9", "N9 Cases other than children in need"
    N0 = "N0", "N0 Not stated"


# Default labels; issue #3 makes the continuum of need configurable per area.
LEVELS_OF_NEED = {
    1: "Level 1: universal",
    2: "Level 2: additional needs (early help)",
    3: "Level 3: complex needs",
    4: "Level 4: acute (child protection)",
}


class Ethnicity(models.TextChoices):
    """The Department for Education's census ethnicity codes (main categories)."""

    WBRI = "WBRI", "White British"
    WIRI = "WIRI", "White Irish"
    WIRT = "WIRT", "Traveller of Irish heritage"
    WOTH = "WOTH", "Any other White background"
    WROM = "WROM", "Gypsy or Roma"
    MWBC = "MWBC", "White and Black Caribbean"
    MWBA = "MWBA", "White and Black African"
    MWAS = "MWAS", "White and Asian"
    MOTH = "MOTH", "Any other mixed background"
    AIND = "AIND", "Indian"
    APKN = "APKN", "Pakistani"
    ABAN = "ABAN", "Bangladeshi"
    AOTH = "AOTH", "Any other Asian background"
    BCRB = "BCRB", "Black Caribbean"
    BAFR = "BAFR", "Black African"
    BOTH = "BOTH", "Any other Black background"
    CHNE = "CHNE", "Chinese"
    OOTH = "OOTH", "Any other ethnic group"
    REFU = "REFU", "Refused"
    NOBT = "NOBT", "Information not yet obtained"


class Disability(models.TextChoices):
    """Whether the child has a disability, as the referrer knows it."""

    YES = "yes", "Yes"
    NO = "no", "No"
    UNKNOWN = "unknown", "Not known"
