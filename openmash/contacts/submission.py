"""A contact as submitted, before it is stored, and the rules it must meet.

The web form and the JSON API both build a ContactSubmission and both get the
same field errors from `submission_errors`, named by path (`people[1].nhs_number`).
"""

from dataclasses import dataclass, field, fields, is_dataclass
from datetime import date, datetime, timedelta

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from openmash.contacts.codes import (
    CHILD_ROLES,
    AssessmentFactor,
    Channel,
    ConsentStatus,
    Disability,
    Ethnicity,
    LawfulBasis,
    PersonRole,
    ReferralSource,
    Sex,
)
from openmash.people.identifiers import (
    gp_practice_is_valid,
    nhs_number_digits,
    nhs_number_is_valid,
    postcode_is_valid,
    school_urn_is_valid,
    upn_is_valid,
)

ADULT_AGE = 18
OLDEST_AGE = 120
LONGEST_PREGNANCY = timedelta(weeks=42)
# A contact recorded this long after it arrived needs a reason for the earlier time.
LATE_RECORDING_TOLERANCE = timedelta(minutes=15)
# A contact is recorded within a year of arriving: earlier is a mistyped year.
OLDEST_RECEIVED = timedelta(days=366)


@dataclass
class FieldError:
    field: str
    message: str


@dataclass
class Address:
    line1: str = ""
    line2: str = ""
    town: str = ""
    postcode: str = ""


@dataclass
class PersonDetails:
    role: str = ""
    given_names: str = ""
    family_name: str = ""
    other_names: str = ""
    date_of_birth: date | None = None
    estimated_age: int | None = None
    expected_birth_date: date | None = None
    sex: str = ""
    address: Address = field(default_factory=Address)
    nhs_number: str = ""
    upn: str = ""
    # The statutory characteristics, all optional: the census ethnicity code, the first
    # language as typed, yes/no/unknown, a school URN and a GP practice's ODS code.
    ethnicity: str = ""
    first_language: str = ""
    disability: str = ""
    school_urn: str = ""
    gp_practice: str = ""


@dataclass
class ReferrerDetails:
    name: str = ""
    role: str = ""
    organisation: str = ""
    email: str = ""
    phone: str = ""
    source_code: str = ""
    anonymous: bool = False


@dataclass
class ConcernDetails:
    factor_codes: list[str] = field(default_factory=list)
    description: str = ""
    immediate_risk: bool | None = None
    referrer_level_of_need: int | None = None


@dataclass
class ConsentDetails:
    status: str = ""
    reason: str = ""
    lawful_basis: str = ""


@dataclass
class ContactSubmission:
    channel: str
    received_at: datetime | None = None
    received_at_reason: str = ""
    referrer: ReferrerDetails = field(default_factory=ReferrerDetails)
    people: list[PersonDetails] = field(default_factory=list)
    concerns: ConcernDetails = field(default_factory=ConcernDetails)
    consent: ConsentDetails = field(default_factory=ConsentDetails)


def _age_on(born: date, day: date) -> int:
    years = day.year - born.year
    return years - 1 if (day.month, day.day) < (born.month, born.day) else years


