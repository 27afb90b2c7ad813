"""The API answers as its OpenAPI description says: schemathesis over every operation.

Every operation is called in-process through Django's whole WSGI stack with real tokens
(a school's system, the police's, early help's), with requests schemathesis derives from
the live /api/v1/openapi.json: its examples phase (the requests the description gives as
examples), its coverage phase (each boundary and each way to break
each rule the schema states, a query parameter given twice among them) and its fuzzing
phase, positive and negative. Every built-in check runs: no server error; every status,
content type, header and body is the one documented; a request the schema allows is
not refused for its shape, and one it forbids is refused. Deterministic (a fixed seed, no
example database) and bounded (MAX_EXAMPLES a phase and operation).
"""

import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import jsonschema_rs
import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.test import Client
from schemathesis.checks import not_a_server_error
from schemathesis.core.parameters import ParameterLocation
from schemathesis.generation.feedback import FeedbackSources
from schemathesis.pytest._test_builder import build_operation_test
from schemathesis.python._constants.orchestrator import make_constants_value_source
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from werkzeug.test import Client as WerkzeugClient

from openmash.accounts.models import Agency
from openmash.accounts.services import api_token_issue
from openmash.api.schemas import CONTACT_EXAMPLE, INDEX_IMPORT_EXAMPLE, NO_NUL, WRITTEN_TEXT
from openmash.contacts.models import Contact
from openmash.core.audit import Actor
from openmash.enquiries.models import AgencyCheck, HandOn
from openmash.enquiries.services.additions import addition_errors
from openmash.linkage.feeds import feed_from_records
from openmash.linkage.models import IndexImport
from openmash.linkage.services import index_import_apply
from tests.enquiries.conftest import (  # noqa: F401 (fixtures)
    contact_with_checks,
    early_help_coordinator,
    manager,
    new_contact,
    partner_agencies,
    rated_contact,
    researchers,
)
from tests.enquiries.test_hand_on_views import early_help_hand_on  # noqa: F401 (fixture)
from tests.linkage.test_feeds import a_row

OPENAPI = "/api/v1/openapi.json"
MAX_ID = 2**63 - 1
MAX_EXAMPLES = 40
# Which agency's system calls each operation: one whose token may (403 is not the answer
# under test here; tests/test_access_control.py walks every operation as every agency).
CALLER = {
    "/api/v1/contacts": "riverside",
    "/api/v1/checks": "police",
    "/api/v1/index": "police",
    "/api/v1/hand-ons": "early-help",
    "/api/v1/events": "early-help",
}
# A body schema-valid in shape can still break a rule JSON Schema cannot state (a check
# digit, a date relative to today, one field needed because another is set, a person who
# is not in the check); each such rule is in the operation's description and answered 422
# naming the field. Everywhere else a schema-valid request must not be answered 422.
# For each, the fields such a rule can name: a 422 to a schema-valid request naming any
# other field is a rule the schema should state, and fails the test.
SERVICE_RULES = {
    "POST /api/v1/contacts": re.compile(
        r"Idempotency-Key|received_at|received_at_reason|referrer\.(source_code|name|email)"
        r"|people|people\[\d+\]\.(given_names|date_of_birth|estimated_age|expected_birth_date"
        r"|nhs_number|upn|address\.postcode|school_urn|gp_practice)|consent\.reason"
    ),
    "POST /api/v1/checks/{check_id}/findings": re.compile(
        r"findings|findings\[\d+\]\.(person_id|known|summary|last_involvement_on"
        r"|onward_sharing|onward_summary|onward_lawful_basis)"
    ),
    # Every field of a feed record is checked as the CSV feed's is (IndexRecordIn).
    "POST /api/v1/index/imports": re.compile(r"records\[\d+\](\.\w+)?"),
}
OPERATIONS = [
    "POST /api/v1/contacts",
    "GET /api/v1/contacts/{contact_id}",
    "POST /api/v1/contacts/{contact_id}/additions",
    "GET /api/v1/contacts/{contact_id}/outcome",
    "GET /api/v1/checks",
    "GET /api/v1/checks/{check_id}",
    "POST /api/v1/checks/{check_id}/findings",
    "GET /api/v1/hand-ons",
    "GET /api/v1/hand-ons/{hand_on_id}",
    "POST /api/v1/index/imports",
    "GET /api/v1/index/imports/{import_id}",
    "GET /api/v1/events",
]


