"""The JSON shapes of API v1. Types and lengths here; the MASH's rules in the service."""

from datetime import date, datetime
from typing import TYPE_CHECKING, Literal, TypeAlias

from ninja import Field, Schema
from pydantic import AwareDatetime, ConfigDict

from openmash.contacts.codes import (
    AssessmentFactor,
    Channel,
    ConsentStatus,
    ContactState,
    LawfulBasis,
    PersonRole,
    ReferralSource,
    Sex,
)

if TYPE_CHECKING:
    ChannelCode: TypeAlias = str
    SourceCode: TypeAlias = str
    FactorCode: TypeAlias = str
    RoleCode: TypeAlias = str
    SexCode: TypeAlias = str
    ConsentCode: TypeAlias = str
    LawfulBasisCode: TypeAlias = str
    StateCode: TypeAlias = str
else:
    # The national code lists, as enums in the OpenAPI schema.
    ChannelCode = Literal[tuple(Channel.values)]
    SourceCode = Literal[tuple(ReferralSource.values)]
    FactorCode = Literal[tuple(AssessmentFactor.values)]
    RoleCode = Literal[tuple(PersonRole.values)]
    SexCode = Literal[tuple(Sex.values)]
    ConsentCode = Literal[tuple(ConsentStatus.values)]
    LawfulBasisCode = Literal[tuple(LawfulBasis.values)]
    StateCode = Literal[tuple(ContactState.values)]


class StrictSchema(Schema):
    model_config = ConfigDict(extra="forbid")


class AddressIn(StrictSchema):
    line1: str = Field("", max_length=200)
    line2: str = Field("", max_length=200)
    town: str = Field("", max_length=100)
    postcode: str = Field("", max_length=10, description="UK postcode, e.g. SW1A 1AA")


class ReferrerIn(StrictSchema):
    name: str = Field("", max_length=200)
    role: str = Field("", max_length=200)
    organisation: str = Field("", max_length=200)
    email: str = Field("", max_length=254)
    phone: str = Field("", max_length=40)
    source_code: SourceCode | None = Field(None, description="CIN census referral source code")
    anonymous: bool = False


class PersonIn(StrictSchema):
    role: RoleCode
    given_names: str = Field("", max_length=200)
    family_name: str = Field("", max_length=200)
    other_names: str = Field("", max_length=500)
    date_of_birth: date | None = None
    estimated_age: int | None = Field(None, ge=0, le=120)
    expected_birth_date: date | None = None
    sex: SexCode
    address: AddressIn | None = None
    nhs_number: str = Field("", max_length=20, description="10 digits; spaces allowed")
    upn: str = Field("", max_length=20, description="Unique pupil number, 13 characters")


class ConcernsIn(StrictSchema):
    factor_codes: list[FactorCode] = Field(..., min_length=1, max_length=50)
    description: str = Field(..., min_length=1, max_length=20000)
    immediate_risk: bool
    referrer_level_of_need: int | None = Field(None, ge=1, le=4)


class ConsentIn(StrictSchema):
    status: ConsentCode
    reason: str = Field("", max_length=5000)
    lawful_basis: LawfulBasisCode


class ContactIn(StrictSchema):
    received_at: AwareDatetime | None = Field(
        None, description="When the contact was received, with a time zone; defaults to now"
    )
    received_at_reason: str = Field("", max_length=500)
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


class ContactOut(Schema):
    id: int
    reference: str
    state: StateCode
    received_at: datetime
    channel: str
    referral_source: str
    immediate_risk: bool
    factor_codes: list[str]
    people: list[PersonOut]


class FieldErrorOut(Schema):
    field: str = Field(..., description="Where the problem is, e.g. people[0].nhs_number")
    message: str = Field(..., description="What is wrong and how to fix it")


class ErrorsOut(Schema):
    errors: list[FieldErrorOut]


class MessageOut(Schema):
    detail: str
