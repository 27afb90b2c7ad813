"""Who may reach what: every view declares a permission, and a declared table says who gets in.

The table below is the access policy written down: for every named URL and every persona
(plus an anonymous visitor) the status a GET must give. A new URL without a row fails
`test_every_named_url_has_a_row_in_the_access_table`.
"""

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import Model
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django_otp_webauthn.models import WebAuthnCredential

from openmash.accounts.models import Agency, ApiToken, DeactivationReason, User
from openmash.accounts.services import api_token_issue, api_token_revoke, user_deactivate
from openmash.api.v1 import api
from openmash.contacts.models import Contact
from openmash.contacts.services import contact_create
from openmash.core.audit import Actor
from openmash.core.roles import Role
from openmash.enquiries.models import (
    AgencyCheck,
    Attachment,
    CheckState,
    ClosureProposal,
    HandOn,
    Message,
    MessageKind,
)
from openmash.enquiries.services.attachments import attachment_add, check_attachment_add
from openmash.enquiries.services.checks import FindingInput, check_record_findings
from openmash.enquiries.services.decisions import DecisionInput, decision_record
from openmash.enquiries.services.screening import (
    closure_propose,
    contact_rate,
    contact_take,
    enquiry_open,
)
from openmash.events.models import Delivery, DeliveryStatus, Event, WebhookEndpoint
from openmash.governance.models import LegalHold, SubjectAccessRequest
from openmash.linkage.feeds import feed_from_records
from openmash.linkage.models import IdentifierConflict, IndexedPerson, IndexImport, PersonLink
from openmash.linkage.services import index_import_apply
from openmash.planner.models import Scenario as PlannerScenario
from openmash.planner.models import ScenarioRun
from openmash.strategy.models import DiscussionAttachment, StrategyAction, StrategyDiscussion
from openmash.strategy.services import (
    ActionInput,
    ScheduleInput,
    discussion_attachment_add,
    discussion_invite,
    discussion_raise,
    discussion_schedule,
    minutes_record,
)
from tests.attachment_files import PDF
from tests.conftest import ROLE_PERSONAS, signed_in
from tests.factories import a_child, a_submission, api_payload

ANONYMOUS = "anonymous"
EVERYONE = [*ROLE_PERSONAS, ANONYMOUS]
SIGNED_IN = list(ROLE_PERSONAS)

# Namespaces checked elsewhere: Django's admin (its own permission check, see the admin
# rows below) and the django-ninja API (every operation declares `permission(...)`).
NOT_WALKED_NAMESPACES = {"admin", "api-v1"}


# What a GET should give.
@dataclass(frozen=True)
class Redirect:
    to: str  # URL name

    def __str__(self) -> str:
        return f"302->{self.to}"


OK = 200
FORBIDDEN = 403
NOT_FOUND = 404
METHOD_NOT_ALLOWED = 405
TO_SIGN_IN = Redirect("accounts:sign-in")
TO_ADMIN_SIGN_IN = Redirect("admin:login")
TO_HOME = Redirect("home:home")
Expected = int | Redirect


def only(
    *personas: str,
    then: Expected = OK,
    otherwise: Expected = FORBIDDEN,
    anonymous: Expected = TO_SIGN_IN,
) -> dict[str, Expected]:
    unknown = set(personas) - set(ROLE_PERSONAS)
    assert not unknown, f"Not a persona in tests/conftest.py: {unknown}"
    table: dict[str, Expected] = {
        persona: (then if persona in personas else otherwise) for persona in ROLE_PERSONAS
    }
    table[ANONYMOUS] = anonymous
    return table


@dataclass(frozen=True)
class Row:
    url_name: str
    expected: dict[str, Expected]
    # The fixture whose object fills the URL's kwargs (see `sample_kwargs`); the
    # own-agency contact if empty.
    sample: str = ""


# The contact the school referrer's own agency (Riverside) submitted, and one another
# school (Hillview) submitted.
OWN_AGENCY = "own_agency_contact"
OTHER_AGENCY = "other_agency_contact"
# The MASH enquiry, each a fixture below made through the real services: a contact from
# Riverside in an enquiry (amber, police and health asked to check) and those two checks;
# a contact decided "early help" after a police check, and its hand-on; a contact decided
# "assessment (section 17)", and its hand-on to children's social care; a closure proposal.
ENQUIRY = "enquiry_contact"
POLICE_CHECK = "police_check_sample"
HEALTH_CHECK = "health_check_sample"
EARLY_HELP_HAND_ON = "early_help_hand_on"
CSC_HAND_ON = "csc_hand_on"
PROPOSAL = "closure_proposal"
# The outcome email to the referrer of the contact decided "early help".
OUTCOME_EMAIL = "outcome_email"

MASH = ("screener", "manager")
SCREENING_ACTIONS = (
    "screening-take",
    "screening-release",
    "screening-rate",
    "screening-open-enquiry",
    "screening-request-more-checks",
    "screening-propose-closure",
    "screening-pass-to-worker",
)
LINK = "person_link_sample"
POLICE_IMPORT = "police_index_import"
HEALTH_IMPORT = "health_index_import"
INDEX_RECORD = {
    "source_id": "PN-1",
    "given_names": "Amy",
    "family_name": "Smith",
    "date_of_birth": "2018-03-14",
    "sex": "F",
}
AGENCY_INDEX = ("police_researcher", "administrator")
LINK_ACTIONS = ("screening-link-confirm", "screening-link-reject", "screening-link-undo")
CONFLICT = "identifier_conflict_sample"
CONFLICT_ACTIONS = ("screening-conflict-resolve", "screening-conflict-undo")
# Capacity planning: managers (and administrators) plan; analysts may look at the figures.
PLANNERS = ("manager", "administrator")
PLAN_READERS = ("manager", "analyst", "administrator")
PLANNER_SCENARIO = "planner_scenario_sample"
PLANNER_RUN = "planner_run_sample"
SCENARIO_PARTS = ("staff", "absence", "demand", "timescales", "work-times", "settings")
# The event outbox: administrators configure endpoints; administrators and managers see
# failed deliveries and try one again.
ENDPOINT = "webhook_endpoint_sample"
FAILED_DELIVERY = "failed_delivery_sample"

# Strategy discussions: one on the enquiry's contact with police and social care invited,
# held, with an action for police; and one with nobody invited yet.
STRATEGY_INVITED = "strategy_police_invited"
STRATEGY_NOT_INVITED = "strategy_not_invited"
STRATEGY_ACTION = "strategy_police_action"
# Who may list discussions: the MASH, and every role an agency can be invited as.
STRATEGY_READERS = (*MASH, "police_researcher", "early_help_coordinator", "school_referrer")
NOT_INVITED = {"early_help_coordinator": NOT_FOUND, "school_referrer": NOT_FOUND}
STRATEGY_RUNNING = ("schedule", "invite", "attendance", "minutes", "outcome", "action-add")
# Attachments (issue 13, item 2): a file the screener attached to the enquiry's contact,
# one police attached to its check, and one the manager attached to the strategy
# discussion police is invited to.
CONTACT_FILE = "mash_contact_file"
POLICE_CHECK_FILE = "police_check_file"
STRATEGY_FILE = "strategy_file"

