"""API v1: agencies' systems submit contacts and follow their state.

Every operation declares its permission with `permission(...)`; a test fails
any operation without one.
"""

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

import rules
from django.http import Http404, HttpRequest, HttpResponse
from ninja import Header, NinjaAPI, Path
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.security import HttpBearer

from openmash.accounts.models import ApiToken
from openmash.accounts.services import api_token_authenticate
from openmash.api.schemas import (
    ContactCreated,
    ContactIn,
    ContactOut,
    ErrorsOut,
    MessageOut,
    PersonOut,
)
from openmash.contacts.selectors import contact_get_by_id_for_token
from openmash.contacts.services import ContactInvalid, IdempotencyKeyReused, contact_create
from openmash.contacts.submission import (
    Address,
    ConcernDetails,
    ConsentDetails,
    ContactSubmission,
    PersonDetails,
    ReferrerDetails,
)
from openmash.core.audit import Actor

Operation = TypeVar("Operation", bound=Callable[..., Any])
MAX_ID = 2**63 - 1


class AgencySystemAuth(HttpBearer):
    openapi_description = (
        "A token issued with `manage.py issue_api_token --agency <slug> --name <system>`"
    )

    def authenticate(self, request: HttpRequest, token: str) -> ApiToken | None:
        return api_token_authenticate(token) if token else None


api = NinjaAPI(
    title="OpenMASH API",
    version="1.0.0",
    description="Submit safeguarding contacts to the MASH and follow their state.",
    urls_namespace="api-v1",
    auth=AgencySystemAuth(),
    docs_url="/docs",
)


def permission(name: str) -> Callable[[Operation], Operation]:
    """Declares the permission an operation needs and checks it against the caller's token."""

    def decorate(operation: Operation) -> Operation:
        @wraps(operation)
        def checked(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
            if not rules.has_perm(name, request.auth):  # type: ignore[attr-defined]
                raise HttpError(403, "This token may not do that.")
            return operation(request, *args, **kwargs)

        checked.openmash_permission = name  # type: ignore[attr-defined]
        return checked  # type: ignore[return-value]

    return decorate


def _error_path(location: list[Any]) -> str:
    parts = [
        part for part in location if part not in ("body", "payload", "header", "path", "query")
    ]
    path = ""
    for part in parts:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else str(part)
    return path or "body"


@api.exception_handler(ValidationError)
def validation_errors(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    errors = [
        {
            "field": _error_path(list(error.get("loc", []))),
            "message": str(error.get("msg", "Invalid")),
        }
        for error in exc.errors
    ]
    return api.create_response(request, {"errors": errors}, status=422)


@api.exception_handler(AuthenticationError)
def unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    response = api.create_response(
        request, {"detail": "Send a valid token: Authorization: Bearer <token>"}, status=401
    )
    response["WWW-Authenticate"] = "Bearer"
    return response


@api.exception_handler(Http404)
def not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return api.create_response(request, {"detail": "Not found"}, status=404)


def _submission(payload: ContactIn) -> ContactSubmission:
    return ContactSubmission(
        channel=payload.channel,
        received_at=payload.received_at,
        received_at_reason=payload.received_at_reason,
        referrer=ReferrerDetails(
            name=payload.referrer.name,
            role=payload.referrer.role,
            organisation=payload.referrer.organisation,
            email=payload.referrer.email,
            phone=payload.referrer.phone,
            source_code=payload.referrer.source_code or "",
            anonymous=payload.referrer.anonymous,
        ),
        people=[
            PersonDetails(
                role=person.role,
                given_names=person.given_names,
                family_name=person.family_name,
                other_names=person.other_names,
                date_of_birth=person.date_of_birth,
                estimated_age=person.estimated_age,
                expected_birth_date=person.expected_birth_date,
                sex=person.sex,
                address=Address(**person.address.dict()) if person.address else Address(),
                nhs_number=person.nhs_number,
                upn=person.upn,
            )
            for person in payload.people
        ],
        concerns=ConcernDetails(
            factor_codes=list(payload.concerns.factor_codes),
            description=payload.concerns.description,
            immediate_risk=payload.concerns.immediate_risk,
            referrer_level_of_need=payload.concerns.referrer_level_of_need,
        ),
        consent=ConsentDetails(
            status=payload.consent.status,
            reason=payload.consent.reason,
            lawful_basis=payload.consent.lawful_basis,
        ),
    )


@api.post(
    "/contacts",
    response={
        201: ContactCreated,
        200: ContactCreated,
        401: MessageOut,
        403: MessageOut,
        422: ErrorsOut,
    },
    summary="Submit a contact",
    description=(
        "Records a safeguarding contact as received. Send an Idempotency-Key header to make "
        "retries safe: the same key returns the first contact (200) instead of creating another."
    ),
)
@permission("api.submit_contact")
def create_contact(
    request: HttpRequest,
    payload: ContactIn,
    idempotency_key: str = Header("", alias="Idempotency-Key", max_length=200),
) -> tuple[int, dict[str, Any]]:
    actor = Actor.from_request(request, token=request.auth)  # type: ignore[attr-defined]
    if "\x00" in idempotency_key:
        return 422, {
            "errors": [
                {
                    "field": "Idempotency-Key",
                    "message": "Remove the NUL character (\\x00): the key cannot contain it",
                }
            ]
        }
    try:
        contact, created = contact_create(
            actor=actor, submission=_submission(payload), idempotency_key=idempotency_key.strip()
        )
    except ContactInvalid as invalid:
        return 422, {"errors": [{"field": e.field, "message": e.message} for e in invalid.errors]}
    except IdempotencyKeyReused:
        return 422, {
            "errors": [
                {
                    "field": "Idempotency-Key",
                    "message": "This key was used for a different contact: use a new key for a new contact",
                }
            ]
        }
    body = {"id": contact.pk, "reference": contact.reference, "state": contact.state}
    return (201 if created else 200), body


@api.get(
    "/contacts/{contact_id}",
    response={200: ContactOut, 401: MessageOut, 403: MessageOut, 404: MessageOut},
    summary="A contact your agency submitted, with its state",
)
@permission("api.view_own_contact")
def get_contact(
    request: HttpRequest, contact_id: int = Path(..., ge=1, le=MAX_ID)
) -> dict[str, Any]:
    actor = Actor.from_request(request, token=request.auth)  # type: ignore[attr-defined]
    contact = contact_get_by_id_for_token(actor=actor, contact_id=contact_id)
    return {
        "id": contact.pk,
        "reference": contact.reference,
        "state": contact.state,
        "received_at": contact.received_at,
        "channel": contact.channel,
        "referral_source": contact.referral_source,
        "immediate_risk": contact.immediate_risk,
        "factor_codes": contact.factor_codes,
        "people": [PersonOut.from_orm(person).dict() for person in contact.people.all()],
    }
