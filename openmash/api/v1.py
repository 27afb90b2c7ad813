"""API v1: agencies' systems submit contacts and follow their state and outcome; partner
agencies' systems answer the checks the MASH asks of them; a receiving team's system
(early help, children's social care) reads the cases handed to it, as the MASH summary.

1.4.0 (issue 14): the description lists every answer an operation can give (400, 401 with
WWW-Authenticate, 403, 422, 429 with Retry-After; 404, 409 and 413 where they apply), the
text rules and an example request; a query parameter an operation does not take, or one
given twice, is answered 422 instead of ignored; the 422 of an index import not of the
documented shape has no import_id, as documented. Tested with schemathesis (ADR 0024).

1.3.0 (issue 12): a hand-on carries its acceptance deadline_at and whether it is overdue;
the event feed carries strategy discussion events (strategy_discussion.*, strategy_action.*)
for invited agencies and children's social care.

1.2.0 (issue 12): findings carry onward_sharing, onward_summary and onward_lawful_basis
(not sent: not shared onward); GET /hand-ons and /hand-ons/{id}; a contact's outcome says
whether the team accepted it (hand_on_state, receiving_team, responded_at) and its named
contact.

Every operation declares its permission with `permission(...)`; a test fails
any operation without one.
"""

import inspect
import typing
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

import rules
from django.core.exceptions import RequestDataTooBig
from django.db.models import Prefetch, prefetch_related_objects
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from ninja import Header, NinjaAPI, Path, Query
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.params.models import Query as QueryParam
from ninja.security import HttpBearer

from openmash.accounts.models import ApiToken
from openmash.accounts.services import api_token_authenticate
from openmash.accounts.throttle import ApiThrottled, api_bad_token_count, api_token_count
from openmash.api.schemas import (
    AdditionIn,
    AdditionOut,
    CheckListOut,
    CheckOut,
    ContactCreated,
    ContactIn,
    ContactOut,
    ErrorsOut,
    EventFeedOut,
    FindingsIn,
    HandOnListOut,
    HandOnOut,
    IndexImportErrorsOut,
    IndexImportIn,
    IndexImportOut,
    MessageOut,
    OutcomeOut,
    PersonOut,
)
from openmash.area.models import HandOnTeam
from openmash.contacts.models import ContactPerson
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
from openmash.core.client_address import client_address
from openmash.core.error_pages import too_large_response
from openmash.core.overdue import is_overdue
from openmash.enquiries.child_outcomes import ToldToReferrer, told_to_referrer
from openmash.enquiries.models import AgencyCheck, HandOn, HandOnState
from openmash.enquiries.selectors.checks import (
    CHECKS_PER_PAGE,
    check_get_for_agency,
    check_page_for_agency,
    check_person_ids,
    contact_outcome_for_agency,
)
from openmash.enquiries.selectors.decisions import hand_on_for_token, hand_ons_for_token
from openmash.enquiries.selectors.outcomes import contact_additions_for
from openmash.enquiries.selectors.summary import hand_on_summary
from openmash.enquiries.services.additions import (
    AdditionInvalid,
    ContactNotOpen,
    contact_add_information,
)
from openmash.enquiries.services.checks import FindingInput, check_record_findings
from openmash.enquiries.services.guards import EnquiryInvalid
from openmash.enquiries.workflow import IllegalTransition
from openmash.events.delivery import event_document
from openmash.events.selectors import FEED_LIMIT, FEED_MAX_LIMIT, event_feed_for_agency
from openmash.linkage.feeds import FILE, feed_from_records
from openmash.linkage.models import IndexImport
from openmash.linkage.selectors import index_import_get
from openmash.linkage.services import import_warnings, index_import_apply

Operation = TypeVar("Operation", bound=Callable[..., Any])
MAX_ID = 2**63 - 1


class AgencySystemAuth(HttpBearer):
    openapi_description = (
        "A token issued with `manage.py issue_api_token --agency <slug> --name <system>`"
    )

    def authenticate(self, request: HttpRequest, token: str) -> ApiToken | None:
        # Rate limits (openmash/accounts/throttle.py): each token's requests a minute; and
        # an address sending wrong tokens is answered 429 once past its limit. A right
        # token is looked up first, so a system behind the same address as someone
        # guessing keeps working (within its own limit).
        found = api_token_authenticate(token) if token else None
        if found is None:
            api_bad_token_count(address=client_address(request))
            return None
        api_token_count(token_id=found.pk)
        return found


