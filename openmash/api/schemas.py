"""The JSON shapes of API v1. Types and lengths here; the MASH's rules in the service."""

from datetime import date, datetime
from typing import TYPE_CHECKING, Any, Literal, TypeAlias
from uuid import UUID

from ninja import Field, Schema
from pydantic import AwareDatetime, ConfigDict

from openmash.contacts.codes import (
    AssessmentFactor,
    Channel,
    ConsentStatus,
    ContactState,
    Disability,
    Ethnicity,
    LawfulBasis,
    PersonRole,
    ReferralSource,
    Sex,
)
from openmash.core.outbox import EventKind
from openmash.enquiries.models import CheckState, HandOnState, OnwardSharing

if TYPE_CHECKING:
    ChannelCode: TypeAlias = str
    SourceCode: TypeAlias = str
    FactorCode: TypeAlias = str
    RoleCode: TypeAlias = str
    SexCode: TypeAlias = str
    ConsentCode: TypeAlias = str
    LawfulBasisCode: TypeAlias = str
    StateCode: TypeAlias = str
    CheckStateCode: TypeAlias = str
    EventKindCode: TypeAlias = str
    OnwardSharingCode: TypeAlias = str
    HandOnStateCode: TypeAlias = str
    EthnicityCode: TypeAlias = str
    DisabilityCode: TypeAlias = str
else:
    # The national code lists, as enums in the OpenAPI schema.
    # The online portal is OpenMASH's own web form: an agency's system cannot say a
    # contact came through it.
    ChannelCode = Literal[tuple(value for value in Channel.values if value != Channel.PORTAL)]
    SourceCode = Literal[tuple(ReferralSource.values)]
    FactorCode = Literal[tuple(AssessmentFactor.values)]
    RoleCode = Literal[tuple(PersonRole.values)]
    SexCode = Literal[tuple(Sex.values)]
    ConsentCode = Literal[tuple(ConsentStatus.values)]
    LawfulBasisCode = Literal[tuple(LawfulBasis.values)]
    StateCode = Literal[tuple(ContactState.values)]
    CheckStateCode = Literal[tuple(CheckState.values)]
    EventKindCode = Literal[tuple(EventKind.values)]
    OnwardSharingCode = Literal[tuple(OnwardSharing.values)]
    HandOnStateCode = Literal[tuple(HandOnState.values)]
    EthnicityCode = Literal[tuple(Ethnicity.values)]
    DisabilityCode = Literal[tuple(Disability.values)]


# Python's whitespace (what str.strip() removes), spelled out so that a pattern means the
# same in every regular expression dialect: JSON Schema's \s is ECMAScript's, which differs.
SPACE = (
    "\\t\\n\\x0b\\x0c\\r\\x1c-\\x1f \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029"
    "\\u202f\\u205f\\u3000"
)
# Text a person wrote, as the services check it: something besides spaces, and no NUL
# character (no record may store one). Stated in the schema only; the service says what is
# wrong in words a developer can act on.
WRITTEN_TEXT = f"^[{SPACE}]*[^{SPACE}\\x00][^\\x00]*$"
# Any other text: no NUL character.
NO_NUL = "^[^\\x00]*$"


def text(
    default: Any = "",
    *,
    max_length: int,
    min_length: int | None = None,
    description: str | None = None,
    written: bool = False,
) -> Any:
    """A text field of a request: its length checked here, and in the schema also the
    rule the service checks for every text (no NUL character) or, if `written`, for text
    that must say something (not only spaces)."""
    return Field(
        default,
        max_length=max_length,
        min_length=min_length,
        description=description,
        json_schema_extra={"pattern": WRITTEN_TEXT if written else NO_NUL},
    )


class StrictSchema(Schema):
    model_config = ConfigDict(extra="forbid")


class AddressIn(StrictSchema):
    line1: str = text(max_length=200)
    line2: str = text(max_length=200)
    town: str = text(max_length=100)
    postcode: str = text(max_length=10, description="UK postcode, e.g. SW1A 1AA")


class ReferrerIn(StrictSchema):
    name: str = text(max_length=200)
    role: str = text(max_length=200)
    organisation: str = text(max_length=200)
    email: str = text(max_length=254)
    phone: str = text(max_length=40)
    source_code: SourceCode | None = Field(None, description="CIN census referral source code")
    anonymous: bool = False