# User administration (issue 16, item 5): administrators for everyone, MASH managers for
# the hub's workers (an analyst, here), never for an administrator's account, which they
# may only look at; a deactivated referrer to let back in.
USER_ADMINS = ("manager", "administrator")
ANALYST_ACCOUNT = "analyst_account"
ADMINISTRATOR_ACCOUNT = "administrator_account"
DEACTIVATED_ACCOUNT = "deactivated_account"
# The person whose second factors an administrator may reset.
TWO_FACTOR_PERSON = "two_factor_person"
# The screener's security key, which only she may remove.
SECURITY_KEY = "screeners_security_key"

# A legal hold on the own-agency contact, and a subject access request for its child.
LEGAL_HOLD = "legal_hold_sample"
SUBJECT_ACCESS = "subject_access_sample"

ACCESS_TABLE: dict[str, Row] = {
    "home": Row("home:home", only(*SIGNED_IN)),
    "health": Row("core:health", only(*SIGNED_IN, anonymous=OK)),
    # Open to all, signed in or not; 503 here because no background loop has beaten
    # (tests/core/test_health.py shows 200 once they have).
    "healthz": Row("core:healthz", only(*SIGNED_IN, then=503, anonymous=503)),
    "sign-in": Row("accounts:sign-in", only(*SIGNED_IN, then=TO_HOME, anonymous=OK)),
    # Signing out is POST only.
    "sign-out": Row("accounts:sign-out", only(*SIGNED_IN, then=METHOD_NOT_ALLOWED)),
    # A person's own account (issue 14, item 4): every persona has a password here.
    "account": Row("accounts:account", only(*SIGNED_IN)),
    "password-change": Row("accounts:password-change", only(*SIGNED_IN)),
    "sessions": Row("accounts:sessions", only(*SIGNED_IN)),
    "sessions-end-others": Row(
        "accounts:sessions-end-others", only(*SIGNED_IN, then=METHOD_NOT_ALLOWED)
    ),
    "session-end": Row("accounts:session-end", only(*SIGNED_IN, then=METHOD_NOT_ALLOWED)),
    # Asking for a link to set a new password, and the link itself (this one expired or
    # never issued: the page says so), are open to all.
    "password-reset": Row("accounts:password-reset", only(*SIGNED_IN, anonymous=OK)),
    "password-reset-sent": Row("accounts:password-reset-sent", only(*SIGNED_IN, anonymous=OK)),
    "password-reset-confirm": Row(
        "accounts:password-reset-confirm", only(*SIGNED_IN, anonymous=OK)
    ),
    # Single sign-on is off unless configured (tests/test_single_sign_on.py turns it on).
    # Two-factor sign-in (issue 14, item 1): every persona is past their second factor, so
    # the page to enter a code sends them on (home by default); with no new recovery
    # codes to show, that page sends them to their two-factor page. Administrators reset
    # someone's factors and set the area's exemptions.
    "two-factor-manage": Row("two_factor:manage", only(*SIGNED_IN)),
    "two-factor-verify": Row("two_factor:verify", only(*SIGNED_IN, then=TO_HOME)),
    "two-factor-set-up": Row("two_factor:set-up", only(*SIGNED_IN)),
    "two-factor-recovery-codes": Row(
        "two_factor:recovery-codes", only(*SIGNED_IN, then=Redirect("two_factor:manage"))
    ),
    "two-factor-reset": Row("two_factor:reset", only("administrator"), TWO_FACTOR_PERSON),
    "two-factor-exemptions": Row("two_factor:exemptions", only("administrator")),
    # Security keys: naming a new one; the page that adds it sends back for a name when
    # none was given; the ceremonies' steps are POST only; a key is removed by its owner
    # only (here the screener's: anyone else's is not found).
    "security-key-add": Row("two_factor:security-key-add", only(*SIGNED_IN)),
    "security-key-register": Row(
        "two_factor:security-key-register",
        only(*SIGNED_IN, then=Redirect("two_factor:security-key-add")),
    ),
    "security-key-register-begin": Row(
        "two_factor:security-key-register-begin", only(*SIGNED_IN, then=METHOD_NOT_ALLOWED)
    ),
    "security-key-register-complete": Row(
        "two_factor:security-key-register-complete", only(*SIGNED_IN, then=METHOD_NOT_ALLOWED)
    ),
    "security-key-sign-in-begin": Row(
        "two_factor:security-key-sign-in-begin", only(*SIGNED_IN, then=METHOD_NOT_ALLOWED)
    ),
    "security-key-sign-in-complete": Row(
        "two_factor:security-key-sign-in-complete", only(*SIGNED_IN, then=METHOD_NOT_ALLOWED)
    ),
    "security-key-remove": Row(
        "two_factor:security-key-remove",
        only("screener", otherwise=NOT_FOUND),
        SECURITY_KEY,
    ),
    "sso-start": Row("accounts:sso-start", {persona: NOT_FOUND for persona in EVERYONE}),
    "sso-callback": Row("accounts:sso-callback", {persona: NOT_FOUND for persona in EVERYONE}),
    "new-contacts": Row("contacts:new-contacts", only("screener", "manager")),
    "create": Row("contacts:create", only("screener", "manager", "school_referrer")),
    # With no draft to discard, the question goes back to the form.
    "draft-discard": Row(
        "contacts:draft-discard",
        only("screener", "manager", "school_referrer", then=Redirect("contacts:create")),
    ),
    "draft-autosave": Row(
        "contacts:draft-autosave",
        only("screener", "manager", "school_referrer", then=METHOD_NOT_ALLOWED),
    ),
    "submitted": Row("contacts:submitted", only("school_referrer")),
    "figures": Row("contacts:figures", only("analyst", "manager")),
    "detail-own-agency": Row(
        "contacts:detail", only("screener", "manager", "school_referrer"), OWN_AGENCY
    ),
    # A referrer asking for another agency's contact is told it is not found, as for a
    # reference that does not exist: the answer must not say that it does.
    "detail-other-agency": Row(
        "contacts:detail",
        {**only("screener", "manager"), "school_referrer": NOT_FOUND},
        OTHER_AGENCY,
    ),
    # Adding information is POST only; the service lets only the referrer who submitted
    # it add (tests/enquiries/test_contact_additions.py).
    "add-information": Row(
        "contacts:add-information",
        only("screener", "manager", "school_referrer", then=METHOD_NOT_ALLOWED),
        OWN_AGENCY,
    ),
    "received-own-agency": Row(
        "contacts:received", only("screener", "manager", "school_referrer"), OWN_AGENCY
    ),
    "received-other-agency": Row(
        "contacts:received",
        {**only("screener", "manager"), "school_referrer": NOT_FOUND},
        OTHER_AGENCY,
    ),
    "access-log-search": Row("contacts:access-log-search", only("auditor")),
    "access-log-results": Row("contacts:access-log-results", only("auditor")),
    "access-log": Row("contacts:access-log", only("auditor"), OWN_AGENCY),
    "audit-integrity": Row("core:audit-integrity", only("auditor")),
    # Asking for a check is POST only.
    "audit-check": Row("core:audit-check", only("auditor", then=METHOD_NOT_ALLOWED)),
    # The MASH enquiry. POST-only actions answer GET with 405 to those allowed.
    "screening-queue": Row("enquiries:screening-queue", only(*MASH)),
    # Allocation (issue 13): MASH managers only, POST only.
    "screening-queue-assign": Row(
        "enquiries:screening-queue-assign", only("manager", then=METHOD_NOT_ALLOWED)
    ),
    "screening-assign": Row(
        "enquiries:screening-assign", only("manager", then=METHOD_NOT_ALLOWED), ENQUIRY
    ),
    "screening": Row("enquiries:screening", only(*MASH), ENQUIRY),
    # Marking the referrer's new information as read is POST only.
    "screening-additions-read": Row(
        "enquiries:screening-additions-read", only(*MASH, then=METHOD_NOT_ALLOWED), ENQUIRY
    ),
    # The print view (issue 13, item 7): whoever may open the screening page.
    "contact-print": Row("enquiries:contact-print", only(*MASH), ENQUIRY),
    **{
        name: Row(f"enquiries:{name}", only(*MASH, then=METHOD_NOT_ALLOWED), ENQUIRY)
        for name in SCREENING_ACTIONS
    },
    **{
        name: Row(f"enquiries:{name}", only(*MASH, then=METHOD_NOT_ALLOWED), LINK)
        for name in LINK_ACTIONS
    },
    **{
        name: Row(f"enquiries:{name}", only(*MASH, then=METHOD_NOT_ALLOWED), CONFLICT)
        for name in CONFLICT_ACTIONS
    },
    # Correcting a person's details: MASH screeners and managers only.
    "person-correct": Row("enquiries:person-correct", only(*MASH), ENQUIRY),
    # Case notes: the MASH on any contact; a researcher only once their agency was asked
    # to check it (police was asked on the enquiry, nobody on the own-agency contact).
    "case-notes-checked": Row("enquiries:case-notes", only(*MASH, "police_researcher"), ENQUIRY),
    "case-notes-not-checked": Row("enquiries:case-notes", only(*MASH), OWN_AGENCY),
    # Attachments: the contact's files page by the case notes' rule; a check's files page
    # for its own agency (another agency's check does not exist); a download by the fire
    # wall: the MASH's own file for the MASH, police's check file for police and the MASH.
    "contact-attachments-checked": Row(
        "enquiries:contact-attachments", only(*MASH, "police_researcher"), ENQUIRY
    ),
    "contact-attachments-not-checked": Row(
        "enquiries:contact-attachments", only(*MASH), OWN_AGENCY
    ),
    "check-attachments-own-agency": Row(
        "enquiries:check-attachments", only("police_researcher"), POLICE_CHECK
    ),
    "check-attachments-other-agency": Row(
        "enquiries:check-attachments", only("police_researcher", then=NOT_FOUND), HEALTH_CHECK
    ),
    "attachment-mash-file": Row("enquiries:attachment", only(*MASH), CONTACT_FILE),
    "attachment-police-check-file": Row(
        "enquiries:attachment", only(*MASH, "police_researcher"), POLICE_CHECK_FILE
    ),
    "person-correct-decided": Row("enquiries:person-correct", only(*MASH), EARLY_HELP_HAND_ON),
    "import-upload": Row("linkage:import-upload", only(*AGENCY_INDEX)),
    "import-history": Row("linkage:import-history", only(*AGENCY_INDEX)),
    "index-settings": Row("linkage:index-settings", only(*AGENCY_INDEX)),
    "match-quality": Row(
        "linkage:match-quality", only("manager", "analyst", "auditor", "administrator")
    ),
    "import-detail-own-agency": Row("linkage:import-detail", only(*AGENCY_INDEX), POLICE_IMPORT),
    # Another agency's import is as if it did not exist; an administrator sees any.
    "import-detail-other-agency": Row(
        "linkage:import-detail",
        {**only(*AGENCY_INDEX), "police_researcher": NOT_FOUND},
        HEALTH_IMPORT,
    ),
    "check-queue": Row("enquiries:check-queue", only("police_researcher")),
    # Allocating agency checks (issue 13, item 4): MASH managers, for any agency.
    "check-allocation": Row("enquiries:check-allocation", only("manager")),
    "check-allocation-assign": Row(
        "enquiries:check-allocation-assign", only("manager", then=METHOD_NOT_ALLOWED)
    ),
    "check-assign": Row("enquiries:check-assign", only("manager"), POLICE_CHECK),
    # Allocating hand-ons: whoever answers the team's hand-ons; another team's hand-on is
    # as if it did not exist.
    "hand-on-queue-assign": Row(
        "enquiries:hand-on-queue-assign",
        only("early_help_coordinator", "manager", then=METHOD_NOT_ALLOWED),
    ),
    "hand-on-assign-early-help": Row(
        "enquiries:hand-on-assign",
        {**only("early_help_coordinator"), "manager": NOT_FOUND},
        EARLY_HELP_HAND_ON,
    ),
    "hand-on-assign-csc": Row(
        "enquiries:hand-on-assign",
        {**only("manager"), "early_help_coordinator": NOT_FOUND},
        CSC_HAND_ON,
    ),
    "check-own-agency": Row("enquiries:check", only("police_researcher"), POLICE_CHECK),
    # The fire wall: another agency's check is as if it did not exist.
    "check-other-agency": Row(
        "enquiries:check", only("police_researcher", then=NOT_FOUND), HEALTH_CHECK
    ),
    "decision-queue": Row("enquiries:decision-queue", only("manager")),
    "decision-in-checks": Row("enquiries:decision", only(*MASH), ENQUIRY),
    "decision-decided": Row("enquiries:decision", only(*MASH), EARLY_HELP_HAND_ON),
    "decision-amend": Row(
        "enquiries:decision-amend", only("manager", then=METHOD_NOT_ALLOWED), EARLY_HELP_HAND_ON
    ),
    "closure-agree": Row(
        "enquiries:closure-agree", only("manager", then=METHOD_NOT_ALLOWED), PROPOSAL
    ),
    "closure-decline": Row(
        "enquiries:closure-decline", only("manager", then=METHOD_NOT_ALLOWED), PROPOSAL
    ),
    "check-waive": Row("enquiries:check-waive", only(*MASH), POLICE_CHECK),
    # Trying an undelivered email again is POST only, for managers.
    "message-retry": Row(
        "enquiries:message-retry", only("manager", then=METHOD_NOT_ALLOWED), OUTCOME_EMAIL
    ),
    "hand-on-queue": Row("enquiries:hand-on-queue", only("early_help_coordinator", "manager")),
    "event-endpoints": Row("events:endpoints", only("administrator")),
    "event-endpoint-create": Row("events:endpoint-create", only("administrator")),
    "event-endpoint-edit": Row("events:endpoint-edit", only("administrator"), ENDPOINT),
    "failed-deliveries": Row("events:failed-deliveries", only("administrator", "manager")),
    # Trying a delivery again is POST only.
    "delivery-retry": Row(
        "events:delivery-retry",
        only("administrator", "manager", then=METHOD_NOT_ALLOWED),
        FAILED_DELIVERY,
    ),
    # A hand-on is answered by its own team: to anyone else it does not exist.
    "hand-on-early-help": Row(
        "enquiries:hand-on",
        {**only("early_help_coordinator"), "manager": NOT_FOUND},
        EARLY_HELP_HAND_ON,
    ),
    "hand-on-csc": Row(
        "enquiries:hand-on",
        {**only("manager"), "early_help_coordinator": NOT_FOUND},
        CSC_HAND_ON,
    ),
    "hand-on-accept": Row(
        "enquiries:hand-on-accept",
        only("early_help_coordinator", "manager", then=METHOD_NOT_ALLOWED),
        EARLY_HELP_HAND_ON,
    ),
    "hand-on-return": Row(
        "enquiries:hand-on-return",
        only("early_help_coordinator", "manager", then=METHOD_NOT_ALLOWED),
        EARLY_HELP_HAND_ON,
    ),
    # A child's chronology: the MASH always; a researcher once their agency is asked to
    # check on the child; early help once the child is handed on to it. Outside that
    # scope the child is as if they did not exist.
    "child-chronology-in-enquiry": Row(
        "enquiries:child-chronology",
        {**only(*MASH, "police_researcher"), "early_help_coordinator": NOT_FOUND},
        ENQUIRY,
    ),
    "child-chronology-early-help": Row(
        "enquiries:child-chronology",
        only(*MASH, "police_researcher", "early_help_coordinator"),
        EARLY_HELP_HAND_ON,
    ),
    "child-chronology-not-checked": Row(
        "enquiries:child-chronology",
        {**only(*MASH), "police_researcher": NOT_FOUND, "early_help_coordinator": NOT_FOUND},
        PROPOSAL,
    ),
    # Find a child: the MASH, and agency researchers scoped to their own agency's records
    # and the children they were asked to check on (issue 11, item 3).
    "find-child": Row("enquiries:find-child", only(*MASH, "police_researcher")),
    "find-child-results": Row("enquiries:find-child-results", only(*MASH, "police_researcher")),
    # Strategy discussions: an agency sees one once invited; to anyone else it does not
    # exist. MASH managers run it (the chair records minutes, decision and actions).
    "strategy-discussions": Row("strategy:discussions", only(*STRATEGY_READERS)),
    "strategy-raise": Row("strategy:raise", {**only(*STRATEGY_READERS), **NOT_INVITED}, ENQUIRY),
    "strategy-discussion-invited": Row(
        "strategy:discussion", {**only(*STRATEGY_READERS), **NOT_INVITED}, STRATEGY_INVITED
    ),
    "strategy-discussion-not-invited": Row(
        "strategy:discussion",
        {**only(*STRATEGY_READERS), **NOT_INVITED, "police_researcher": NOT_FOUND},
        STRATEGY_NOT_INVITED,
    ),
    **{
        f"strategy-{name}": Row(f"strategy:{name}", only("manager"), STRATEGY_INVITED)
        for name in STRATEGY_RUNNING
    },
    # A discussion's files are shared like its minutes: the MASH and the agencies invited.
    "strategy-attachments-invited": Row(
        "strategy:attachments", {**only(*STRATEGY_READERS), **NOT_INVITED}, STRATEGY_INVITED
    ),
    "strategy-attachments-not-invited": Row(
        "strategy:attachments",
        {**only(*STRATEGY_READERS), **NOT_INVITED, "police_researcher": NOT_FOUND},
        STRATEGY_NOT_INVITED,
    ),
    "strategy-attachment": Row(
        "strategy:attachment", only(*MASH, "police_researcher"), STRATEGY_FILE
    ),
    "strategy-action-done": Row(
        "strategy:action-done", only(*STRATEGY_READERS, then=METHOD_NOT_ALLOWED), STRATEGY_ACTION
    ),
    # Indicators: aggregates only, for the MASH's managers and its analysts.
    "metrics-dashboard": Row("metrics:dashboard", only("manager", "analyst")),
    # Value for money and the board report: aggregates only, for the same readers.
    "value-summary": Row("value:summary", only("manager", "analyst")),
    "value-board-report": Row("value:board-report", only("manager", "analyst")),
    "value-board-report-pdf": Row("value:board-report-pdf", only("manager", "analyst")),
    "metrics-chart-download": Row("metrics:chart-download", only("manager", "analyst")),
    "metrics-table-download": Row("metrics:table-download", only("manager", "analyst")),
    "metrics-evaluation": Row("metrics:evaluation", only("manager", "analyst")),
    "metrics-evaluation-london": Row("metrics:evaluation-london", only("manager", "analyst")),
    # Extracts (Annex A, census items) name children: MASH managers only. Download with
    # nothing chosen goes back to the page.
    "extracts": Row("extracts:index", only("manager")),
    "extracts-download": Row("extracts:download", only("manager", then=Redirect("extracts:index"))),
    "planner-scenarios": Row("planner:scenarios", only(*PLAN_READERS)),
    "planner-compare": Row("planner:compare", only(*PLAN_READERS)),
    "planner-calibrate": Row("planner:calibrate", only(*PLANNERS)),
    "planner-replay": Row("planner:replay", only(*PLANNERS)),
    "planner-scenario": Row("planner:scenario", only(*PLAN_READERS), PLANNER_SCENARIO),
    "planner-scenario-json": Row("planner:scenario-json", only(*PLAN_READERS), PLANNER_SCENARIO),
    "planner-copy": Row("planner:copy", only(*PLANNERS), PLANNER_SCENARIO),
    "planner-recommend": Row("planner:recommend", only(*PLANNERS), PLANNER_SCENARIO),
    "planner-run-start": Row(
        "planner:run-start", only(*PLANNERS, then=METHOD_NOT_ALLOWED), PLANNER_SCENARIO
    ),
    **{
        f"planner-edit-{part}": Row(f"planner:edit-{part}", only(*PLANNERS), PLANNER_SCENARIO)
        for part in SCENARIO_PARTS
    },
    "planner-run": Row("planner:run", only(*PLAN_READERS), PLANNER_RUN),
    "planner-run-progress": Row("planner:run-progress", only(*PLAN_READERS), PLANNER_RUN),
    "planner-run-queues-svg": Row("planner:run-queues-svg", only(*PLAN_READERS), PLANNER_RUN),
    "planner-adopt-recommendation": Row(
        "planner:adopt-recommendation", only(*PLANNERS, then=METHOD_NOT_ALLOWED), PLANNER_RUN
    ),
    # Information governance (issue 14, items 8 and 9): the officer answers subject access
    # requests and keeps the schedule and holds; auditors may read the schedule and the
    # dry run (references and dates, no names).
    "governance-retention": Row("governance:retention", only("ig_officer", "auditor")),
    "governance-retention-rule": Row("governance:retention-rule", only("ig_officer")),
    "governance-hold-place": Row("governance:hold-place", only("ig_officer")),
    "governance-hold-release": Row("governance:hold-release", only("ig_officer"), LEGAL_HOLD),
    "governance-subject-access": Row("governance:subject-access", only("ig_officer")),
    "governance-subject-access-search": Row("governance:subject-access-search", only("ig_officer")),
    "governance-subject-access-export": Row(
        "governance:subject-access-export", only("ig_officer"), SUBJECT_ACCESS
    ),
    "governance-subject-access-download": Row(
        "governance:subject-access-download", only("ig_officer"), SUBJECT_ACCESS
    ),
    "user-admin-users": Row("user-admin:users", only(*USER_ADMINS)),
    "user-admin-user-add": Row("user-admin:user-add", only(*USER_ADMINS)),
    "user-admin-roles": Row("user-admin:roles", only(*USER_ADMINS)),
    "user-admin-user": Row("user-admin:user", only(*USER_ADMINS), ANALYST_ACCOUNT),
    "user-admin-user-administrator": Row(
        "user-admin:user", only(*USER_ADMINS), ADMINISTRATOR_ACCOUNT
    ),
    **{
        f"user-admin-{name}": Row(f"user-admin:{name}", only(*USER_ADMINS), ANALYST_ACCOUNT)
        for name in ("user-change", "user-roles", "user-deactivate")
    },
    # The administrator's own account: they may change it (the deactivation page says
    # they cannot deactivate themselves); a manager may not.
    **{
        f"user-admin-{name}-administrator": Row(
            f"user-admin:{name}", only("administrator"), ADMINISTRATOR_ACCOUNT
        )
        for name in ("user-change", "user-roles", "user-deactivate")
    },
    "user-admin-user-reactivate": Row(
        "user-admin:user-reactivate", only(*USER_ADMINS), DEACTIVATED_ACCOUNT
    ),
    "admin": Row(
        "admin:index",
        only("administrator", otherwise=TO_ADMIN_SIGN_IN, anonymous=TO_ADMIN_SIGN_IN),
    ),
    "admin-users": Row(
        "admin:accounts_user_changelist",
        only("administrator", otherwise=TO_ADMIN_SIGN_IN, anonymous=TO_ADMIN_SIGN_IN),
    ),
}