api = NinjaAPI(
    title="OpenMASH API",
    version="1.4.0",
    description=(
        "Submit safeguarding contacts to the MASH and follow their state and outcome; "
        "as a MASH partner agency, answer the checks the MASH asks of your agency and send "
        "your agency's person index feed; as a receiving team, read the cases handed to "
        "your team, each as the MASH summary only; as a receiving team or referring "
        "agency, read the events for your agency."
    ),
    urls_namespace="api-v1",
    auth=AgencySystemAuth(),
    docs_url="/docs",
)


def _declared_query(operation: Callable[..., Any]) -> tuple[frozenset[str], frozenset[str]]:
    """The names of the query parameters `operation` declares, and of those among them
    that may be given more than once (a list)."""
    names, lists = set(), set()
    for name, parameter in inspect.signature(operation).parameters.items():
        if isinstance(parameter.default, QueryParam):
            names.add(parameter.default.alias or name)
            if typing.get_origin(parameter.annotation) is list:
                lists.add(parameter.default.alias or name)
    return frozenset(names), frozenset(lists)


def _query_errors(
    request: HttpRequest, declared: frozenset[str], lists: frozenset[str]
) -> list[dict[str, str]]:
    """A query parameter the operation does not declare, or a single one given twice, is an
    error, not ignored: the client would otherwise believe it had been applied (a second
    `page` would silently lose to the first)."""
    errors = []
    for key, values in request.GET.lists():
        if key not in declared:
            allowed = ", ".join(sorted(declared)) or "none"
            errors.append(
                {
                    "field": key,
                    "message": f"Unknown query parameter: this operation takes {allowed}",
                }
            )
        elif len(values) > 1 and key not in lists:
            errors.append({"field": key, "message": "Give this query parameter once"})
    return errors


