"""The MASH summary (issue 12, item 1): what crosses the fire wall to the team a case is
handed to. Each agency releases each finding onward in full, as a summary its researcher
writes, or not at all; the manager composes the summary at decision; the receiving team
sees exactly that summary, on every page and API response it can reach, and the audit
log records what crossed, to whom and on what basis."""

import re
from urllib.parse import urlsplit

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import URLResolver, get_resolver, reverse
from pytest_django import DjangoAssertNumQueries

from openmash.accounts.models import Agency, User
from openmash.accounts.services import api_token_issue
from openmash.contacts.codes import LawfulBasis, PersonRole
from openmash.contacts.models import Contact
from openmash.contacts.services import contact_create
from openmash.core.audit import Actor
from openmash.core.models import AuditAction, AuditEvent
from openmash.enquiries.models import CheckFinding, Decision, HandOn, OnwardSharing
from openmash.enquiries.selectors.summary import hand_on_summary
from openmash.enquiries.services.checks import FindingInput, check_record_findings
from openmash.enquiries.services.decisions import DecisionInput, decision_amend, decision_record
from openmash.enquiries.services.guards import EnquiryInvalid
from openmash.enquiries.services.hand_ons import hand_on_accept
from openmash.enquiries.services.screening import contact_rate, contact_take, enquiry_open
from tests.conftest import signed_in
from tests.enquiries.conftest import check_for
from tests.enquiries.test_hand_on_views import STEP_DOWN_INPUT, decided_contact
from tests.factories import a_child, a_parent, a_submission

# Police release a summary they write about the man in the home: a risk to a worker
# visiting alone. Their own detail, and what they hold back, stay in the MASH.
POLICE_DETAIL = "Three call-outs in 2025 for assaults on his former partner at Flat 2."
POLICE_RISK = "Threatened an officer with a knife during the last arrest."
POLICE_RESTRICTED = "The informant is the neighbour at number 4."
POLICE_RELEASED = "Violence against partners; hostile to police. Do not visit alone."
# Health do not release what they know about the mother at all.
HEALTH_UNSHAREABLE = "Mother disclosed a termination of pregnancy at the March appointment."
HEALTH_RISK = "Attends the community mental health team fortnightly."
# The manager's rationale quotes the health finding, which was not released.
RATIONALE = (
    "Health tell us the mother disclosed a termination of pregnancy at the March "
    "appointment; with support she can meet Amy's needs. INTERNAL-RATIONALE-MARKER."
)
SUMMARY = "Amy needs help with routines and school attendance; mum asks for support."
WORKER_RISKS = "Man in the home: violence against partners, hostile to police. Visit in pairs."

NEVER_ACROSS = (
    POLICE_DETAIL,
    POLICE_RISK,
    POLICE_RESTRICTED,
    HEALTH_UNSHAREABLE,
    HEALTH_RISK,
    "INTERNAL-RATIONALE-MARKER",
    "termination of pregnancy",
    "former partner",
)


def household() -> list:
    return [
        a_child(),
        a_parent(),
        a_parent(
            role=PersonRole.OTHER_ADULT,
            given_names="Dean",
            family_name="Cole",
            sex="M",
        ),
    ]


def findings_ready(contact: Contact, researchers: dict[str, User]) -> dict[str, CheckFinding]:
    child, mother, man = contact.people.order_by("position")
    police = "law_enforcement_safeguarding"
    check_record_findings(
        actor=Actor(user=researchers["police"]),
        check_id=check_for(contact, "police").pk,
        findings=[
            FindingInput(person_id=child.pk, known=False, lawful_basis=police),
            FindingInput(person_id=mother.pk, known=False, lawful_basis=police),
            FindingInput(
                person_id=man.pk,
                known=True,
                summary=POLICE_DETAIL,
                risk_indicators=POLICE_RISK,
                lawful_basis=police,
                restricted_information=POLICE_RESTRICTED,
                onward_sharing=OnwardSharing.SUMMARY,
                onward_summary=POLICE_RELEASED,
                onward_lawful_basis=police,
            ),
        ],
    )
    public_task = "public_task_safeguarding"
    check_record_findings(
        actor=Actor(user=researchers["health"]),
        check_id=check_for(contact, "health").pk,
        findings=[
            FindingInput(person_id=child.pk, known=False, lawful_basis=public_task),
            FindingInput(
                person_id=mother.pk,
                known=True,
                summary=HEALTH_UNSHAREABLE,
                risk_indicators=HEALTH_RISK,
                lawful_basis=public_task,
                onward_sharing=OnwardSharing.NONE,
            ),
            FindingInput(person_id=man.pk, known=False, lawful_basis=public_task),
        ],
    )
    return {
        "police": CheckFinding.objects.get(agency_check__agency__slug="police", person=man),
        "health": CheckFinding.objects.get(agency_check__agency__slug="health", person=mother),
    }