class PersonIn(StrictSchema):
    role: RoleCode
    given_names: str = text(max_length=200)
    family_name: str = text(max_length=200)
    other_names: str = text(max_length=500)
    date_of_birth: date | None = None
    estimated_age: int | None = Field(None, ge=0, le=120)
    expected_birth_date: date | None = None
    sex: SexCode
    address: AddressIn | None = None
    nhs_number: str = text(max_length=20, description="10 digits; spaces allowed")
    upn: str = text(max_length=20, description="Unique pupil number, 13 characters")
    ethnicity: EthnicityCode | None = Field(
        None, description="The Department for Education's census ethnicity code, if known"
    )
    first_language: str = text(max_length=100, description="First language, if known")
    disability: DisabilityCode | None = Field(
        None, description="Whether the person has a disability: yes, no or unknown"
    )
    school_urn: str = text(
        max_length=10, description="The school's or setting's URN: 6 digits, like 100000"
    )
    gp_practice: str = text(
        max_length=10,
        description="The GP practice's ODS code: a letter and 5 digits, like A12345",
    )


class ConcernsIn(StrictSchema):
    factor_codes: list[FactorCode] = Field(..., min_length=1, max_length=50)
    description: str = text(
        ..., min_length=1, max_length=20000, written=True, description="What the concern is"
    )
    immediate_risk: bool
    referrer_level_of_need: int | None = Field(None, ge=1, le=4)


class ConsentIn(StrictSchema):
    status: ConsentCode
    reason: str = text(max_length=5000)
    lawful_basis: LawfulBasisCode