def _walk(
    patterns: list[URLPattern | URLResolver], prefix: str = "", namespace: str = ""
) -> Iterator[tuple[str, str, URLPattern]]:
    """(route, namespaced name, pattern) for every URL pattern, outside the skipped namespaces."""
    for entry in patterns:
        if isinstance(entry, URLResolver):
            if entry.namespace in NOT_WALKED_NAMESPACES:
                continue
            inner = f"{namespace}:{entry.namespace}" if namespace else (entry.namespace or "")
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern), inner)
        else:
            name = f"{namespace}:{entry.name}" if namespace and entry.name else (entry.name or "")
            yield prefix + str(entry.pattern), name, entry


def _project_urls() -> list[tuple[str, str, URLPattern]]:
    return list(_walk(get_resolver().url_patterns))


def _api_operations() -> Iterator[tuple[str, str, Any]]:
    """(path, method, operation) for every django-ninja operation of API v1."""
    get_resolver().url_patterns  # noqa: B018 -- loading the URLconf binds the API's routers
    for prefix, router in api._routers:
        for path, path_view in router.path_operations.items():
            for operation in path_view.operations:
                for method in operation.methods:
                    yield f"{prefix}{path}", method, operation


def test_it_finds_the_project_urls() -> None:
    names = {name for _, name, _ in _project_urls()}
    assert {"home:home", "contacts:detail", "accounts:sign-in"} <= names