@pytest.fixture
def researched(
    school_referrer: User,
    screener: User,
    partner_agencies: dict[str, Agency],
    researchers: dict[str, User],
) -> tuple[Contact, dict[str, CheckFinding]]:
    contact, _ = contact_create(
        actor=Actor(user=school_referrer), submission=a_submission(people=household())
    )
    contact_take(actor=Actor(user=screener), contact_id=contact.pk)
    contact_rate(actor=Actor(user=screener), contact_id=contact.pk, rag="amber", rationale="Amber.")
    enquiry_open(
        actor=Actor(user=screener),
        contact_id=contact.pk,
        agency_ids=[partner_agencies[slug].pk for slug in ("police", "health")],
    )
    return contact, findings_ready(contact, researchers)


def step_down(shared: list[int], **changes: object) -> DecisionInput:
    values: dict[str, object] = {
        "level_of_need": 2,
        "outcome": "early_help",
        "factor_codes": ["16A"],
        "primary_need": "N4",
        "rationale": RATIONALE,
        "receiving_team": "Eastbridge early help hub",
        "summary": SUMMARY,
        "worker_risks": WORKER_RISKS,
        "shared_finding_ids": shared,
    }
    values.update(changes)
    return DecisionInput(**values)  # type: ignore[arg-type]


@pytest.fixture
def handed_on(
    researched: tuple[Contact, dict[str, CheckFinding]], manager: User
) -> tuple[HandOn, dict[str, CheckFinding]]:
    contact, findings = researched
    decision = decision_record(
        actor=Actor(user=manager),
        contact_id=contact.pk,
        data=step_down([findings["police"].pk]),
    )
    return HandOn.objects.get(decision=decision), findings


# --- What a researcher releases ---------------------------------------------------------


def _findings_form(contact: Contact, **changes: str) -> dict[str, str]:
    data: dict[str, str] = {}
    for index, _ in enumerate(contact.people.order_by("position")):
        prefix = f"findings-{index}-"
        data[prefix + "known"] = "no"
        data[prefix + "lawful_basis"] = LawfulBasis.LAW_ENFORCEMENT_SAFEGUARDING
    data.update(changes)
    return data


@pytest.fixture
def police_check_open(
    school_referrer: User, screener: User, partner_agencies: dict[str, Agency]
) -> Contact:
    contact, _ = contact_create(actor=Actor(user=school_referrer), submission=a_submission())
    contact_take(actor=Actor(user=screener), contact_id=contact.pk)
    contact_rate(actor=Actor(user=screener), contact_id=contact.pk, rag="amber", rationale="Amber.")
    enquiry_open(
        actor=Actor(user=screener),
        contact_id=contact.pk,
        agency_ids=[partner_agencies["police"].pk],
    )
    return contact


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({}, "onward_sharing", "Select whether this finding may be shared"),
        (
            {"findings-1-onward_sharing": "summary"},
            "onward_summary",
            "Enter the summary the team that receives the case may see",
        ),
        (
            {"findings-1-onward_sharing": "full", "findings-1-onward_lawful_basis": ""},
            "onward_lawful_basis",
            "Select the lawful basis for sharing it onward",
        ),
        (
            {"findings-1-onward_sharing": "full", "findings-1-summary_restricted": "on"},
            "onward_sharing",
            "You said the whole summary must not be disclosed outside the MASH",
        ),
    ],
)
def test_a_known_finding_says_whether_and_how_it_goes_onward(
    police_check_open: Contact,
    researchers: dict[str, User],
    changes: dict[str, str],
    field: str,
    message: str,
) -> None:
    check = check_for(police_check_open, "police")
    data = _findings_form(
        police_check_open,
        **{
            "findings-1-known": "yes",
            "findings-1-summary": POLICE_DETAIL,
            "findings-1-onward_lawful_basis": LawfulBasis.LAW_ENFORCEMENT_SAFEGUARDING,
            **changes,
        },
    )
    response = signed_in(researchers["police"]).post(
        reverse("enquiries:check", kwargs={"check_id": check.pk}), data
    )
    page = response.content.decode()
    assert response.status_code == 400
    assert message in page
    # The GOV.UK error summary links to the field, and the field carries the error.
    assert f'href="#id_findings-1-{field}' in page
    assert not CheckFinding.objects.filter(agency_check=check).exists()