@pytest.fixture
def wsgi_app() -> Iterator[WSGIHandler]:
    """The whole Django stack, called in-process on the test's database connection; as
    Django's test client does, keep the request signals from closing the connection (which
    would end the test's transaction on PostgreSQL)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield WSGIHandler()
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@dataclass
class Hub:
    """What the API's callers can reach: their tokens, and the ids of real records each
    path parameter can name (so the fuzzed requests reach 200 and 409, not only 404)."""

    secrets: dict[str, str]
    ids: dict[str, list[int]]
    people_of_check: dict[int, list[int]]
    statuses: Counter[int] = field(default_factory=Counter)

    def headers_for(self, path: str) -> dict[str, str]:
        caller = next(slug for prefix, slug in CALLER.items() if path.startswith(prefix))
        return {"Authorization": f"Bearer {self.secrets[caller]}"}


@pytest.fixture
def hub(
    agencies: dict[str, Agency],
    contact_with_checks: Contact,  # noqa: F811
    early_help_hand_on: HandOn,  # noqa: F811
    settings: Any,
) -> Hub:
    # Thousands of requests a minute from one token: the rate limits are tested on their
    # own below (a 429 mid-run would be right, but would hide what the run is for).
    settings.API_TOKEN_REQUESTS_PER_MINUTE = 0
    settings.API_BAD_TOKEN_LIMIT = 0
    issued = {
        slug: api_token_issue(agency=agencies[slug], name=f"{slug} system", issued_by="test")
        for slug in ("riverside", "police", "early-help")
    }
    index_import = index_import_apply(
        actor=Actor(token=issued["police"][0]),
        agency=agencies["police"],
        mode="replace",
        rows=feed_from_records([a_row(source_id="A")]),
    )
    decided = early_help_hand_on.contact
    checks = [
        AgencyCheck.objects.get(contact=contact, agency__slug="police")
        for contact in (contact_with_checks, decided)
    ]
    return Hub(
        secrets={slug: secret for slug, (_, secret) in issued.items()},
        ids={
            # Open (information can be added; its check is open) and decided (409s).
            "contact_id": [contact_with_checks.pk, decided.pk],
            "check_id": [check.pk for check in checks],
            "hand_on_id": [early_help_hand_on.pk],
            "import_id": [index_import.pk],
        },
        people_of_check={
            check.pk: list(check.contact.people.values_list("pk", flat=True)) for check in checks
        },
    )


# The operations that take query parameters.
QUERIED = {"GET /api/v1/checks", "GET /api/v1/events"}


def schemathesis_config() -> schemathesis.Config:
    return schemathesis.Config.from_dict(
        {
            "seed": 20261205,
            "generation": {
                "deterministic": True,
                "max-examples": MAX_EXAMPLES,
                "database": "none",
            },
            "phases": {"coverage": {"generate-duplicate-query-parameters": True}},
            # A schema-valid request is answered as valid: 2xx, or 404 for an id that is
            # no record's, 409 for a record whose state refuses it, and 413 for a body over
            # 1 MB (the size limit every POST documents: JSON Schema cannot state one in
            # bytes, and at the largest lengths and counts the schema allows, a body passes it).
            "checks": {"positive_data_acceptance": {"expected-statuses": ["2xx", 404, 409, 413]}},
            "operations": [
                {
                    "include-name": list(SERVICE_RULES),
                    "checks": {
                        "positive_data_acceptance": {
                            "expected-statuses": ["2xx", 404, 409, 413, 422]
                        }
                    },
                }
            ],
        }
    )


def load_schema(app: WSGIHandler) -> Any:
    return schemathesis.openapi.from_wsgi(OPENAPI, app, config=schemathesis_config())


def point_at_real_records(case: Any, hub: Hub) -> None:
    """Each id a valid request names becomes a real record's (if odd) or one no record has
    (if even), so what is answered does not hang on the ids the database happened to give;
    a finding's person becomes one of the check's people. Never in a request built to break
    the path's rules."""
    if case.meta is not None and case.meta.is_negative_at(ParameterLocation.PATH):
        return
    for name, value in list((case.path_parameters or {}).items()):
        if name in hub.ids and isinstance(value, int):
            known = hub.ids[name]
            case.path_parameters[name] = (
                known[value // 2 % len(known)] if value % 2 else MAX_ID - value % 1000
            )
    check_id = (case.path_parameters or {}).get("check_id")
    negative_body = case.meta is not None and case.meta.is_negative_at(ParameterLocation.BODY)
    if check_id in hub.people_of_check and isinstance(case.body, dict) and not negative_body:
        people = hub.people_of_check[check_id]
        findings = case.body.get("findings")
        if isinstance(findings, list):
            for index, finding in enumerate(findings):
                if isinstance(finding, dict) and "person_id" in finding:
                    finding["person_id"] = people[index % len(people)]


def good_requests(hub: Hub) -> dict[str, list[tuple[dict[str, Any], int]]]:
    """For each operation, requests a well-behaved client sends, and what each is answered:
    every success (and 409) answer, whatever the fuzzing happens to reach."""
    open_contact, decided_contact = hub.ids["contact_id"]
    open_check = hub.ids["check_id"][0]
    not_known = {
        "findings": [
            {"person_id": person, "known": False, "lawful_basis": "public_task_safeguarding"}
            for person in hub.people_of_check[open_check]
        ]
    }
    again = {"body": CONTACT_EXAMPLE, "headers": {"Idempotency-Key": "case-system-1"}}
    return {
        "POST /api/v1/contacts": [({"body": CONTACT_EXAMPLE}, 201), (again, 201), (again, 200)],
        "GET /api/v1/contacts/{contact_id}": [
            ({"path_parameters": {"contact_id": open_contact}}, 200),
            ({"path_parameters": {"contact_id": MAX_ID}}, 404),
        ],
        "POST /api/v1/contacts/{contact_id}/additions": [
            (
                {
                    "path_parameters": {"contact_id": open_contact},
                    "body": {"text": "Liam's mother rang again this morning."},
                },
                201,
            ),
            ({"path_parameters": {"contact_id": decided_contact}, "body": {"text": "More."}}, 409),
        ],
        "GET /api/v1/contacts/{contact_id}/outcome": [
            ({"path_parameters": {"contact_id": decided_contact}}, 200),
            ({"path_parameters": {"contact_id": open_contact}}, 200),
        ],
        "GET /api/v1/checks": [({}, 200), ({"query": {"page": 2}}, 200)],
        "GET /api/v1/checks/{check_id}": [({"path_parameters": {"check_id": open_check}}, 200)],
        "POST /api/v1/checks/{check_id}/findings": [
            ({"path_parameters": {"check_id": open_check}, "body": not_known}, 200),
            ({"path_parameters": {"check_id": open_check}, "body": not_known}, 409),
        ],
        "GET /api/v1/hand-ons": [({}, 200)],
        "GET /api/v1/hand-ons/{hand_on_id}": [
            ({"path_parameters": {"hand_on_id": hub.ids["hand_on_id"][0]}}, 200)
        ],
        "POST /api/v1/index/imports": [({"body": INDEX_IMPORT_EXAMPLE}, 201)],
        "GET /api/v1/index/imports/{import_id}": [
            ({"path_parameters": {"import_id": hub.ids["import_id"][0]}}, 200)
        ],
        "GET /api/v1/events": [({"query": {"after": 0}}, 200), ({"query": {"limit": 1}}, 200)],
    }


def test_every_operation_is_tested(wsgi_app: WSGIHandler, db: None) -> None:
    schema = load_schema(wsgi_app)

    assert [result.ok().label for result in schema.get_all_operations()] == OPERATIONS


@pytest.mark.parametrize("label", OPERATIONS)
def test_the_api_answers_as_its_openapi_description_says(
    wsgi_app: WSGIHandler, hub: Hub, label: str
) -> None:
    schema = load_schema(wsgi_app)
    operation = schema.find_operation_by_label(label)
    headers = hub.headers_for(operation.path)
    for request, status in good_requests(hub)[label]:
        case = operation.Case(**request)
        assert case.call_and_validate(headers=headers).status_code == status, request

    def call(case: Any) -> None:
        point_at_real_records(case, hub)
        response = case.call_and_validate(headers=headers)
        hub.statuses[response.status_code] += 1
        if response.status_code == 422 and not case.meta.generation.mode.is_negative:
            fields = {error["field"] for error in response.json()["errors"]}
            stated = {name for name in fields if not SERVICE_RULES[label].fullmatch(name)}
            assert not stated, f"{label}: a rule the schema could state refused {fields}"

    # As schemathesis's pytest plugin builds each operation's test (its lazy loader does not
    # run under pytest 9): the examples, coverage and fuzzing phases the config enables.
    fuzz = build_operation_test(
        config=schema.config,
        operation=operation,
        test_func=call,
        given_kwargs={},
        feedback=FeedbackSources(constants_value_source=make_constants_value_source(schema)),
    )
    fuzz()

    # Not vacuous: the run sent requests, and refused those that broke a rule.
    assert hub.statuses.total() >= MAX_EXAMPLES, hub.statuses
    takes_input = "{" in label or label.startswith("POST") or label in QUERIED
    assert (hub.statuses[422] > 0) == takes_input, hub.statuses


# Each answer any request can get, checked against the description one by one: the run
# above reaches most only by chance, and never a rate limit (turned off there).

CONFORMANCE = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


@pytest.fixture
def caller(wsgi_app: WSGIHandler) -> WerkzeugClient:
    return WerkzeugClient(wsgi_app)


def answered_as_documented(wsgi_app: WSGIHandler, label: str, response: Any) -> None:
    operation = load_schema(wsgi_app).find_operation_by_label(label)
    operation.Case().validate_response(response, checks=CONFORMANCE)


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


def test_every_operation_documents_what_any_request_can_be_answered(db: None) -> None:
    described = Client().get(OPENAPI).json()

    for path, methods in described["paths"].items():
        for method, operation in methods.items():
            answers = set(operation["responses"])
            assert {"400", "401", "403", "422", "429"} <= answers, (method, path)
            assert ("413" in answers) == (method == "post"), (method, path)
            assert ("404" in answers) == ("{" in path), (method, path)
            unauthenticated = operation["responses"]["401"]["headers"]["WWW-Authenticate"]
            throttled = operation["responses"]["429"]["headers"]["Retry-After"]
            assert unauthenticated["required"] and throttled["required"]
            assert throttled["schema"] == {"type": "integer", "minimum": 1}
    additions = described["paths"]["/api/v1/contacts/{contact_id}/additions"]["post"]
    findings = described["paths"]["/api/v1/checks/{check_id}/findings"]["post"]
    assert "409" in additions["responses"] and "409" in findings["responses"]


@pytest.mark.usefixtures("throttle_clock")
def test_a_token_past_its_rate_limit_is_answered_429_as_documented(
    wsgi_app: WSGIHandler, caller: WerkzeugClient, police_token: tuple[Any, str], settings: Any
) -> None:
    settings.API_TOKEN_REQUESTS_PER_MINUTE = 2
    for _ in range(2):
        assert caller.get("/api/v1/checks", headers=bearer(police_token[1])).status_code == 200

    response = caller.get("/api/v1/checks", headers=bearer(police_token[1]))

    assert response.status_code == 429
    assert 1 <= int(response.headers["Retry-After"]) <= 60
    answered_as_documented(wsgi_app, "GET /api/v1/checks", response)


@pytest.mark.usefixtures("throttle_clock")
def test_an_address_sending_wrong_tokens_is_answered_429_as_documented(
    wsgi_app: WSGIHandler, caller: WerkzeugClient, settings: Any, db: None
) -> None:
    settings.API_BAD_TOKEN_LIMIT = 1
    first = caller.get("/api/v1/events", headers=bearer("omash_wrong"))

    second = caller.get("/api/v1/events", headers=bearer("omash_wrong"))

    assert (first.status_code, second.status_code) == (401, 429)
    assert first.headers["WWW-Authenticate"] == "Bearer"
    answered_as_documented(wsgi_app, "GET /api/v1/events", first)
    answered_as_documented(wsgi_app, "GET /api/v1/events", second)


def test_a_body_over_the_size_limit_is_answered_413_as_documented(
    wsgi_app: WSGIHandler, caller: WerkzeugClient, police_token: tuple[Any, str], settings: Any
) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    body = {"mode": "delta", "records": [a_row(source_id=str(n)) for n in range(20)]}

    response = caller.post("/api/v1/index/imports", json=body, headers=bearer(police_token[1]))

    assert response.status_code == 413
    assert response.json == {"detail": "What you sent is too large: send at most 1 KB at a time."}
    answered_as_documented(wsgi_app, "POST /api/v1/index/imports", response)


def test_a_body_that_is_not_json_is_answered_400_as_documented(
    wsgi_app: WSGIHandler, caller: WerkzeugClient, police_token: tuple[Any, str]
) -> None:
    response = caller.post(
        "/api/v1/contacts",
        data=b'{"channel": "api",',
        content_type="application/json",
        headers=bearer(police_token[1]),
    )

    assert response.status_code == 400
    assert response.json == {"detail": "Cannot parse request body"}
    answered_as_documented(wsgi_app, "POST /api/v1/contacts", response)
    assert not Contact.objects.exists()


def test_a_query_parameter_given_twice_is_refused_naming_it(
    wsgi_app: WSGIHandler, caller: WerkzeugClient, police_token: tuple[Any, str]
) -> None:
    response = caller.get("/api/v1/checks?page=1&page=2", headers=bearer(police_token[1]))

    assert response.status_code == 422
    assert response.json == {
        "errors": [{"field": "page", "message": "Give this query parameter once"}]
    }
    answered_as_documented(wsgi_app, "GET /api/v1/checks", response)


@pytest.mark.parametrize(
    ("url", "label", "message"),
    [
        (
            "/api/v1/events?after=0&cursor=5",
            "GET /api/v1/events",
            "Unknown query parameter: this operation takes after, limit",
        ),
        (
            "/api/v1/checks?page=1&cursor=5",
            "GET /api/v1/checks",
            "Unknown query parameter: this operation takes page",
        ),
        (
            "/api/v1/index/imports/1?cursor=5",
            "GET /api/v1/index/imports/{import_id}",
            "Unknown query parameter: this operation takes none",
        ),
    ],
)
def test_a_query_parameter_the_operation_does_not_take_is_refused_naming_it(
    wsgi_app: WSGIHandler,
    caller: WerkzeugClient,
    police_token: tuple[Any, str],
    url: str,
    label: str,
    message: str,
) -> None:
    response = caller.get(url, headers=bearer(police_token[1]))

    assert response.status_code == 422
    assert response.json == {"errors": [{"field": "cursor", "message": message}]}
    answered_as_documented(wsgi_app, label, response)


def test_a_client_paging_as_documented_is_answered_as_before(
    caller: WerkzeugClient,
    police_token: tuple[Any, str],
    contact_with_checks: Contact,  # noqa: F811
) -> None:
    first = caller.get("/api/v1/checks?page=1", headers=bearer(police_token[1]))
    past_the_last = caller.get("/api/v1/checks?page=2", headers=bearer(police_token[1]))
    events = caller.get("/api/v1/events?after=0&limit=10", headers=bearer(police_token[1]))

    assert (first.status_code, past_the_last.status_code, events.status_code) == (200, 200, 200)
    assert first.json["count"] == 1 and len(first.json["checks"]) == 1
    assert past_the_last.json == {"count": 1, "checks": []}


def test_an_index_import_not_of_the_documented_shape_is_refused_without_an_import_id(
    wsgi_app: WSGIHandler, caller: WerkzeugClient, police_token: tuple[Any, str]
) -> None:
    response = caller.post(
        "/api/v1/index/imports", json={"mode": "delta"}, headers=bearer(police_token[1])
    )

    assert response.status_code == 422
    assert response.json == {"errors": [{"field": "records", "message": "Field required"}]}
    answered_as_documented(wsgi_app, "POST /api/v1/index/imports", response)
    assert not IndexImport.objects.exists()


def test_an_index_import_with_a_bad_record_is_refused_with_its_import_id(
    wsgi_app: WSGIHandler, caller: WerkzeugClient, police_token: tuple[Any, str]
) -> None:
    body = {"mode": "delta", "records": [a_row(source_id="A", date_of_birth="2999-01-01")]}

    response = caller.post("/api/v1/index/imports", json=body, headers=bearer(police_token[1]))

    assert response.status_code == 422
    assert response.json["import_id"] == IndexImport.objects.get(applied=False).pk
    assert [error["field"] for error in response.json["errors"]] == ["records[0].date_of_birth"]
    answered_as_documented(wsgi_app, "POST /api/v1/index/imports", response)


TEXTS = ["", " ", "\t\n", "\u3000", "\x1c\x1d", "\x85", "a", " a ", "\ufeff", "a\x00b", "\x00"]


@pytest.mark.parametrize("written", TEXTS)
def test_the_schema_states_the_rule_for_written_text_as_the_service_checks_it(
    written: str,
) -> None:
    # jsonschema_rs reads the pattern as schemathesis (and JSON Schema) do, not as Python.
    stated = jsonschema_rs.validator_for({"type": "string", "pattern": WRITTEN_TEXT})
    no_nul = jsonschema_rs.validator_for({"type": "string", "pattern": NO_NUL})

    assert stated.is_valid(written) == (addition_errors(written) == [])
    assert no_nul.is_valid(written) == ("\x00" not in written)


def test_the_schema_gives_a_valid_contact_and_index_import_as_examples(
    caller: WerkzeugClient, police_token: tuple[Any, str]
) -> None:
    contact = caller.post("/api/v1/contacts", json=CONTACT_EXAMPLE, headers=bearer(police_token[1]))
    index = caller.post(
        "/api/v1/index/imports", json=INDEX_IMPORT_EXAMPLE, headers=bearer(police_token[1])
    )

    assert (contact.status_code, index.status_code) == (201, 201), (contact.json, index.json)