def _person_errors(person: PersonDetails, path: str, now: datetime) -> list[FieldError]:
    errors: list[FieldError] = []
    today = now.date()

    def error(name: str, message: str) -> None:
        errors.append(FieldError(f"{path}.{name}" if path else name, message))

    if person.role not in PersonRole.values:
        error("role", "Select the person's role in this contact")
    if not person.given_names.strip() and not person.family_name.strip():
        error(
            "given_names", "Enter a first name or a last name (write 'Unknown' if neither is known)"
        )
    if person.sex not in Sex.values:
        error("sex", "Select the person's sex: male (M), female (F), or unknown or unborn (U)")

    if person.date_of_birth is not None:
        if person.date_of_birth > today:
            error("date_of_birth", "Date of birth must be today or in the past")
        elif _age_on(person.date_of_birth, today) > OLDEST_AGE:
            error("date_of_birth", f"Date of birth must be within the last {OLDEST_AGE} years")
        if person.expected_birth_date is not None:
            error("expected_birth_date", "Give a date of birth or an expected date, not both")
        if person.estimated_age is not None:
            error("estimated_age", "Give a date of birth or an estimated age, not both")
    if person.estimated_age is not None and not 0 <= person.estimated_age <= OLDEST_AGE:
        error("estimated_age", f"Estimated age must be between 0 and {OLDEST_AGE}")
    if person.expected_birth_date is not None:
        if person.expected_birth_date < today:
            error(
                "expected_birth_date",
                "Expected date must be today or in the future; if the baby is born, give the date of birth",
            )
        elif person.expected_birth_date > today + LONGEST_PREGNANCY:
            error("expected_birth_date", "Expected date must be within the next 42 weeks")
        if person.estimated_age is not None:
            error("estimated_age", "An unborn child has an expected date, not an estimated age")

    if person.role in CHILD_ROLES:
        known_age = (
            person.date_of_birth is not None
            or person.estimated_age is not None
            or person.expected_birth_date is not None
        )
        if not known_age:
            error(
                "date_of_birth",
                "Enter the child's date of birth, an estimated age, or the expected date if unborn",
            )
        elif (
            person.date_of_birth is not None
            and person.date_of_birth <= today
            and _age_on(person.date_of_birth, today) >= ADULT_AGE
        ) or (person.estimated_age is not None and person.estimated_age >= ADULT_AGE):
            error("date_of_birth", "A child must be under 18; record an adult with an adult's role")

    if person.nhs_number and not nhs_number_is_valid(person.nhs_number):
        digits = nhs_number_digits(person.nhs_number)
        if len(digits) != 10 or not digits.isdigit():
            error("nhs_number", "NHS number must be 10 digits, like 943 476 5919")
        else:
            error("nhs_number", "NHS number is not valid: check each digit against the record")
    if person.upn and not upn_is_valid(person.upn):
        error(
            "upn",
            "Unique pupil number must be 13 characters: a check letter, then 12 characters "
            "(like H801200001001); check it against the school's record",
        )
    if person.address.postcode and not postcode_is_valid(person.address.postcode):
        error("address.postcode", "Enter a real postcode, like SW1A 1AA")
    if person.ethnicity and person.ethnicity not in Ethnicity.values:
        error("ethnicity", "Select the ethnicity from the list, or leave it blank if not known")
    if person.disability and person.disability not in Disability.values:
        error("disability", "Select yes, no or not known for disability")
    if person.school_urn.strip() and not school_urn_is_valid(person.school_urn):
        error(
            "school_urn",
            "School or setting URN must be 6 digits, like 100000 (find it on Get "
            "Information about Schools)",
        )
    if person.gp_practice.strip() and not gp_practice_is_valid(person.gp_practice):
        error(
            "gp_practice",
            "GP practice code must be a letter then 5 digits, like A12345 (its ODS code)",
        )
    return errors


def _nul_character_errors(value: object, path: str) -> list[FieldError]:
    """Text holding a NUL character (\\x00), which no record may store (PostgreSQL refuses it)."""
    if isinstance(value, str):
        if "\x00" in value:
            return [FieldError(path, "Remove the NUL character (\\x00): text cannot contain it")]
        return []
    if isinstance(value, list):
        return [
            error
            for index, item in enumerate(value)
            for error in _nul_character_errors(item, f"{path}[{index}]")
        ]
    if is_dataclass(value) and not isinstance(value, type):
        return [
            error
            for each in fields(value)
            for error in _nul_character_errors(
                getattr(value, each.name), f"{path}.{each.name}" if path else each.name
            )
        ]
    return []


# The longest text each field may hold, by field name (the database columns' sizes).
TEXT_LIMITS = {
    "received_at_reason": 500,
    "name": 200,
    "role": 200,
    "organisation": 200,
    "email": 254,
    "phone": 40,
    "given_names": 200,
    "family_name": 200,
    "other_names": 500,
    "line1": 200,
    "line2": 200,
    "town": 100,
    "first_language": 100,
    "description": 20000,
    "reason": 5000,
}


def _too_long_errors(value: object, path: str) -> list[FieldError]:
    errors: list[FieldError] = []
    if isinstance(value, list):
        for index, item in enumerate(value):
            errors += _too_long_errors(item, f"{path}[{index}]")
    elif is_dataclass(value) and not isinstance(value, type):
        for each in fields(value):
            item = getattr(value, each.name)
            item_path = f"{path}.{each.name}" if path else each.name
            limit = TEXT_LIMITS.get(each.name)
            if isinstance(item, str) and limit is not None and len(item.strip()) > limit:
                errors.append(FieldError(item_path, f"Shorten this to {limit} characters or fewer"))
            else:
                errors += _too_long_errors(item, item_path)
    return errors