def test_a_researcher_releases_a_summary_under_a_lawful_basis(
    police_check_open: Contact, researchers: dict[str, User]
) -> None:
    check = check_for(police_check_open, "police")
    data = _findings_form(
        police_check_open,
        **{
            "findings-0-onward_sharing": "none",
            "findings-1-known": "yes",
            "findings-1-summary": POLICE_DETAIL,
            "findings-1-onward_sharing": "summary",
            "findings-1-onward_summary": POLICE_RELEASED,
            "findings-1-onward_lawful_basis": LawfulBasis.LAW_ENFORCEMENT_SAFEGUARDING,
        },
    )
    response = signed_in(researchers["police"]).post(
        reverse("enquiries:check", kwargs={"check_id": check.pk}), data
    )
    assert response.status_code == 302
    child, parent = CheckFinding.objects.filter(agency_check=check).order_by("person__position")
    assert (child.onward_sharing, child.onward_lawful_basis) == (OnwardSharing.NONE, "")
    assert parent.onward_sharing == OnwardSharing.SUMMARY
    assert parent.onward_summary == POLICE_RELEASED
    assert parent.onward_lawful_basis == LawfulBasis.LAW_ENFORCEMENT_SAFEGUARDING


def test_an_agency_system_that_says_nothing_releases_nothing(
    police_check_open: Contact, partner_agencies: dict[str, Agency]
) -> None:
    _, secret = api_token_issue(agency=partner_agencies["police"], name="Niche", issued_by="t")
    check = check_for(police_check_open, "police")
    people = list(police_check_open.people.order_by("position"))
    body = {
        "findings": [
            {"person_id": people[0].pk, "known": False, "lawful_basis": "public_task_safeguarding"},
            {
                "person_id": people[1].pk,
                "known": True,
                "summary": POLICE_DETAIL,
                "lawful_basis": "law_enforcement_safeguarding",
            },
        ]
    }
    client = Client(headers={"Authorization": f"Bearer {secret}"})
    response = client.post(
        f"/api/v1/checks/{check.pk}/findings", body, content_type="application/json"
    )
    assert response.status_code == 200, response.content
    assert response.json()["findings"][1]["onward_sharing"] == "none"
    bad = {"findings": [{**body["findings"][1], "onward_sharing": "summary"}, body["findings"][0]]}
    check2 = check  # already completed: a second answer is refused before validation
    assert client.post(
        f"/api/v1/checks/{check2.pk}/findings", bad, content_type="application/json"
    ).status_code in (409, 422)


# --- What the manager composes ------------------------------------------------------------


def test_the_manager_cannot_pass_on_a_finding_its_agency_kept(
    researched: tuple[Contact, dict[str, CheckFinding]], manager: User
) -> None:
    contact, findings = researched
    with pytest.raises(EnquiryInvalid) as refused:
        decision_record(
            actor=Actor(user=manager),
            contact_id=contact.pk,
            data=step_down([findings["health"].pk]),
        )
    assert "shared_finding_ids" in refused.value.errors
    assert not Decision.objects.filter(contact=contact).exists()


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"summary": f"As health say: {HEALTH_UNSHAREABLE.lower()}"}, "summary"),
        ({"worker_risks": f"{POLICE_RISK} Take care."}, "worker_risks"),
        ({"share_rationale": True}, "share_rationale"),
    ],
)
def test_the_summary_may_not_repeat_what_an_agency_kept(
    researched: tuple[Contact, dict[str, CheckFinding]],
    manager: User,
    changes: dict[str, object],
    field: str,
) -> None:
    contact, findings = researched
    with pytest.raises(EnquiryInvalid) as refused:
        decision_record(
            actor=Actor(user=manager),
            contact_id=contact.pk,
            data=step_down([findings["police"].pk], **changes),
        )
    assert "did not release" in refused.value.errors[field]


