"""Builders for valid test data; each test changes only what it is about."""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, NamedTuple

from openmash.accounts.models import Agency, User
from openmash.contacts.codes import ConsentStatus, LawfulBasis, PersonRole
from openmash.contacts.models import Contact, ContactPerson
from openmash.contacts.services import contact_create
from openmash.contacts.submission import (
    Address,
    ConcernDetails,
    ConsentDetails,
    ContactSubmission,
    PersonDetails,
    ReferrerDetails,
)
from openmash.core.audit import Actor
from openmash.enquiries.models import AgencyCheck, Decision, HandOn
from openmash.enquiries.services.checks import FindingInput, check_record_findings, check_waive
from openmash.enquiries.services.decisions import (
    DecisionInput,
    closure_agree,
    decision_amend,
    decision_record,
)
from openmash.enquiries.services.hand_ons import hand_on_accept, hand_on_return
from openmash.enquiries.services.screening import (
    closure_propose,
    contact_rate,
    contact_take,
    enquiry_open,
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


def a_sibling(**overrides: Any) -> PersonDetails:
    """Amy's brother Ben: no NHS number, born 1 March 2022."""
    values: dict[str, Any] = {
        "role": PersonRole.SIBLING,
        "given_names": "Ben",
        "nhs_number": "",
        "date_of_birth": date(2022, 3, 1),
        "sex": "M",
    }
    values.update(overrides)
    return a_child(**values)


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


# --- A hub at work: contacts through the real services at set times ---------------------


class Referrer(NamedTuple):
    """Whoever refers from one census referral source, and how they get in touch."""

    name: str
    organisation: str
    channel: str


A_SCHOOL = {"2A": Referrer("Jo Bennett", "Riverside Primary School", "phone")}


def a_decision(
    outcome: str,
    team: str = "",
    *,
    level: int = 3,
    need: str = "N1",
    rationale: str = "Worked out by the MASH from the agencies' research.",
) -> DecisionInput:
    """What a MASH manager decides: the outcome, the receiving team, the level of need and
    the primary need; factor 16A."""
    return DecisionInput(
        level_of_need=level,
        outcome=outcome,
        factor_codes=["16A"],
        primary_need=need,
        rationale=rationale,
        receiving_team=team,
    )


@dataclass
class Hub:
    """A MASH at work: its people, and the real services called as them at set times.

    Tests that work figures out by hand (tests/metrics, tests/value, tests/planner,
    tests/extracts) build their week or month of contacts with it, one call per thing
    that happens:

        hub.receive("A", at(5, 9), "6")
        hub.take("A", at(5, 9, 30))
        hub.rate("A", "red", at(5, 10))
        hub.enquire("A", ["police", "health"], at(5, 10))

    A contact is known by the name the test gives it. Unless `people` are given it is
    about one child, named from `child_names` (or "Child <name>"), with no NHS number and
    born `first_born` plus one day for each contact received before it (or `number` days),
    so no two are taken for the same child. The referrer is `referrers[source]`.
    """

    users: dict[str, User]
    agencies: dict[str, Agency]
    referrers: Mapping[str, Referrer] = field(default_factory=lambda: A_SCHOOL)
    child_names: Mapping[str, tuple[str, str]] = field(default_factory=dict)
    first_born: date = date(2016, 1, 1)
    contacts: dict[str, Contact] = field(default_factory=dict)

    def as_(self, name: str) -> Actor:
        return Actor(user=self.users[name])

    def pk(self, name: str) -> int:
        return self.contacts[name].pk

    def receive(
        self,
        name: str,
        when: datetime,
        source: str = "2A",
        people: list[PersonDetails] | None = None,
        *,
        organisation: str | None = None,
        channel: str | None = None,
        number: int | None = None,
    ) -> Contact:
        """A contact from the school referrer's account, received at `when`."""
        referrer = self.referrers[source]
        given, family = self.child_names.get(name, ("Child", name))
        born = self.first_born + timedelta(days=len(self.contacts) if number is None else number)
        submission = a_submission(
            channel=channel or referrer.channel,
            referrer=ReferrerDetails(
                name=referrer.name,
                role="Referrer",
                organisation=referrer.organisation if organisation is None else organisation,
                email="referrer@example.invalid",
                source_code=source,
            ),
            people=people
            or [a_child(given_names=given, family_name=family, nhs_number="", date_of_birth=born)],
        )
        contact, _ = contact_create(
            actor=self.as_("school_referrer"), submission=submission, now=when
        )
        self.contacts[name] = contact
        return contact

    def child(self, name: str, position: int = 0) -> ContactPerson:
        """The person named `position`th (from 0) in the contact."""
        return self.contacts[name].people.order_by("position")[position]

    def take(self, name: str, when: datetime, screener: str = "screener") -> None:
        contact_take(actor=self.as_(screener), contact_id=self.pk(name), now=when)

    def rate(self, name: str, rag: str, when: datetime) -> None:
        contact_rate(
            actor=self.as_("screener"),
            contact_id=self.pk(name),
            rag=rag,
            rationale=f"Rated {rag}.",
            now=when,
        )

    def screen(self, name: str, when: datetime, rag: str = "amber") -> None:
        """The screener takes the contact and rates it, both at `when`."""
        self.take(name, when)
        self.rate(name, rag, when)

    def enquire(self, name: str, agencies: list[str], when: datetime) -> None:
        enquiry_open(
            actor=self.as_("screener"),
            contact_id=self.pk(name),
            agency_ids=[self.agencies[slug].pk for slug in agencies],
            now=when,
        )

    def check(self, name: str, agency: str) -> AgencyCheck:
        return AgencyCheck.objects.get(contact_id=self.pk(name), agency__slug=agency)

    def answer(self, name: str, agency: str, when: datetime) -> None:
        """The agency's researcher finds that nobody in the contact is known to them."""
        check_record_findings(
            actor=self.as_(f"{agency}_researcher"),
            check_id=self.check(name, agency).pk,
            findings=[
                FindingInput(
                    person_id=person.pk, known=False, lawful_basis="public_task_safeguarding"
                )
                for person in self.contacts[name].people.all()
            ],
            now=when,
        )

    def waive(self, name: str, agency: str, when: datetime) -> None:
        check_waive(
            actor=self.as_("screener"),
            check_id=self.check(name, agency).pk,
            reason="No longer needed.",
            now=when,
        )

    def decide(self, name: str, data: DecisionInput, when: datetime) -> Decision:
        return decision_record(
            actor=self.as_("manager"), contact_id=self.pk(name), data=data, now=when
        )

    def amend(self, name: str, data: DecisionInput, when: datetime) -> Decision:
        current = Decision.objects.filter(contact_id=self.pk(name)).order_by("-decided_at", "-id")[
            0
        ]
        return decision_amend(
            actor=self.as_("manager"),
            decision_id=current.pk,
            data=data,
            reason="The picture changed.",
            now=when,
        )

    def close_at_screening(self, name: str, proposed: datetime, agreed: datetime) -> None:
        """The screener proposes no further action; the manager agrees."""
        proposal = closure_propose(
            actor=self.as_("screener"),
            contact_id=self.pk(name),
            outcome="nfa",
            rationale="Universal services are enough.",
            now=proposed,
        )
        closure_agree(
            actor=self.as_("manager"),
            proposal_id=proposal.pk,
            level_of_need=1,
            primary_need="N9",
            now=agreed,
        )

    def hand_on(self, name: str, team: str) -> HandOn:
        return HandOn.objects.filter(contact_id=self.pk(name), team=team).latest("created_at", "id")

    def accept(self, name: str, team: str, when: datetime, worker: str = "") -> None:
        """The receiving team accepts the case, naming the worker allocated if given (a
        manager answers for every team but early help)."""
        hand_on_accept(
            actor=self.as_(self._answers_for(team)),
            hand_on_id=self.hand_on(name, team).pk,
            allocated_worker=worker,
            now=when,
        )

    def send_back(
        self,
        name: str,
        when: datetime,
        team: str = "early_help",
        reason: str = "Needs a social worker, not early help.",
    ) -> None:
        """The receiving team (early help unless said) returns the case to the MASH."""
        hand_on_return(
            actor=self.as_(self._answers_for(team)),
            hand_on_id=self.hand_on(name, team).pk,
            reason=reason,
            now=when,
        )

    @staticmethod
    def _answers_for(team: str) -> str:
        return "early_help_coordinator" if team == "early_help" else "manager"
