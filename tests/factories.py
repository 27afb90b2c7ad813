"""Builders for valid test data; each test changes only what it is about."""

from datetime import date, timedelta
from typing import Any

from openmash.contacts.codes import ConsentStatus, LawfulBasis, PersonRole
from openmash.contacts.submission import (
    Address,
    ConcernDetails,
    ConsentDetails,
    ContactSubmission,
    PersonDetails,
    ReferrerDetails,
)

VALID_NHS_NUMBER = "9434765919"
VALID_UPN = "H801200001001"


def a_child(**overrides: Any) -> PersonDetails:
    values: dict[str, Any] = {
        "role": PersonRole.SUBJECT_CHILD,
        "given_names": "Amy",
        "family_name": "Smith",
        "date_of_birth": date.today() - timedelta(days=8 * 365),
        "sex": "F",
        "address": Address(line1="1 High Street", town="Eastbridge", postcode="DC1 4AB"),
        "nhs_number": VALID_NHS_NUMBER,
    }
    values.update(overrides)
    return PersonDetails(**values)


def a_parent(**overrides: Any) -> PersonDetails:
    values: dict[str, Any] = {
        "role": PersonRole.PARENT_CARER,
        "given_names": "Karen",
        "family_name": "Smith",
        "date_of_birth": date(1988, 4, 2),
        "sex": "F",
    }
    values.update(overrides)
    return PersonDetails(**values)


def a_submission(**overrides: Any) -> ContactSubmission:
    values: dict[str, Any] = {
        "channel": "phone",
        "referrer": ReferrerDetails(
            name="Jo Bennett",
            role="Designated safeguarding lead",
            organisation="Riverside Primary School",
            email="jo.bennett@riverside.sch.uk",
            source_code="2A",
        ),
        "people": [a_child(), a_parent()],
        "concerns": ConcernDetails(
            factor_codes=["16A", "4B"],
            description="Amy arrives hungry and says mum stays in bed all day.",
            immediate_risk=False,
            referrer_level_of_need=2,
        ),
        "consent": ConsentDetails(
            status=ConsentStatus.GIVEN, lawful_basis=LawfulBasis.PUBLIC_TASK_SAFEGUARDING
        ),
    }
    values.update(overrides)
    return ContactSubmission(**values)


def api_payload(**overrides: Any) -> dict[str, Any]:
    """A valid body for POST /api/v1/contacts."""
    body: dict[str, Any] = {
        "channel": "api",
        "referrer": {
            "name": "PC Dan Reid",
            "role": "Police officer",
            "organisation": "Demo County Police",
            "email": "dan.reid@police.invalid",
            "source_code": "6",
        },
        "people": [
            {
                "role": "subject_child",
                "given_names": "Liam",
                "family_name": "Jones",
                "date_of_birth": (date.today() - timedelta(days=6 * 365)).isoformat(),
                "sex": "M",
                "address": {"line1": "4 Mill Road", "town": "Westford", "postcode": "DC2 5XY"},
                "nhs_number": "943 476 5919",
            },
            {
                "role": "parent_carer",
                "given_names": "Sarah",
                "family_name": "Jones",
                "date_of_birth": "1990-01-15",
                "sex": "F",
            },
        ],
        "concerns": {
            "factor_codes": ["3B"],
            "description": "Domestic incident overnight; Liam present.",
            "immediate_risk": False,
            "referrer_level_of_need": 3,
        },
        "consent": {
            "status": "not_sought",
            "reason": "Seeking consent could increase the risk to the child",
            "lawful_basis": "law_enforcement_safeguarding",
        },
    }
    body.update(overrides)
    return body