def test_a_rationale_the_manager_shares_deliberately_crosses(
    researched: tuple[Contact, dict[str, CheckFinding]], manager: User
) -> None:
    contact, findings = researched
    decision = decision_record(
        actor=Actor(user=manager),
        contact_id=contact.pk,
        data=step_down(
            [findings["police"].pk],
            rationale="Mum engages well; early help can meet Amy's needs.",
            share_rationale=True,
        ),
    )
    summary = hand_on_summary(HandOn.objects.get(decision=decision))
    assert summary.rationale == "Mum engages well; early help can meet Amy's needs."


def test_the_decision_form_suggests_only_released_findings(
    researched: tuple[Contact, dict[str, CheckFinding]], manager: User
) -> None:
    contact, findings = researched
    page = signed_in(manager).get(reverse("enquiries:decision", args=[contact.reference]))
    html = page.content.decode()
    form = html[html.index('id="decision-form"') :]
    assert f'value="{findings["police"].pk}" checked' in form
    assert f'value="{findings["health"].pk}"' not in form
    assert POLICE_RELEASED in form
    # Nothing the agencies kept is put into the form for the manager to pass on.
    for text in (POLICE_DETAIL, HEALTH_UNSHAREABLE, POLICE_RESTRICTED):
        assert text not in form
    assert "Risks to workers visiting the home" in form
    assert "Also share the rationale with the receiving team" in form


def test_the_decision_form_names_a_summary_that_repeats_a_kept_finding(
    researched: tuple[Contact, dict[str, CheckFinding]], manager: User
) -> None:
    contact, findings = researched
    response = signed_in(manager).post(
        reverse("enquiries:decision", args=[contact.reference]),
        {
            "level_of_need": "2",
            "outcome": "early_help",
            "factor_codes": ["16A"],
            "primary_need": "N4",
            "rationale": RATIONALE,
            "receiving_team": "Eastbridge early help hub",
            "shared_finding_ids": [str(findings["police"].pk)],
            "summary": HEALTH_UNSHAREABLE,
        },
    )
    html = response.content.decode()
    assert response.status_code == 400
    assert "The summary repeats a finding its agency did not release" in html
    assert 'href="#id_summary"' in html
    assert not Decision.objects.filter(contact=contact).exists()


# --- The fire-wall scenario --------------------------------------------------------------

HREF = re.compile(r'href="(/[^"#]*)')


def crawl(client: Client, starts: list[str], limit: int = 150) -> dict[str, str]:
    """Every page reachable from `starts` by following the site's own links (GET only,
    never signing out), with its HTML."""
    seen: dict[str, str] = {}
    todo = list(starts)
    while todo and len(seen) < limit:
        url = todo.pop(0)
        path = urlsplit(url).path
        if url in seen or path.startswith("/static/") or "logout" in path or "sign-out" in path:
            continue
        response = client.get(url)
        body = response.content.decode(errors="replace")
        seen[url] = body
        if response.status_code == 200 and "html" in response.get("Content-Type", ""):
            todo += [link.replace("&amp;", "&") for link in HREF.findall(body)]
    return seen


PARAMETER = re.compile(r"<(?:\w+:)?(\w+)>")


def _routes(patterns: list, prefix: str = "") -> list[str]:
    routes: list[str] = []
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            routes += _routes(pattern.url_patterns, prefix + str(pattern.pattern))
        else:
            routes.append(prefix + str(pattern.pattern))
    return routes


def every_address(values: dict[str, str]) -> list[str]:
    """Every page address on the site (not the admin, not signing out), with this case's
    ids in it, and "1" for any other id."""
    return [
        "/" + PARAMETER.sub(lambda match: values.get(match.group(1), "1"), route)
        for route in _routes(get_resolver().url_patterns)
        if not route.startswith(("admin", "accounts/sign-out", "^"))
    ]


def assert_nothing_kept_crossed(pages: dict[str, str]) -> None:
    for url, body in pages.items():
        for text in NEVER_ACROSS:
            assert text.lower() not in body.lower(), f"{text!r} reached the receiving team at {url}"