# A contact as a police system sends one: a valid request, in the description for client
# developers (and the request schemathesis's examples phase sends first).
CONTACT_EXAMPLE: dict[str, Any] = {
    "channel": "api",
    "referrer": {
        "name": "PC Dan Reid",
        "role": "Police officer",
        "organisation": "Demo County Police",
        "email": "dan.reid@police.example",
        "source_code": "6",
    },
    "people": [
        {
            "role": "subject_child",
            "given_names": "Liam",
            "family_name": "Jones",
            "estimated_age": 6,
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


class ContactIn(StrictSchema):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [CONTACT_EXAMPLE]})

    received_at: AwareDatetime | None = Field(
        None, description="When the contact was received, with a time zone; defaults to now"
    )
    received_at_reason: str = text(max_length=500)
    channel: ChannelCode = "api"
    referrer: ReferrerIn
    people: list[PersonIn] = Field(..., min_length=1, max_length=20)
    concerns: ConcernsIn
    consent: ConsentIn


class ContactCreated(Schema):
    id: int
    reference: str
    state: StateCode


class PersonOut(Schema):
    role: str
    given_names: str
    family_name: str
    date_of_birth: date | None
    estimated_age: int | None
    expected_birth_date: date | None
    sex: str
    ethnicity: str = Field(description="Census ethnicity code; empty when not given")
    first_language: str
    disability: str = Field(description="yes, no, unknown; empty when not given")
    school_urn: str
    gp_practice: str


class AdditionIn(Schema):
    text: str = Field(
        ...,
        max_length=5000,
        description=(
            "What the referrer has learned since making the contact (up to 5,000 characters; "
            "not only spaces; no NUL character)"
        ),
        json_schema_extra={"pattern": WRITTEN_TEXT},
    )


class AdditionOut(Schema):
    id: int
    text: str
    added_at: datetime


class ContactOut(Schema):
    id: int
    reference: str
    state: StateCode
    received_at: datetime
    channel: str
    referral_source: str
    immediate_risk: bool
    factor_codes: list[str]
    additions: list[AdditionOut] = Field(
        default_factory=list, description="Information the referrer added since, oldest first"
    )
    people: list[PersonOut]


class FieldErrorOut(Schema):
    field: str = Field(..., description="Where the problem is, e.g. people[0].nhs_number")
    message: str = Field(..., description="What is wrong and how to fix it")


class ErrorsOut(Schema):
    errors: list[FieldErrorOut]


class MessageOut(Schema):
    detail: str


# --- Agency checks: a partner agency's system answers the checks asked of it ----------


class AddressOut(Schema):
    line1: str
    line2: str
    town: str
    postcode: str


class CheckPersonOut(Schema):
    """A person the agency is asked to search its records for."""

    id: int = Field(..., description="Send it back as person_id with the finding")
    role: str
    given_names: str
    family_name: str
    other_names: str = Field(..., description="Aliases, previous surnames, other spellings")
    date_of_birth: date | None
    estimated_age: int | None
    expected_birth_date: date | None
    sex: str
    address: AddressOut
    nhs_number: str
    upn: str


class ConcernsOut(Schema):
    factor_codes: list[str] = Field(..., description="CIN assessment factor codes")
    factor_labels: list[str]
    description: str
    immediate_risk: bool


class FindingOut(Schema):
    person_id: int
    known: bool
    summary: str
    risk_indicators: str
    last_involvement_on: date | None
    lawful_basis: LawfulBasisCode
    restricted_information: str
    summary_restricted: bool
    onward_sharing: OnwardSharingCode
    onward_summary: str
    onward_lawful_basis: str


class CheckOut(Schema):
    id: int
    contact_reference: str
    state: CheckStateCode
    rag: str | None = Field(..., description="The RAG level's code, e.g. red, amber, green")
    rag_label: str | None
    requested_at: datetime
    deadline_at: datetime = Field(..., description="When the agency's findings are due")
    completed_at: datetime | None
    people: list[CheckPersonOut]
    concerns: ConcernsOut
    findings: list[FindingOut] = Field(
        ..., description="Your agency's own findings, once recorded; never another agency's"
    )


class CheckListOut(Schema):
    count: int = Field(
        ..., description="How many of your agency's checks are open in all: the same on every page"
    )
    checks: list[CheckOut] = Field(..., description="This page's checks, due first")


class FindingIn(StrictSchema):
    person_id: int = Field(..., ge=1, le=2**63 - 1, description="A person's id from the check")
    known: bool = Field(..., description="Whether the person is known to your agency")
    summary: str = text(max_length=20000, description="What is known; needed if known")
    risk_indicators: str = text(max_length=20000)
    last_involvement_on: date | None = Field(None, description="Today or in the past")
    lawful_basis: LawfulBasisCode
    restricted_information: str = text(
        max_length=20000, description="Held in the MASH only, never disclosed outside it"
    )
    summary_restricted: bool = Field(
        False, description="The whole summary must not be disclosed outside the MASH"
    )
    onward_sharing: OnwardSharingCode = Field(
        "none",
        description="Whether the team the MASH hands the case to may see this finding: "
        "full (summary, risk indicators, date), summary (onward_summary only) or none",
    )
    onward_summary: str = text(
        max_length=20000, description="What the receiving team may see; needed for summary"
    )
    onward_lawful_basis: LawfulBasisCode | Literal[""] = Field(
        "", description="The lawful basis for sharing it onward; needed for full or summary"
    )


class FindingsIn(StrictSchema):
    findings: list[FindingIn] = Field(
        ..., min_length=1, max_length=20, description="One finding for each person in the check"
    )


class ChildOutcomeOut(Schema):
    """One child's outcome, as the referrer is told it."""

    person_id: int
    given_names: str
    family_name: str
    outcome: str
    outcome_code: str
    next_steps: str
    hand_on_state: HandOnStateCode | None = Field(
        None, description="Once this child is handed on: pending, accepted or returned"
    )
    receiving_team: str | None = Field(None, description="The team this child was handed to")
    named_contact: str | None = Field(None, description="The worker the team named, once accepted")
    named_contact_details: str | None = None


class OutcomeOut(Schema):
    """What the MASH decided about a contact your agency submitted: never what the
    agencies found. A contact about several children has an outcome for each (children);
    outcome, outcome_code and next_steps are then the most serious child's."""

    id: int
    reference: str
    state: StateCode
    outcome: str | None = Field(..., description="The current decision's outcome, once decided")
    outcome_code: str | None
    next_steps: str | None
    decided_at: datetime | None
    hand_on_state: HandOnStateCode | None = Field(
        None,
        description="Once handed on: pending, accepted, or returned (to the MASH, which "
        "reviews its decision); null if the MASH closed the contact itself",
    )
    receiving_team: str | None = Field(None, description="The team the case was handed to")
    responded_at: datetime | None = Field(None, description="When the team accepted or returned it")
    named_contact: str | None = Field(
        None, description="The worker the team allocated, once accepted, if it named one"
    )
    named_contact_details: str | None = Field(
        None, description="How to reach them (a phone number or team inbox), if given"
    )
    children: list[ChildOutcomeOut] = Field(
        default_factory=list,
        description="Each child's outcome, once decided (the same for every child unless the "
        "MASH decided them one by one), and the team acting for them",
    )


# --- Agency index feeds: a partner agency's system sends the people it knows ----------

MAX_INDEX_RECORDS_PER_REQUEST = 5000
if TYPE_CHECKING:
    ImportModeCode: TypeAlias = str
else:
    ImportModeCode = Literal["replace", "delta"]


class IndexRecordIn(StrictSchema):
    """One person your agency knows: who they are and a pointer to your involvement.

    The fields and rules of the CSV feed (see the upload page); every record is checked
    and every error reported, so lengths and formats are checked there, not here."""

    source_id: str | None = Field(
        None, description="Required: your system's id for the record; unique in the request"
    )
    given_names: str | None = Field(None, description="A given or a family name is required")
    family_name: str | None = None
    other_names: str | None = Field(None, description="Aliases, previous surnames; ; or , between")
    date_of_birth: str | None = Field(
        None, description="YYYY-MM-DD (or DD/MM/YYYY); not in the future"
    )
    sex: str | None = Field(None, description="M, F or U (unknown)")
    address: str | None = Field(None, description="The address as one line, up to 500 characters")
    postcode: str | None = Field(
        None, description="UK postcode; an invalid one is kept, not matched"
    )
    nhs_number: str | None = Field(
        None, description="10 digits; an invalid one is kept, not matched"
    )
    upn: str | None = Field(
        None, description="Unique pupil number; an invalid one is kept, not matched"
    )
    involvement: str | None = Field(
        None,
        description=(
            "A short pointer to your involvement, never the record itself, up to 500 "
            'characters: e.g. "3 domestic abuse call-outs, latest 2026-10-01; see case ref X"'
        ),
    )


# One record as an agency's system sends it: a valid request, for the description.
INDEX_IMPORT_EXAMPLE: dict[str, Any] = {
    "mode": "delta",
    "records": [
        {
            "source_id": "PN-1",
            "given_names": "Amy",
            "family_name": "Smith",
            "date_of_birth": "2018-03-14",
            "sex": "F",
            "address": "1 High Street, Eastbridge",
            "postcode": "DC1 4AB",
            "nhs_number": "943 476 5919",
            "involvement": "3 domestic abuse call-outs, latest 2026-10-01; see case ref X",
        }
    ],
}


class IndexImportIn(StrictSchema):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [INDEX_IMPORT_EXAMPLE]}
    )

    mode: ImportModeCode = Field(
        ...,
        description=(
            "replace: your agency's index becomes exactly these records (others are removed, "
            "or withdrawn if a screener confirmed a match to them); delta: add and update "
            "these records only"
        ),
    )
    records: list[IndexRecordIn] = Field(
        ..., min_length=1, max_length=MAX_INDEX_RECORDS_PER_REQUEST
    )