def test_every_view_declares_a_permission() -> None:
    undeclared = [
        f"/{route} ({name or 'unnamed'}: {pattern.lookup_str})"
        for route, name, pattern in _project_urls()
        if not hasattr(pattern.callback, "openmash_permission")
    ]
    assert not undeclared, "Views without @requires(...) or @public: " + ", ".join(undeclared)


def test_every_api_operation_declares_a_permission() -> None:
    operations = list(_api_operations())
    assert operations, "Found no API operations: has django-ninja's router layout changed?"
    undeclared = [
        f"{method} {path} ({operation.view_func.__name__})"
        for path, method, operation in operations
        if not getattr(operation.view_func, "openmash_permission", "")
    ]
    assert not undeclared, "API operations without @permission(...): " + ", ".join(undeclared)


def test_every_named_url_has_a_row_in_the_access_table() -> None:
    named = {name for _, name, _ in _project_urls() if name}
    in_table = {row.url_name for row in ACCESS_TABLE.values()}
    missing = sorted(named - in_table)
    assert not missing, f"Add rows to ACCESS_TABLE for: {missing}"
    every_row_is_a_real_url = {name for name in in_table if not name.startswith("admin:")}
    assert every_row_is_a_real_url <= named, every_row_is_a_real_url - named


def test_every_row_says_what_each_persona_gets() -> None:
    for key, row in ACCESS_TABLE.items():
        assert set(row.expected) == set(EVERYONE), key