def submission_errors(submission: ContactSubmission, *, now: datetime) -> list[FieldError]:
    """Every way the submission falls short, each naming its field and how to fix it."""
    errors: list[FieldError] = _nul_character_errors(submission, "")
    errors += _too_long_errors(submission, "")

    if submission.channel not in Channel.values:
        errors.append(FieldError("channel", "Select how the contact came in"))
    if submission.received_at is not None:
        if submission.received_at > now + timedelta(minutes=1):
            errors.append(FieldError("received_at", "Time received must be now or in the past"))
        elif now - submission.received_at > OLDEST_RECEIVED:
            errors.append(FieldError("received_at", "Time received must be within the last year"))
        elif (
            now - submission.received_at > LATE_RECORDING_TOLERANCE
            and not submission.received_at_reason.strip()
        ):
            errors.append(
                FieldError(
                    "received_at_reason",
                    "Say why the contact is recorded later than it was received",
                )
            )

    referrer = submission.referrer
    if not referrer.anonymous:
        if referrer.source_code not in ReferralSource.values:
            errors.append(
                FieldError("referrer.source_code", "Select the referral source (CIN census code)")
            )
        if not referrer.name.strip():
            errors.append(
                FieldError(
                    "referrer.name", "Enter the referrer's name, or mark the contact as anonymous"
                )
            )
        if not referrer.email.strip() and not referrer.phone.strip():
            errors.append(
                FieldError(
                    "referrer.email",
                    "Enter an email address or phone number so the MASH can give feedback",
                )
            )
    if referrer.email.strip():
        try:
            validate_email(referrer.email.strip())
        except ValidationError:
            errors.append(
                FieldError("referrer.email", "Enter an email address like name@school.sch.uk")
            )

    if not submission.people:
        errors.append(FieldError("people", "Add at least one child"))
    elif not any(person.role in CHILD_ROLES for person in submission.people):
        errors.append(
            FieldError("people", "At least one person must be a child the contact is about")
        )
    for index, person in enumerate(submission.people):
        errors.extend(_person_errors(person, f"people[{index}]", now))

    concerns = submission.concerns
    if not concerns.factor_codes:
        errors.append(
            FieldError("concerns.factor_codes", "Select at least one category of concern")
        )
    unknown = [code for code in concerns.factor_codes if code not in AssessmentFactor.values]
    if unknown:
        errors.append(
            FieldError(
                "concerns.factor_codes",
                f"Unknown concern code {', '.join(unknown)}: use the CIN census assessment factor codes",
            )
        )
    if not concerns.description.strip():
        errors.append(FieldError("concerns.description", "Describe the concern"))
    if concerns.immediate_risk is None:
        errors.append(
            FieldError("concerns.immediate_risk", "Say whether a child is at immediate risk")
        )
    if concerns.referrer_level_of_need is not None and concerns.referrer_level_of_need not in range(
        1, 5
    ):
        errors.append(
            FieldError("concerns.referrer_level_of_need", "Level of need must be 1, 2, 3 or 4")
        )

    consent = submission.consent
    if consent.status not in ConsentStatus.values:
        errors.append(
            FieldError(
                "consent.status",
                "Select whether consent was given, not sought, or refused and overridden",
            )
        )
    elif consent.status != ConsentStatus.GIVEN and not consent.reason.strip():
        errors.append(
            FieldError("consent.reason", "Say why consent was not sought or was overridden")
        )
    if consent.lawful_basis not in LawfulBasis.values:
        errors.append(FieldError("consent.lawful_basis", "Select the lawful basis for sharing"))
    return errors


def person_errors(person: PersonDetails, *, now: datetime) -> list[FieldError]:
    """Every way one person's details fall short, by the same rules as at intake, each
    naming its field without a path (`nhs_number`, `address.postcode`): for a correction
    of a person already recorded (openmash.enquiries.services.corrections)."""
    return [
        *_nul_character_errors(person, ""),
        *_too_long_errors(person, ""),
        *_person_errors(person, "", now),
    ]