def test_fire_wall_scenario_early_help_sees_exactly_the_summary(
    handed_on: tuple[HandOn, dict[str, CheckFinding]],
    early_help_coordinator: User,
    partner_agencies: dict[str, Agency],
) -> None:
    hand_on, findings = handed_on
    contact = hand_on.contact
    client = signed_in(early_help_coordinator)

    # What early help must see: the released finding and the risk to workers.
    page = client.get(reverse("enquiries:hand-on", args=[hand_on.pk])).content.decode()
    assert POLICE_RELEASED in page
    assert WORKER_RISKS in page
    assert SUMMARY in page
    queue = client.get(reverse("enquiries:hand-on-queue")).content.decode()
    assert "Risk to workers" in queue and SUMMARY in queue

    # Every page early help can reach, before and after accepting the case.
    pages = crawl(client, ["/", reverse("enquiries:hand-on-queue")])
    assert reverse("enquiries:hand-on", args=[hand_on.pk]) in pages
    chronologies = [url for url in pages if "/children/" in url or "chronology" in url]
    assert chronologies, "the crawl reached the child's chronology"
    assert any(WORKER_RISKS in pages[url] for url in chronologies)
    hand_on_accept(
        actor=Actor(user=early_help_coordinator),
        hand_on_id=hand_on.pk,
        allocated_worker="Sam Patel",
        worker_contact="01234 567890",
    )
    pages.update({f"after:{url}": body for url, body in crawl(client, list(pages)[:60]).items()})
    assert_nothing_kept_crossed(pages)
    # And every address on the site, typed in by hand with this case's ids.
    typed = every_address(
        {
            "reference": contact.reference,
            "hand_on_id": str(hand_on.pk),
            "person_id": str(contact.people.order_by("position")[0].pk),
            "check_id": str(check_for(contact, "health").pk),
            "contact_id": str(contact.pk),
        }
    )
    assert len(typed) > 40
    for url in typed:
        pages[f"typed:{url}"] = client.get(url).content.decode(errors="replace")
    assert_nothing_kept_crossed(pages)

    # And every API response early help's own system can get.
    _, secret = api_token_issue(
        agency=partner_agencies["early-help"], name="Early help case system", issued_by="t"
    )
    api = Client(headers={"Authorization": f"Bearer {secret}"})
    listed = api.get("/api/v1/hand-ons")
    assert listed.status_code == 200
    assert [item["id"] for item in listed.json()["hand_ons"]] == [hand_on.pk]
    one = api.get(f"/api/v1/hand-ons/{hand_on.pk}")
    assert one.status_code == 200
    body = one.json()
    assert body["summary"]["worker_risks"] == WORKER_RISKS
    assert body["summary"]["rationale"] is None
    assert [item["text"] for item in body["summary"]["findings"]] == [POLICE_RELEASED]
    assert body["summary"]["findings"][0]["lawful_basis"] == "law_enforcement_safeguarding"
    responses = {
        "/api/v1/hand-ons": listed.content.decode(),
        f"/api/v1/hand-ons/{hand_on.pk}": one.content.decode(),
    }
    probes = [
        f"/api/v1/contacts/{contact.pk}",
        f"/api/v1/contacts/{contact.pk}/outcome",
        "/api/v1/checks",
        f"/api/v1/checks/{check_for(contact, 'police').pk}",
        f"/api/v1/checks/{check_for(contact, 'health').pk}",
    ]
    probes += [url for url in typed if url.startswith("/api/v1/")]
    for url in probes:
        response = api.get(url)
        assert response.status_code in (200, 403, 404, 405)
        responses[url] = response.content.decode()
    assert_nothing_kept_crossed(responses)

    # The audit log shows what crossed, to whom and on what basis.
    crossed = AuditEvent.objects.get(
        object_type="hand_on", object_id=str(hand_on.pk), action=AuditAction.CREATE
    )
    assert crossed.detail["shared"] == {
        "team": "early_help",
        "findings": [
            {
                "finding": findings["police"].pk,
                "agency": findings["police"].agency_check.agency_id,
                "sharing": "summary",
                "lawful_basis": "law_enforcement_safeguarding",
            }
        ],
        "summary": True,
        "worker_risks": True,
        "rationale": False,
    }
    for text in (*NEVER_ACROSS, POLICE_RELEASED):
        assert text not in str(crossed.detail)