@pytest.fixture
def two_factor_person(screener: User) -> User:
    return screener


@pytest.fixture
def screeners_security_key(screener: User) -> WebAuthnCredential:
    return WebAuthnCredential.objects.create(
        user=screener,
        name="Blue USB key",
        confirmed=True,
        credential_id=b"screeners-key",
        public_key=b"not used here",
        sign_count=0,
    )


@pytest.fixture
def own_agency_contact(school_contact: Contact) -> Contact:
    return school_contact


@pytest.fixture
def other_agency_contact(other_school_referrer: User) -> Contact:
    contact, _ = contact_create(actor=Actor(user=other_school_referrer), submission=a_submission())
    return contact


def _rated_contact(school_referrer: User, screener: User, child: str) -> Contact:
    """A new contact from Riverside about a child of its own (so no other sample contact
    is the same child), taken by the screener and rated amber."""
    given_names, family_name = child.split()
    submission = a_submission(
        people=[
            a_child(
                given_names=given_names,
                family_name=family_name,
                date_of_birth=date.today() - timedelta(days=9 * 365),
                nhs_number="",
            )
        ]
    )
    contact, _ = contact_create(actor=Actor(user=school_referrer), submission=submission)
    contact_take(actor=Actor(user=screener), contact_id=contact.pk)
    contact_rate(
        actor=Actor(user=screener),
        contact_id=contact.pk,
        rag="amber",
        rationale="Bruising seen twice this term; no immediate risk.",
    )
    contact.refresh_from_db()
    return contact


def _open_enquiry(screener: User, contact: Contact, agencies: list[Agency]) -> Contact:
    enquiry_open(
        actor=Actor(user=screener),
        contact_id=contact.pk,
        agency_ids=[agency.pk for agency in agencies],
    )
    contact.refresh_from_db()
    return contact


def _not_known(contact: Contact) -> list[FindingInput]:
    return [
        FindingInput(person_id=person.pk, known=False, lawful_basis="law_enforcement_safeguarding")
        for person in contact.people.all()
    ]


@pytest.fixture
def enquiry_contact(
    school_referrer: User, personas: dict[str, User], agencies: dict[str, Agency]
) -> Contact:
    """Riverside's contact in an enquiry: amber, police and health asked to check."""
    screener = personas["screener"]
    contact = _rated_contact(school_referrer, screener, "Noah Green")
    return _open_enquiry(screener, contact, [agencies["police"], agencies["health"]])


@pytest.fixture
def police_check_sample(enquiry_contact: Contact) -> AgencyCheck:
    return AgencyCheck.objects.get(contact=enquiry_contact, agency__slug="police")


@pytest.fixture
def health_check_sample(enquiry_contact: Contact) -> AgencyCheck:
    return AgencyCheck.objects.get(contact=enquiry_contact, agency__slug="health")


def _decided_hand_on(personas: dict[str, User], contact: Contact, data: DecisionInput) -> HandOn:
    decision = decision_record(
        actor=Actor(user=personas["manager"]), contact_id=contact.pk, data=data
    )
    return HandOn.objects.select_related("contact").get(decision=decision)