class FeedErrorOut(Schema):
    row: int | None = Field(
        ...,
        description=(
            "The record's position in `records` (from 0) for an import sent through the API; "
            "the CSV row (the header is row 1) for an uploaded file; null for the whole file"
        ),
    )
    field: str
    message: str


class IndexImportOut(Schema):
    id: int
    agency: str = Field(..., description="The agency's slug")
    mode: ImportModeCode
    applied: bool = Field(..., description="False if any record had an error: nothing changed")
    rows: int
    added: int
    updated: int
    removed: int
    withdrawn: int = Field(
        ...,
        description=(
            "Records not in a replace file that a screener had confirmed as a match: kept, "
            "marked as no longer held, and never offered as a new match"
        ),
    )
    uploaded_at: datetime
    warnings: dict[str, int] = Field(
        ...,
        description=(
            "How many NHS numbers, UPNs and postcodes failed validation (kept as given, not "
            "used for matching)"
        ),
    )
    errors: list[FeedErrorOut]


class IndexImportErrorsOut(Schema):
    import_id: int | None = Field(
        None,
        description=(
            "The import recorded, not applied, when the records were read and checked; "
            "absent when the request itself was not of the documented shape"
        ),
    )
    errors: list[FieldErrorOut]


# --- Events: what the MASH tells a receiving team's or agency's own system -------------