def permission(name: str) -> Callable[[Operation], Operation]:
    """Declares the permission an operation needs and checks it against the caller's token;
    then refuses (422) a query parameter the operation does not declare or one given twice."""

    def decorate(operation: Operation) -> Operation:
        declared, lists = _declared_query(operation)

        @wraps(operation)
        def checked(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
            if not rules.has_perm(name, request.auth):  # type: ignore[attr-defined]
                raise HttpError(403, "This token may not do that.")
            errors = _query_errors(request, declared, lists)
            if errors:
                return 422, {"errors": errors}
            return operation(request, *args, **kwargs)

        checked.openmash_permission = name  # type: ignore[attr-defined]
        return checked  # type: ignore[return-value]

    return decorate


def answers(own: dict[int, Any], *, with_body: bool = False) -> dict[int, Any]:
    """An operation's documented answers: its own, and those any operation may give.

    400: the request could not be read (a body that is not JSON; a request Django refuses);
    401: no token or a wrong one (with WWW-Authenticate); 403: the token's agency may not do
    this; 422: a field, path or query parameter is wrong (each error names it); 429: past a
    rate limit (with Retry-After); and 413 for a body over the size limit."""
    common: dict[int, Any] = {
        400: MessageOut,
        401: MessageOut,
        403: MessageOut,
        422: ErrorsOut,
        429: MessageOut,
    }
    if with_body:
        common[413] = MessageOut
    return {**common, **own}


# The headers two of those answers carry, for every operation's description.
ANSWER_HEADERS: dict[str, Any] = {
    "responses": {
        401: {
            "headers": {
                "WWW-Authenticate": {
                    "description": "Bearer: send a token as Authorization: Bearer <token>",
                    "required": True,
                    "schema": {"type": "string"},
                }
            }
        },
        429: {
            "headers": {
                "Retry-After": {
                    "description": "How many seconds to wait before trying again",
                    "required": True,
                    "schema": {"type": "integer", "minimum": 1},
                }
            }
        },
    }
}


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


@api.exception_handler(ApiThrottled)
def throttled(request: HttpRequest, exc: ApiThrottled) -> HttpResponse:
    response = api.create_response(request, {"detail": exc.reason}, status=429)
    response["Retry-After"] = str(exc.retry_after)
    return response


@api.exception_handler(RequestDataTooBig)
def too_large(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
    # A body over DATA_UPLOAD_MAX_MEMORY_SIZE: a clear 413, never a traceback.
    return too_large_response(request)


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
                ethnicity=person.ethnicity or "",
                first_language=person.first_language,
                disability=person.disability or "",
                school_urn=person.school_urn,
                gp_practice=person.gp_practice,
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
    response=answers({201: ContactCreated, 200: ContactCreated}, with_body=True),
    openapi_extra=ANSWER_HEADERS,
    summary="Submit a contact",
    description=(
        "Records a safeguarding contact as received. Send an Idempotency-Key header to make "
        "retries safe: the same key returns the first contact (200) instead of creating "
        "another; the same key with a different contact is 422.\n\n"
        "Besides the shapes and lengths in the schema, these rules are checked and each "
        "broken one answered 422 naming its field: received_at is now or in the past, within "
        "the last year, with received_at_reason if more than 15 minutes ago; unless the referrer is "
        "anonymous, referrer source_code, name, and an email or phone; an email is a real "
        "address; at least one person is a child the contact is about, and each child has a "
        "date_of_birth, estimated_age or (unborn) expected_birth_date, and is under 18; each "
        "person has a given or family name, at most one of date_of_birth, estimated_age and "
        "expected_birth_date, a date of birth in the past (within 120 years), an expected "
        "date within the next 42 weeks; nhs_number has a valid check digit, upn a valid check "
        "letter, postcode a UK postcode's form, school_urn 6 digits, gp_practice a letter and "
        "5 digits (spaces ignored); consent.reason unless consent was given."
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
    response=answers({200: ContactOut, 404: MessageOut}),
    openapi_extra=ANSWER_HEADERS,
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
        "additions": [
            {"id": addition.pk, "text": addition.text, "added_at": addition.added_at}
            for addition in contact_additions_for(contact=contact)
        ],
    }


@api.post(
    "/contacts/{contact_id}/additions",
    response=answers({201: AdditionOut, 404: MessageOut, 409: MessageOut}, with_body=True),
    openapi_extra=ANSWER_HEADERS,
    summary="Add information to a contact your agency submitted",
    description=(
        "Adds what the referrer has learned since to a contact your agency submitted, while "
        "the MASH is still working on it (received, screening, checks in progress or awaiting "
        "decision); 409 once it has decided. The screener who took the contact is told; it is "
        "marked new for the MASH until a screener opens it. 404 for a contact your agency did "
        "not submit; 422 with field errors for empty or over-long text."
    ),
)
@permission("api.add_contact_information")
def add_contact_information(
    request: HttpRequest, payload: AdditionIn, contact_id: int = Path(..., ge=1, le=MAX_ID)
) -> tuple[int, dict[str, Any]]:
    actor = Actor.from_request(request, token=request.auth)  # type: ignore[attr-defined]
    try:
        result = contact_add_information(actor=actor, contact_id=contact_id, text=payload.text)
    except AdditionInvalid as invalid:
        return 422, {"errors": [{"field": e.field, "message": e.message} for e in invalid.errors]}
    except ContactNotOpen:
        return 409, {
            "detail": "The MASH has decided on this contact: information can no longer be added"
        }
    addition = result.addition
    return 201, {"id": addition.pk, "text": addition.text, "added_at": addition.added_at}


@api.get(
    "/contacts/{contact_id}/outcome",
    response=answers({200: OutcomeOut, 404: MessageOut}),
    openapi_extra=ANSWER_HEADERS,
    summary="The outcome of a contact your agency submitted",
    description=(
        "The contact's state and, once the MASH has decided, the current outcome (after any "
        "amendment) and what happens next; once handed on, whether the team accepted or "
        "returned it, and the worker it named. Never what the agencies in the MASH found."
    ),
)
@permission("api.view_own_contact_outcome")
def get_contact_outcome(
    request: HttpRequest, contact_id: int = Path(..., ge=1, le=MAX_ID)
) -> dict[str, Any]:
    actor = Actor.from_request(request, token=request.auth)  # type: ignore[attr-defined]
    found = contact_outcome_for_agency(actor=actor, contact_id=contact_id)
    decision = found.decision
    hand_on = found.hand_on
    if hand_on is not None and hand_on.team == HandOnTeam.ALLOCATED_WORKER:
        hand_on = None
    accepted = hand_on is not None and hand_on.state == HandOnState.ACCEPTED
    return {
        "id": found.contact.pk,
        "reference": found.contact.reference,
        "state": found.contact.state,
        "outcome": decision.outcome.label if decision else None,
        "outcome_code": decision.outcome.code if decision else None,
        "next_steps": decision.outcome.next_steps if decision else None,
        "decided_at": decision.decided_at if decision else None,
        "hand_on_state": hand_on.state if hand_on else None,
        "receiving_team": HandOnTeam(hand_on.team).label if hand_on else None,
        "responded_at": hand_on.responded_at if hand_on else None,
        "named_contact": (hand_on.allocated_worker or None) if hand_on and accepted else None,
        "named_contact_details": (hand_on.worker_contact or None) if hand_on and accepted else None,
        "children": [_told(told) for told in told_to_referrer(decision, found.hand_ons)]
        if decision
        else [],
    }


def _told(told: ToldToReferrer) -> dict[str, Any]:
    """One child's outcome as the referrer is told it (ADR 0022)."""
    hand_on = told.hand_on
    accepted = told.is_accepted
    return {
        "person_id": told.person.pk,
        "given_names": told.person.given_names,
        "family_name": told.person.family_name,
        "outcome": told.outcome.label,
        "outcome_code": told.outcome.code,
        "next_steps": told.outcome.next_steps,
        "hand_on_state": hand_on.state if hand_on else None,
        "receiving_team": told.team or None,
        "named_contact": (hand_on.allocated_worker or None) if hand_on and accepted else None,
        "named_contact_details": (hand_on.worker_contact or None) if hand_on and accepted else None,
    }


# --- Agency checks ----------------------------------------------------------------------


def _check_body(check: AgencyCheck) -> dict[str, Any]:
    """A check as its own agency's system sees it: never another agency's findings."""
    contact = check.contact
    level = contact.rag_level
    factors = list(contact.factors.all())
    return {
        "id": check.pk,
        "contact_reference": contact.reference,
        "state": check.state,
        "rag": level.code if level else None,
        "rag_label": level.label if level else None,
        "requested_at": check.requested_at,
        "deadline_at": check.deadline_at,
        "completed_at": check.completed_at,
        "people": [
            {
                "id": person.pk,
                "role": person.role,
                "given_names": person.given_names,
                "family_name": person.family_name,
                "other_names": person.other_names,
                "date_of_birth": person.date_of_birth,
                "estimated_age": person.estimated_age,
                "expected_birth_date": person.expected_birth_date,
                "sex": person.sex,
                "address": {
                    "line1": person.address_line1,
                    "line2": person.address_line2,
                    "town": person.town,
                    "postcode": person.postcode,
                },
                "nhs_number": person.nhs_number,
                "upn": person.upn,
            }
            for person in contact.people.all()
        ],
        "concerns": {
            "factor_codes": [factor.code for factor in factors],
            "factor_labels": [factor.get_code_display() for factor in factors],
            "description": contact.concern_description,
            "immediate_risk": contact.immediate_risk,
        },
        "findings": [
            {
                "person_id": finding.person_id,
                "known": finding.known,
                "summary": finding.summary,
                "risk_indicators": finding.risk_indicators,
                "last_involvement_on": finding.last_involvement_on,
                "lawful_basis": finding.lawful_basis,
                "restricted_information": finding.restricted_information,
                "summary_restricted": finding.summary_restricted,
                "onward_sharing": finding.onward_sharing,
                "onward_summary": finding.onward_summary,
                "onward_lawful_basis": finding.onward_lawful_basis,
            }
            for finding in check.findings.all()
        ],
    }


def _with_what_the_body_shows(checks: list[AgencyCheck]) -> list[AgencyCheck]:
    """The page's checks (already scoped to the agency and recorded by the selector), with
    every person, factor and finding _check_body shows loaded in three queries, however
    many checks the page holds."""
    prefetch_related_objects(
        checks,
        Prefetch("contact__people", queryset=ContactPerson.objects.order_by("position")),
        "contact__factors",
        "findings",
    )
    return checks


@api.get(
    "/checks",
    response=answers({200: CheckListOut}),
    openapi_extra=ANSWER_HEADERS,
    summary="Your agency's open checks",
    description=(
        "The checks the MASH has asked your agency to do and that are still open, due "
        "first (checks due at the same time in the order they were asked): who to search "
        f"for and why. {CHECKS_PER_PAGE} a page, as on the MASH's own check queue: `count` "
        "is how many are open in all, so ask for `page` 1 up to `count` divided by "
        f"{CHECKS_PER_PAGE}, rounded up; a page after the last is empty. Only your own "
        "agency's checks are listed."
    ),
)
@permission("api.view_agency_checks")
def list_checks(
    request: HttpRequest,
    page: int = Query(1, ge=1, le=MAX_ID, description="Which page: 1 for the first"),
) -> dict[str, Any]:
    actor = Actor.from_request(request, token=request.auth)  # type: ignore[attr-defined]
    shown = check_page_for_agency(actor=actor, page_number=page)
    if shown.number != page:
        # Past the last page: the selector gave (and recorded) the last one instead, which
        # a client paging through has just been sent. Send none, so that a client paging
        # until a page comes back empty stops.
        return {"count": shown.paginator.count, "checks": []}
    checks = _with_what_the_body_shows(list(shown.object_list))
    return {"count": shown.paginator.count, "checks": [_check_body(check) for check in checks]}


@api.get(
    "/checks/{check_id}",
    response=answers({200: CheckOut, 404: MessageOut}),
    openapi_extra=ANSWER_HEADERS,
    summary="One of your agency's checks",
    description="Another agency's check is answered 404, as if it did not exist.",
)
@permission("api.view_agency_checks")
def get_check(request: HttpRequest, check_id: int = Path(..., ge=1, le=MAX_ID)) -> dict[str, Any]:
    actor = Actor.from_request(request, token=request.auth)  # type: ignore[attr-defined]
    return _check_body(check_get_for_agency(actor=actor, check_id=check_id))


def _finding_error_path(key: str, person_ids: list[int], payload: FindingsIn) -> str:
    """The service's "findings-<person index>-<field>" as a path into the body sent,
    e.g. findings[0].summary."""
    prefix, _, rest = key.partition("-")
    index_text, _, field = rest.partition("-")
    if prefix != "findings" or not index_text.isdigit() or int(index_text) >= len(person_ids):
        return "findings"
    person_id = person_ids[int(index_text)]
    sent = [i for i, finding in enumerate(payload.findings) if finding.person_id == person_id]
    return f"findings[{sent[0]}].{field}" if sent else "findings"


def _finding_errors(
    errors: dict[str, str], person_ids: list[int], payload: FindingsIn
) -> list[dict[str, str]]:
    listed: list[dict[str, str]] = []
    for key, message in errors.items():
        path = _finding_error_path(key, person_ids, payload)
        if path == "findings" and key != "findings":
            # A person with no finding sent for them.
            index = int(key.split("-")[1])
            message = f"Send a finding for person {person_ids[index]}: {message.lower()}"
        listed.append({"field": path, "message": message})
    return listed


def _findings_sent_twice_or_unknown(
    person_ids: list[int], payload: FindingsIn
) -> list[dict[str, str]]:
    errors = []
    seen: set[int] = set()
    for index, finding in enumerate(payload.findings):
        if finding.person_id not in person_ids:
            errors.append(
                {
                    "field": f"findings[{index}].person_id",
                    "message": "Not a person in this check: use the ids of the check's people",
                }
            )
        elif finding.person_id in seen:
            errors.append(
                {
                    "field": f"findings[{index}].person_id",
                    "message": "Send one finding for each person: this person has one already",
                }
            )
        seen.add(finding.person_id)
    return errors


@api.post(
    "/checks/{check_id}/findings",
    response=answers({200: CheckOut, 404: MessageOut, 409: MessageOut}, with_body=True),
    openapi_extra=ANSWER_HEADERS,
    summary="Record your agency's findings and complete the check",
    description=(
        "One finding for each of the check's people. Field errors come back as 422 with the "
        "field's path, e.g. findings[0].summary, and nothing is recorded. A check already "
        "completed or no longer needed is answered 409. Another agency's check is 404.\n\n"
        "Besides the shapes and lengths in the schema: each person_id is one of the check's "
        "people, once; a summary if known; last_involvement_on today or in the past; for a "
        "known person shared onward, an onward_lawful_basis, an onward_summary if "
        "onward_sharing is summary, and not full if summary_restricted."
    ),
)
@permission("api.record_findings")
def record_findings(
    request: HttpRequest, payload: FindingsIn, check_id: int = Path(..., ge=1, le=MAX_ID)
) -> tuple[int, dict[str, Any]]:
    actor = Actor.from_request(request, token=request.auth)  # type: ignore[attr-defined]
    person_ids = check_person_ids(actor=actor, check_id=check_id)
    wrong_people = _findings_sent_twice_or_unknown(person_ids, payload)
    if wrong_people:
        return 422, {"errors": wrong_people}
    findings = [
        FindingInput(
            person_id=finding.person_id,
            known=finding.known,
            summary=finding.summary,
            risk_indicators=finding.risk_indicators,
            last_involvement_on=finding.last_involvement_on,
            lawful_basis=finding.lawful_basis,
            restricted_information=finding.restricted_information,
            summary_restricted=finding.summary_restricted,
            onward_sharing=finding.onward_sharing,
            onward_summary=finding.onward_summary,
            onward_lawful_basis=finding.onward_lawful_basis,
        )
        for finding in payload.findings
    ]
    try:
        check_record_findings(actor=actor, check_id=check_id, findings=findings)
    except EnquiryInvalid as invalid:
        return 422, {"errors": _finding_errors(invalid.errors, person_ids, payload)}
    except IllegalTransition as refused:
        return 409, {"detail": str(refused)}
    except AgencyCheck.DoesNotExist as missing:
        raise Http404 from missing
    return 200, _check_body(check_get_for_agency(actor=actor, check_id=check_id))


# --- Hand-ons to a receiving team ------------------------------------------------------


def _hand_on_body(hand_on: HandOn) -> dict[str, Any]:
    """A hand-on as the receiving team's system sees it: the MASH summary only."""
    summary = hand_on_summary(hand_on).as_dict()
    return {
        "id": hand_on.pk,
        "contact_reference": hand_on.contact.reference,
        "team": hand_on.team,
        "state": hand_on.state,
        "created_at": hand_on.created_at,
        "responded_at": hand_on.responded_at,
        "deadline_at": hand_on.deadline_at,
        "overdue": hand_on.state == HandOnState.PENDING
        and is_overdue(hand_on.deadline_at, timezone.now()),
        "allocated_worker": hand_on.allocated_worker,
        "worker_contact": hand_on.worker_contact,
        "summary": {
            key: summary[key]
            for key in (
                "outcome",
                "outcome_code",
                "next_steps",
                "level_of_need",
                "receiving_team",
                "decided_at",
                "decided_by",
                "summary",
                "worker_risks",
                "findings",
                "rationale",
            )
        },
    }


@api.get(
    "/hand-ons",
    response=answers({200: HandOnListOut}),
    openapi_extra=ANSWER_HEADERS,
    summary="Cases the MASH handed to your team",
    description=(
        "For a receiving team's own system (early help, children's social care): the cases "
        "handed to the team, waiting ones first, each with the MASH summary only. Never a "
        "finding its agency did not release, nor the MASH's rationale unless the manager "
        "shared it."
    ),
)
@permission("api.view_hand_ons")
def list_hand_ons(request: HttpRequest) -> dict[str, Any]:
    actor = Actor.from_request(request, token=request.auth)  # type: ignore[attr-defined]
    return {"hand_ons": [_hand_on_body(hand_on) for hand_on in hand_ons_for_token(actor=actor)]}


@api.get(
    "/hand-ons/{hand_on_id}",
    response=answers({200: HandOnOut, 404: MessageOut}),
    openapi_extra=ANSWER_HEADERS,
    summary="A case the MASH handed to your team, with the MASH summary",
)
@permission("api.view_hand_ons")
def get_hand_on(
    request: HttpRequest, hand_on_id: int = Path(..., ge=1, le=MAX_ID)
) -> dict[str, Any]:
    actor = Actor.from_request(request, token=request.auth)  # type: ignore[attr-defined]
    return _hand_on_body(hand_on_for_token(actor=actor, hand_on_id=hand_on_id))


# --- Agency index feeds -----------------------------------------------------------------


def _index_import_body(index_import: IndexImport) -> dict[str, Any]:
    return {
        "id": index_import.pk,
        "agency": index_import.agency.slug,
        "mode": index_import.mode,
        "applied": index_import.applied,
        "rows": index_import.rows,
        "added": index_import.added,
        "updated": index_import.updated,
        "removed": index_import.removed,
        "withdrawn": index_import.withdrawn,
        "uploaded_at": index_import.uploaded_at,
        "warnings": import_warnings(index_import),
        "errors": list(index_import.errors),
    }


def _feed_error_path(error: dict[str, Any]) -> str:
    row, field = error.get("row"), error.get("field", "")
    if row is None or field == FILE:
        return "records" if row is None else f"records[{row}]"
    return f"records[{row}].{field}"


@api.post(
    "/index/imports",
    response=answers({201: IndexImportOut, 422: IndexImportErrorsOut}, with_body=True),
    openapi_extra=ANSWER_HEADERS,
    summary="Send your agency's person index feed",
    description=(
        "The people your agency knows, each with your own source_id and a short pointer to "
        "your involvement (never the record itself). Every record is checked; if any has an "
        "error, nothing changes and the answer is 422 with every error, e.g. "
        "records[3].date_of_birth (the import is still recorded, not applied, and its "
        "import_id given; a body not of the documented shape is refused before anything is "
        "recorded, without one). Each record's rules are the CSV feed's: see each field. "
        "Otherwise "
        "the whole request is applied at once: mode replace makes your agency's index "
        "exactly these records, delta adds and updates only. Sending the same records again "
        "changes nothing. At most 5,000 records and 1 MB a request: upload a bigger index as "
        "a CSV file on the web page."
    ),
)
@permission("api.import_index_feed")
def create_index_import(request: HttpRequest, payload: IndexImportIn) -> tuple[int, dict[str, Any]]:
    actor = Actor.from_request(request, token=request.auth)  # type: ignore[attr-defined]
    index_import = index_import_apply(
        actor=actor,
        agency=actor.token.agency,  # type: ignore[union-attr]
        mode=payload.mode,
        rows=feed_from_records(record.model_dump() for record in payload.records),
    )
    if not index_import.applied:
        return 422, {
            "import_id": index_import.pk,
            "errors": [
                {"field": _feed_error_path(error), "message": error["message"]}
                for error in index_import.errors
            ],
        }
    return 201, _index_import_body(index_import)


@api.get(
    "/index/imports/{import_id}",
    response=answers({200: IndexImportOut, 404: MessageOut}),
    openapi_extra=ANSWER_HEADERS,
    summary="One of your agency's index feed imports",
    description="Its counts and errors. Another agency's import is 404, as if it did not exist.",
)
@permission("api.view_index_imports")
def get_index_import(
    request: HttpRequest, import_id: int = Path(..., ge=1, le=MAX_ID)
) -> dict[str, Any]:
    actor = Actor.from_request(request, token=request.auth)  # type: ignore[attr-defined]
    return _index_import_body(index_import_get(actor=actor, import_id=import_id))


# --- Events -----------------------------------------------------------------------------


@api.get(
    "/events",
    response=answers({200: EventFeedOut}),
    openapi_extra=ANSWER_HEADERS,
    summary="Your agency's events, in order, from a cursor",
    description=(
        "The events for your agency: the hand-ons (and the decisions behind them) for the "
        "receiving team your agency is, and the outcomes of the contacts your agency made. "
        "The same events, with the same ids and bodies, as the signed webhooks sent to your "
        "endpoint: read the feed to catch up after your system was down, or instead of "
        "webhooks. Start with `after` 0 and pass each answer's `next_cursor` as the next "
        "`after`; events come in the order they happened, and one never appears before an "
        f"earlier one. Up to `limit` events an answer ({FEED_LIMIT} unless given, at most "
        f"{FEED_MAX_LIMIT}); `has_more` says whether to ask again at once."
    ),
)
@permission("api.view_own_events")
def list_events(
    request: HttpRequest,
    after: int = Query(0, ge=0, le=MAX_ID, description="The last sequence you have read"),
    limit: int = Query(FEED_LIMIT, ge=1, le=FEED_MAX_LIMIT, description="How many at most"),
) -> dict[str, Any]:
    actor = Actor.from_request(request, token=request.auth)  # type: ignore[attr-defined]
    page = event_feed_for_agency(actor=actor, after=after, limit=limit)
    return {
        "events": [event_document(event) for event in page.events],
        "next_cursor": page.next_cursor,
        "has_more": page.has_more,
    }