@pytest.fixture
def early_help_hand_on(
    school_referrer: User, personas: dict[str, User], agencies: dict[str, Agency]
) -> HandOn:
    """A contact decided "early help" after the police found nobody known: its hand-on."""
    contact = _rated_contact(school_referrer, personas["screener"], "Ella Brown")
    _open_enquiry(personas["screener"], contact, [agencies["police"]])
    check_record_findings(
        actor=Actor(user=personas["police_researcher"]),
        check_id=AgencyCheck.objects.get(contact=contact).pk,
        findings=_not_known(contact),
    )
    return _decided_hand_on(
        personas,
        contact,
        DecisionInput(
            level_of_need=2,
            outcome="early_help",
            factor_codes=["16A"],
            primary_need="N4",
            rationale="Needs met by a family support worker.",
            receiving_team="Early help hub",
        ),
    )


@pytest.fixture
def csc_hand_on(school_referrer: User, personas: dict[str, User]) -> HandOn:
    """A contact decided "assessment (section 17)" with no checks: its hand-on to
    children's social care."""
    contact = _rated_contact(school_referrer, personas["screener"], "Oscar White")
    _open_enquiry(personas["screener"], contact, [])
    return _decided_hand_on(
        personas,
        contact,
        DecisionInput(
            level_of_need=3,
            outcome="assessment_s17",
            factor_codes=["16A"],
            primary_need="N1",
            rationale="Needs a social work assessment.",
            receiving_team="Assessment team",
        ),
    )


@pytest.fixture
def outcome_email(early_help_hand_on: HandOn) -> Message:
    return Message.objects.get(
        contact=early_help_hand_on.contact, kind=MessageKind.OUTCOME_FEEDBACK
    )


@pytest.fixture
def closure_proposal(school_referrer: User, personas: dict[str, User]) -> ClosureProposal:
    """A rated contact the screener proposes to close with no further action."""
    contact = _rated_contact(school_referrer, personas["screener"], "Mia Black")
    return closure_propose(
        actor=Actor(user=personas["screener"]),
        contact_id=contact.pk,
        outcome="nfa",
        rationale="The school has dealt with it; nothing for the MASH to do.",
    )


@pytest.fixture
def person_link_sample(enquiry_contact: Contact, school_contact: Contact) -> PersonLink:
    """The matcher's suggestion that the enquiry's child is the school contact's child."""
    return PersonLink.objects.create(
        contact_person=enquiry_contact.people.order_by("position").first(),
        candidate=IndexedPerson.objects.get(
            contact_person=school_contact.people.order_by("position").first()
        ),
        probability=0.9,
        explanation=["same date of birth"],
    )


@pytest.fixture
def identifier_conflict_sample(
    enquiry_contact: Contact, school_contact: Contact
) -> IdentifierConflict:
    """The school contact's Amy and the enquiry's Noah given the same NHS number."""
    conflict, _ = IdentifierConflict.objects.get_or_create(
        contact_person=enquiry_contact.people.order_by("position").first(),
        other=IndexedPerson.objects.get(
            contact_person=school_contact.people.order_by("position").first()
        ),
        identifier="nhs_number",
        defaults={"value": "9434765919"},
    )
    return conflict


@pytest.fixture
def police_index_import(police_token: tuple[ApiToken, str]) -> IndexImport:
    token = police_token[0]
    return index_import_apply(
        actor=Actor(token=token),
        agency=token.agency,
        mode="delta",
        rows=feed_from_records([INDEX_RECORD]),
    )


@pytest.fixture
def health_index_import(personas: dict[str, User], agencies: dict[str, Agency]) -> IndexImport:
    return index_import_apply(
        actor=Actor(user=personas["administrator"]),
        agency=agencies["health"],
        mode="delta",
        rows=feed_from_records([INDEX_RECORD]),
    )


@pytest.fixture
def planner_scenario_sample(personas: dict[str, User]) -> PlannerScenario:
    from openmash.demo.capacity_examples import county_mash
    from openmash.planner.services import scenario_create

    small = county_mash(horizon_days=3, warm_up_days=1, replications=2)
    return scenario_create(
        actor=Actor(user=personas["manager"]), name="Sample", data=small.to_dict()
    )


@pytest.fixture
def planner_run_sample(
    planner_scenario_sample: PlannerScenario, personas: dict[str, User]
) -> ScenarioRun:
    """A finished run (its chart can be downloaded)."""
    from openmash.planner.services import run_execute, run_start

    run = run_start(actor=Actor(user=personas["manager"]), scenario_id=planner_scenario_sample.pk)
    run_execute(run_id=run.pk)
    return run


@pytest.fixture
def webhook_endpoint_sample(db: None) -> WebhookEndpoint:
    return WebhookEndpoint.objects.create(
        name="Early help case system",
        recipient_team="early_help",
        url="https://cases.example.gov.uk/openmash",
        secret_variable="OPENMASH_WEBHOOK_SECRET_EARLY_HELP",
    )


@pytest.fixture
def failed_delivery_sample(
    early_help_hand_on: HandOn, webhook_endpoint_sample: WebhookEndpoint
) -> Delivery:
    """The early help hand-on's event, which the early help system did not take."""
    return Delivery.objects.create(
        event=Event.objects.filter(kind="hand_on.created").get(contact=early_help_hand_on.contact),
        endpoint=webhook_endpoint_sample,
        status=DeliveryStatus.FAILED,
        attempts=1,
        failure="The receiving system answered 503",
    )


def _strategy_discussion(personas: dict[str, User], contact: Contact) -> StrategyDiscussion:
    return discussion_raise(
        actor=Actor(user=personas["screener"]), contact_id=contact.pk, reason="Disclosure."
    )


@pytest.fixture
def strategy_police_invited(
    enquiry_contact: Contact, personas: dict[str, User], agencies: dict[str, Agency]
) -> StrategyDiscussion:
    manager = Actor(user=personas["manager"])
    discussion = _strategy_discussion(personas, enquiry_contact)
    discussion_schedule(
        actor=manager,
        discussion_id=discussion.pk,
        data=ScheduleInput(
            day=date.today(), time="00:00", place="MASH room", chair_id=personas["manager"].pk
        ),
    )
    discussion_invite(
        actor=manager,
        discussion_id=discussion.pk,
        agency_ids=[agencies["police"].pk, agencies["csc"].pk],
    )
    minutes_record(actor=manager, discussion_id=discussion.pk, minutes="Held.")
    return discussion


@pytest.fixture
def strategy_police_action(
    strategy_police_invited: StrategyDiscussion,
    personas: dict[str, User],
    agencies: dict[str, Agency],
) -> StrategyAction:
    from openmash.strategy.services import action_add

    return action_add(
        actor=Actor(user=personas["manager"]),
        discussion_id=strategy_police_invited.pk,
        data=ActionInput("Check records", agencies["police"].pk, None, date.today()),
    )


@pytest.fixture
def strategy_not_invited(enquiry_contact: Contact, personas: dict[str, User]) -> StrategyDiscussion:
    return _strategy_discussion(personas, enquiry_contact)


@pytest.fixture
def mash_contact_file(enquiry_contact: Contact, personas: dict[str, User]) -> Attachment:
    return attachment_add(
        actor=Actor(user=personas["screener"]),
        contact_id=enquiry_contact.pk,
        upload=SimpleUploadedFile("referral.pdf", PDF),
    )


@pytest.fixture
def police_check_file(police_check_sample: AgencyCheck, personas: dict[str, User]) -> Attachment:
    return check_attachment_add(
        actor=Actor(user=personas["police_researcher"]),
        check_id=police_check_sample.pk,
        upload=SimpleUploadedFile("PNC.pdf", PDF),
    )