class EventOut(Schema):
    """One event, exactly as the webhook sent to your endpoint carries it."""

    id: UUID = Field(..., description="The event's id: the same on every delivery and here")
    sequence: int = Field(..., description="Its place in the feed: pass it as `after`")
    kind: EventKindCode
    # A string, so the feed gives it exactly as the webhook's body did.
    created_at: str = Field(..., json_schema_extra={"format": "date-time"})
    data: dict[str, Any] = Field(
        ...,
        description=(
            "What your agency may see. hand_on.*: hand_on_id, decision_id, contact_id, "
            "contact_reference, state, receiving_team, level_of_need, outcome, children "
            "(name, date of birth, NHS number, address), decided_at, handed_on_at, "
            "responded_at, deadline_at (when the team should accept or return it), "
            "overdue (waiting and past it when the event was written) and summary (the "
            "MASH summary). decision.*: decision_id, "
            "amends_decision_id, contact_id, contact_reference, level_of_need, outcome, "
            "receiving_team, decided_at. outcome.sent_to_referrer: contact_id, "
            "contact_reference, outcome, next_steps, amended, decided_at. "
            "strategy_discussion.* (to each invited agency and to children's social care): "
            "discussion_id, contact_id, contact_reference, state, invited, raised (origin, "
            "at; reason only if your agency is invited), children (name, date of birth), "
            "schedule (scheduled_for, place, call_link, chair), invitees (agency, person, "
            "invited_at, attendance), minutes (only if your agency is invited; else null), "
            "decision, and actions (your agency's own only). strategy_action.added|done (to "
            "the owning agency only): action and discussion, as above. Never what the "
            "agencies found, nor the decision's rationale."
        ),
    )


class EventFeedOut(Schema):
    events: list[EventOut]
    next_cursor: int = Field(
        ..., description="Pass as `after` for the next events (the same if there were none)"
    )
    has_more: bool = Field(..., description="True if more events wait after next_cursor")


class SharedFindingOut(Schema):
    agency: str
    person: str
    text: str = Field(..., description="As the agency released it: in full or its summary")
    sharing: OnwardSharingCode
    lawful_basis: str = Field(..., description="The lawful basis for sharing it onward")


class HandedOnChildOut(Schema):
    """A child the hand-on concerns, with their own outcome."""

    person_id: int
    name: str
    outcome: str
    outcome_code: str
    next_steps: str
    level_of_need: str
    receiving_team: str


class MashSummaryOut(Schema):
    """Exactly what the receiving team may see of the MASH's work on the case. outcome,
    outcome_code and level_of_need are the most serious of the children it concerns."""

    outcome: str
    outcome_code: str
    next_steps: str
    level_of_need: str
    receiving_team: str
    decided_at: datetime
    decided_by: str
    summary: str
    worker_risks: str = Field(..., description="Risks to workers visiting the home")
    findings: list[SharedFindingOut]
    rationale: str | None = Field(
        ..., description="Only if the MASH manager chose to share it; otherwise null"
    )
    children: list[HandedOnChildOut] = Field(
        default_factory=list,
        description="The children handed on to your team, each with their own outcome "
        "(a sibling the MASH decided otherwise is not among them)",
    )


class HandOnOut(Schema):
    id: int
    contact_reference: str
    team: str
    state: HandOnStateCode
    created_at: datetime
    responded_at: datetime | None
    deadline_at: datetime = Field(
        ...,
        description="When your team should accept or return it (the area's acceptance "
        "timescale from created_at)",
    )
    overdue: bool = Field(..., description="Waiting for your team and past deadline_at, now")
    allocated_worker: str
    worker_contact: str
    summary: MashSummaryOut


class HandOnListOut(Schema):
    hand_ons: list[HandOnOut]