def test_the_contact_shows_what_was_shared_with_the_receiving_team(
    handed_on: tuple[HandOn, dict[str, CheckFinding]], manager: User
) -> None:
    hand_on, _ = handed_on
    html = (
        signed_in(manager)
        .get(reverse("enquiries:decision", args=[hand_on.contact.reference]))
        .content.decode()
    )
    panel = html[html.index('id="shared-with-receiving-team"') :]
    panel = panel[: panel.index('id="amend"')]
    assert "Shared with the receiving team" in panel
    assert "To early help" in panel
    assert POLICE_RELEASED in panel and WORKER_RISKS in panel and SUMMARY in panel
    assert "Police" in panel and LawfulBasis.LAW_ENFORCEMENT_SAFEGUARDING.label in panel


def test_an_amendment_composes_the_summary_again(
    handed_on: tuple[HandOn, dict[str, CheckFinding]], manager: User
) -> None:
    hand_on, _ = handed_on
    amended = decision_amend(
        actor=Actor(user=manager),
        decision_id=hand_on.decision_id,
        data=step_down(
            [],
            outcome="assessment_s17",
            level_of_need=3,
            summary="A social worker should assess.",
        ),
        reason="New information.",
    )
    new = HandOn.objects.get(decision=amended)
    summary = hand_on_summary(new)
    assert summary.findings == [] and summary.summary == "A social worker should assess."
    assert summary.rationale is None


def test_no_one_outside_the_receiving_team_reads_hand_ons_by_api(
    handed_on: tuple[HandOn, dict[str, CheckFinding]], partner_agencies: dict[str, Agency]
) -> None:
    hand_on, _ = handed_on
    for slug in ("health", "riverside"):
        _, secret = api_token_issue(agency=partner_agencies[slug], name=slug, issued_by="t")
        api = Client(headers={"Authorization": f"Bearer {secret}"})
        assert api.get("/api/v1/hand-ons").status_code == 403
        assert api.get(f"/api/v1/hand-ons/{hand_on.pk}").status_code == 403
    _, secret = api_token_issue(agency=partner_agencies["csc"], name="csc", issued_by="t")
    csc = Client(headers={"Authorization": f"Bearer {secret}"})
    assert csc.get("/api/v1/hand-ons").json() == {"hand_ons": []}
    assert csc.get(f"/api/v1/hand-ons/{hand_on.pk}").status_code == 404


def test_an_amendment_for_the_same_team_reaches_it(
    handed_on: tuple[HandOn, dict[str, CheckFinding]], manager: User
) -> None:
    hand_on, _ = handed_on
    amended = decision_amend(
        actor=Actor(user=manager),
        decision_id=hand_on.decision_id,
        data=step_down([], worker_risks="None known.", summary="Amended summary."),
        reason="Police withdrew their concern.",
    )
    hand_on.refresh_from_db()
    assert hand_on.decision_id == amended.pk
    summary = hand_on_summary(hand_on)
    assert (summary.summary, summary.worker_risks, summary.findings) == (
        "Amended summary.",
        "None known.",
        [],
    )
    event = (
        AuditEvent.objects.filter(object_type="hand_on", object_id=str(hand_on.pk))
        .order_by("pk")
        .last()
    )
    assert event is not None and event.detail["change"] == "summary amended"
    assert event.detail["shared"]["findings"] == []


def test_the_hand_ons_api_costs_the_same_queries_for_1_and_5_hand_ons(
    school_referrer: User,
    screener: User,
    manager: User,
    agencies: dict[str, Agency],
    django_assert_max_num_queries: DjangoAssertNumQueries,
) -> None:
    _, secret = api_token_issue(agency=agencies["early-help"], name="EH", issued_by="t")
    api = Client(headers={"Authorization": f"Bearer {secret}"})
    decided_contact(school_referrer, screener, manager, STEP_DOWN_INPUT)
    api.get("/api/v1/hand-ons")
    with CaptureQueriesContext(connection) as few:
        api.get("/api/v1/hand-ons")
    for _ in range(4):
        decided_contact(school_referrer, screener, manager, STEP_DOWN_INPUT)
    with django_assert_max_num_queries(len(few)):
        response = api.get("/api/v1/hand-ons")
    assert len(response.json()["hand_ons"]) == 5