@pytest.fixture
def strategy_file(
    strategy_police_invited: StrategyDiscussion, personas: dict[str, User]
) -> DiscussionAttachment:
    return discussion_attachment_add(
        actor=Actor(user=personas["manager"]),
        discussion_id=strategy_police_invited.pk,
        upload=SimpleUploadedFile("chronology.pdf", PDF),
    )


@pytest.fixture
def analyst_account(personas: dict[str, User]) -> User:
    return personas["analyst"]


@pytest.fixture
def administrator_account(personas: dict[str, User]) -> User:
    return personas["administrator"]


@pytest.fixture
def deactivated_account(make_user: Callable[..., User], personas: dict[str, User]) -> User:
    leaver = make_user("leaver", Role.REFERRER, "hillview")
    user_deactivate(
        user=leaver, by=Actor(user=personas["administrator"]), reason=DeactivationReason.LEFT
    )
    return leaver


@pytest.fixture
def legal_hold_sample(own_agency_contact: Contact, personas: dict[str, User]) -> LegalHold:
    return LegalHold.objects.create(
        contact=own_agency_contact, reason="Complaint", placed_by=personas["ig_officer"]
    )


@pytest.fixture
def subject_access_sample(
    own_agency_contact: Contact, personas: dict[str, User]
) -> SubjectAccessRequest:
    return SubjectAccessRequest.objects.create(
        reference="SAR-1",
        received_on=date(2026, 12, 1),
        requested_by=personas["ig_officer"],
        contact_person_ids=[own_agency_contact.people.first().pk],  # type: ignore[union-attr]
    )


# Kwargs that name no object: a value each URL accepts.
PLAIN_KWARGS: dict[str, object] = {
    "chart": "backlog",
    "file_format": "svg",
    "indicator": "backlog",
    "number": 1,
    "export_format": "csv",
    # A search id nobody has: the page asks for the search again (no terms, no results).
    "search_id": "no-such-search",
    # A link to set a new password that was never issued (user 1's id, a wrong token).
    "uidb64": "MQ",
    "token": "not-a-real-token",
    # Nobody's session: POST only anyway.
    "session_id": 1,
    "record_type": "message",
}

# The object each id kwarg names.
ID_KWARGS: dict[str, type[Model]] = {
    "link_id": PersonLink,
    "conflict_id": IdentifierConflict,
    "check_id": AgencyCheck,
    "hand_on_id": HandOn,
    "proposal_id": ClosureProposal,
    "message_id": Message,
    "discussion_id": StrategyDiscussion,
    "hold_id": LegalHold,
}


def sample_kwargs(pattern_kwargs: list[str], sample: Model) -> dict[str, object]:
    """Real values for a URL's kwargs from a sample object: its id, its contact's
    reference, the first person (the child) named in that contact."""
    if isinstance(sample, IndexImport):
        return {"import_id": sample.pk}
    if isinstance(sample, User):
        return {"user_id": sample.pk}
    if isinstance(sample, WebAuthnCredential):
        return {"key_id": sample.pk}
    if isinstance(sample, PlannerScenario):
        return {"scenario_id": sample.pk}
    if isinstance(sample, ScenarioRun):
        return {"run_id": sample.pk}
    if isinstance(sample, WebhookEndpoint):
        return {"endpoint_id": sample.pk}
    if isinstance(sample, Delivery):
        return {"delivery_id": sample.pk}
    if isinstance(sample, StrategyAction):
        return {"discussion_id": sample.discussion_id, "action_id": sample.pk}
    if isinstance(sample, DiscussionAttachment | SubjectAccessRequest):
        return {"public_id": sample.public_id}
    if isinstance(sample, PersonLink | IdentifierConflict):
        contact = sample.contact_person.contact
    else:
        contact = sample if isinstance(sample, Contact) else sample.contact  # type: ignore[attr-defined]
    values: dict[str, object] = {}
    for kwarg in pattern_kwargs:
        if kwarg == "reference":
            values[kwarg] = contact.reference
        elif kwarg == "public_id" and isinstance(sample, Attachment):
            values[kwarg] = sample.public_id
        elif kwarg == "person_id":
            values[kwarg] = contact.people.order_by("position").first().pk  # type: ignore[union-attr]
        elif kwarg in ID_KWARGS:
            assert isinstance(sample, ID_KWARGS[kwarg]), f"{kwarg} needs a {ID_KWARGS[kwarg]}"
            values[kwarg] = sample.pk
        elif kwarg in PLAIN_KWARGS:
            values[kwarg] = PLAIN_KWARGS[kwarg]
        else:
            raise AssertionError(f"No sample value for URL kwarg {kwarg!r}: add one here")
    return values


def _url_kwargs(url_name: str) -> list[str]:
    for _, name, pattern in _project_urls():
        if name == url_name:
            return list(pattern.pattern.converters)
    return []


@pytest.mark.parametrize("persona", EVERYONE)
@pytest.mark.parametrize("row_key", list(ACCESS_TABLE))
def test_it_gives_each_persona_the_declared_status(
    row_key: str, persona: str, personas: dict[str, User], request: pytest.FixtureRequest
) -> None:
    row = ACCESS_TABLE[row_key]
    # Only the sample this row needs is made (each is a fixture named by the row).
    sample = request.getfixturevalue(row.sample or OWN_AGENCY)
    url = reverse(row.url_name, kwargs=sample_kwargs(_url_kwargs(row.url_name), sample))
    client = Client() if persona == ANONYMOUS else signed_in(personas[persona])

    response = client.get(url)

    expected = row.expected[persona]
    if isinstance(expected, Redirect):
        assert response.status_code == 302, (url, persona, response.status_code)
        assert urlsplit(response["Location"]).path == reverse(expected.to), response["Location"]
    else:
        assert response.status_code == expected, (url, persona, response.status_code)


def test_it_rejects_cross_agency_access_to_a_contact_page(
    school_referrer: User, other_agency_contact: Contact, own_agency_contact: Contact
) -> None:
    client = signed_in(school_referrer)
    theirs = client.get(reverse("contacts:detail", args=[other_agency_contact.reference]))
    ours = client.get(reverse("contacts:detail", args=[own_agency_contact.reference]))
    missing = client.get(reverse("contacts:detail", args=["MASH-2026-999999"]))
    # Another agency's contact and one that does not exist get the same answer.
    assert theirs.status_code == missing.status_code == 404
    assert other_agency_contact.reference.encode() not in theirs.content
    assert ours.status_code == 200


@pytest.mark.parametrize(
    "reference", ["MASH-2000-999999", "MASH%00X", "%00", "%F0%9F%98%80", "M" * 300]
)
@pytest.mark.parametrize("template", ["/contacts/{}/", "/contacts/{}/received/"])
def test_it_answers_a_reference_that_matches_no_contact_with_not_found(
    screener: User, school_referrer: User, template: str, reference: str
) -> None:
    url = template.format(reference)
    assert signed_in(screener).get(url).status_code == 404
    assert signed_in(school_referrer).get(url).status_code == 404


def test_it_lets_only_the_administrator_into_admin(personas: dict[str, User]) -> None:
    for name, user in personas.items():
        response = signed_in(user).get("/admin/")
        if name == "administrator":
            assert response.status_code == 200
        else:
            assert response.status_code == 302, name
            assert urlsplit(response["Location"]).path == "/admin/login/"
    assert Client().get("/admin/").status_code == 302


# The API: only an agency system's bearer token gets in, whoever is signed in.


@pytest.fixture
def health_token(agencies: dict[str, Any]) -> tuple[ApiToken, str]:
    return api_token_issue(agency=agencies["health"], name="Health system", issued_by="test")


@pytest.fixture
def police_contact(police_token: tuple[ApiToken, str]) -> Contact:
    contact, _ = contact_create(actor=Actor(token=police_token[0]), submission=a_submission())
    return contact


@pytest.fixture
def police_check(
    police_contact: Contact, screener: User, agencies: dict[str, Agency]
) -> AgencyCheck:
    """The police asked to check on the contact their own system submitted."""
    contact_take(actor=Actor(user=screener), contact_id=police_contact.pk)
    contact_rate(
        actor=Actor(user=screener),
        contact_id=police_contact.pk,
        rag="amber",
        rationale="Domestic incident with a child present.",
    )
    _open_enquiry(screener, police_contact, [agencies["police"]])
    return AgencyCheck.objects.get(contact=police_contact, agency=agencies["police"])


def _findings_body(check: AgencyCheck) -> dict[str, Any]:
    """A valid body for POST /api/v1/checks/{check_id}/findings: nobody known."""
    return {
        "findings": [
            {"person_id": person.pk, "known": False, "lawful_basis": "law_enforcement_safeguarding"}
            for person in check.contact.people.order_by("position")
        ]
    }


def _api_requests(check: AgencyCheck) -> list[tuple[str, str, Callable[..., Any]]]:
    """Every API operation as (method, url, how to call it with a client and headers), on
    the contact the police submitted and the police check on it. With a valid token the
    findings complete the check: each test makes its own check."""
    bodies: dict[str, Callable[[], dict[str, Any]]] = {
        "/contacts": api_payload,
        "/checks/{check_id}/findings": lambda: _findings_body(check),
        "/index/imports": lambda: {"mode": "delta", "records": [INDEX_RECORD]},
        "/contacts/{contact_id}/additions": lambda: {"text": "The child is now at gran's."},
    }
    # An import record of the check's agency, made directly: the service would write audit
    # events with a token the revoked-token test then revokes.
    index_import = IndexImport.objects.create(agency_id=check.agency_id, mode="delta", rows=1)
    requests = []
    for path, method, _ in _api_operations():
        url = "/api/v1" + (
            path.replace("{contact_id}", str(check.contact_id))
            .replace("{check_id}", str(check.pk))
            .replace("{import_id}", str(index_import.pk))
            .replace("{hand_on_id}", "1")
        )
        assert "{" not in url, f"No sample value for a path parameter in {path}: add one here"
        assert method in ("GET", "POST"), f"Add a sample request for {method} {path}"
        assert method == "GET" or path in bodies, f"Add a sample body for {method} {path}"

        def call(
            client: Client, url: str = url, method: str = method, path: str = path, **headers: str
        ) -> Any:
            if method == "GET":
                return client.get(url, headers=headers)
            return client.post(
                url, bodies[path](), content_type="application/json", headers=headers
            )

        requests.append((method, url, call))
    return requests


def test_it_rejects_api_calls_without_a_token(police_check: AgencyCheck) -> None:
    for method, url, call in _api_requests(police_check):
        response = call(Client())
        assert response.status_code == 401, (method, url)
        assert response["WWW-Authenticate"] == "Bearer"


@pytest.mark.parametrize(
    "authorization",
    ["Bearer omash_not-a-real-token", "Bearer ", "Basic dXNlcjpwYXNz", "omash_no_scheme"],
)
def test_it_rejects_api_calls_with_a_bad_token(
    police_check: AgencyCheck, authorization: str
) -> None:
    before = Contact.objects.count()
    for method, url, call in _api_requests(police_check):
        response = call(Client(), Authorization=authorization)
        assert response.status_code == 401, (method, url, authorization)
    assert Contact.objects.count() == before
    assert AgencyCheck.objects.get(pk=police_check.pk).state == CheckState.REQUESTED


def test_it_rejects_api_calls_with_a_revoked_token(
    police_token: tuple[ApiToken, str], police_check: AgencyCheck, personas: dict[str, User]
) -> None:
    token, secret = police_token
    api_token_revoke(actor=Actor(user=personas["administrator"]), token=token)
    for method, url, call in _api_requests(police_check):
        assert call(Client(), Authorization=f"Bearer {secret}").status_code == 401, (method, url)


@pytest.mark.parametrize("persona", SIGNED_IN)
def test_it_rejects_api_calls_from_a_signed_in_session_without_a_token(
    persona: str, personas: dict[str, User], police_check: AgencyCheck
) -> None:
    before = Contact.objects.count()
    client = signed_in(personas[persona])
    for method, url, call in _api_requests(police_check):
        response = call(client)
        assert response.status_code == 401, (persona, method, url)
    assert Contact.objects.count() == before
    assert AgencyCheck.objects.get(pk=police_check.pk).state == CheckState.REQUESTED


def test_it_accepts_api_calls_with_a_valid_token(
    police_token: tuple[ApiToken, str], police_check: AgencyCheck
) -> None:
    _, secret = police_token
    for method, url, call in _api_requests(police_check):
        if url.startswith("/api/v1/hand-ons"):
            # A receiving team's system only: tests/enquiries/test_mash_summary.py.
            continue
        response = call(Client(), Authorization=f"Bearer {secret}")
        assert response.status_code in (200, 201), (method, url, response.content)
    assert AgencyCheck.objects.get(pk=police_check.pk).state == CheckState.COMPLETED


def test_it_rejects_cross_agency_access_through_the_api(
    health_token: tuple[ApiToken, str], police_contact: Contact
) -> None:
    _, secret = health_token
    response = Client().get(
        f"/api/v1/contacts/{police_contact.pk}", headers={"Authorization": f"Bearer {secret}"}
    )
    assert response.status_code == 404
    assert police_contact.reference not in response.content.decode()
    # Indistinguishable from a contact that does not exist.
    missing = Client().get("/api/v1/contacts/999999", headers={"Authorization": f"Bearer {secret}"})
    assert missing.status_code == 404
    assert missing.json() == response.json()


def test_it_gives_an_api_token_no_access_to_contacts_submitted_through_the_web(
    police_token: tuple[ApiToken, str], school_contact: Contact
) -> None:
    _, secret = police_token
    response = Client().get(
        f"/api/v1/contacts/{school_contact.pk}", headers={"Authorization": f"Bearer {secret}"}
    )
    assert response.status_code == 404


def test_it_answers_another_agencys_check_through_the_api_with_not_found(
    health_token: tuple[ApiToken, str], police_check: AgencyCheck
) -> None:
    headers = {"Authorization": f"Bearer {health_token[1]}"}
    seen = Client().get(f"/api/v1/checks/{police_check.pk}", headers=headers)
    answered = Client().post(
        f"/api/v1/checks/{police_check.pk}/findings",
        _findings_body(police_check),
        content_type="application/json",
        headers=headers,
    )
    missing = Client().get("/api/v1/checks/999999", headers=headers)
    assert (seen.status_code, answered.status_code, missing.status_code) == (404, 404, 404)
    assert seen.json() == missing.json()
    assert police_check.contact.reference not in seen.content.decode()
    assert AgencyCheck.objects.get(pk=police_check.pk).state == CheckState.REQUESTED
