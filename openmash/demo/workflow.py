"""Takes demo contacts through the MASH as a hub's staff would, through the real services,
so the demo shows every queue with work at every stage: old contacts decided and handed
on, the last few days' contacts still being screened, checked or waiting for a decision.

Used by `manage.py seed_demo`; deterministic for its random generator.
"""

import random
from datetime import datetime, timedelta

from openmash.accounts.models import Agency, User
from openmash.area.models import RagLevel
from openmash.area.selectors import rag_levels_active
from openmash.contacts.models import Contact
from openmash.core.audit import Actor
from openmash.enquiries.models import AgencyCheck, CheckFinding
from openmash.enquiries.services.checks import FindingInput, check_record_findings, check_waive
from openmash.enquiries.services.decisions import DecisionInput, closure_agree, decision_record
from openmash.enquiries.services.hand_ons import hand_on_accept
from openmash.enquiries.services.screening import (
    closure_propose,
    contact_pass_to_allocated_worker,
    contact_rate,
    contact_take,
    enquiry_open,
)
from openmash.enquiries.summary import is_released, worker_risks_suggested

FINDING_SUMMARIES = {
    "police": [
        "Two domestic incidents attended at the address in the last 12 months; no charges.",
        "Father known for a public order offence in 2022; no current investigation.",
        "Child reported missing once last year, found the same evening.",
    ],
    "health": [
        "Missed two health visitor appointments; immunisations up to date.",
        "A&E attendance in the spring for a wrist injury, explanation consistent.",
        "Mother under the perinatal mental health team.",
    ],
    "education": [
        "Attendance 84% this term; late most Mondays.",
        "School reports the child has seemed withdrawn since half term.",
    ],
    "probation": [
        "Mother's partner on licence until next year; domestic abuse perpetrator programme.",
    ],
}
RISK_INDICATORS = ["Domestic abuse", "Parental mental health", "Substance misuse", "Neglect", ""]
OUTCOMES = [
    ("early_help", 34),
    ("assessment_s17", 32),
    ("strategy_s47", 14),
    ("information_advice", 10),
    ("police_action", 5),
    ("transfer_la", 5),
]
TEAMS = {
    "early_help": "Eastbridge early help hub",
    "assessment_s17": "Assessment team north",
    "strategy_s47": "Assessment team north",
    "police_action": "Public protection unit",
    "transfer_la": "Neighbouring county MASH",
}
# The agencies whose demo researchers release their findings to the receiving team.
RELEASED_ONWARD = ("police", "education")
WORKERS = ["Chris Adeyemi", "Lou Harper", "Dee Marsh", "Kim Osei", "Sol Grant"]


class DemoWorkflow:
    def __init__(
        self, rng: random.Random, users: dict[str, User], agencies: dict[str, Agency], now: datetime
    ) -> None:
        self.rng = rng
        self.now = now
        self.horizon = now
        self.never = now + timedelta(days=36500)
        self.screener = Actor(user=users["screener"], request_id="seed_demo")
        self.manager = Actor(user=users["manager"], request_id="seed_demo")
        self.early_help = Actor(user=users["earlyhelp"], request_id="seed_demo")
        self.researchers = {
            slug: Actor(user=users[f"{slug}.researcher"], request_id="seed_demo")
            for slug in ("police", "health", "education", "probation")
        }
        self.agencies = agencies
        self.levels = {level.code: level for level in rag_levels_active()}
        # Families with an allocated social worker, by a key the seeder gives each family.
        self.workers: dict[int, tuple[str, datetime]] = {}

    def _at(self, start: datetime, hours: float) -> datetime:
        moment = start + timedelta(hours=hours)
        # The last two days' contacts stop part-way: the hub has not got to them yet.
        return moment if moment <= self.horizon else self.never

    def _horizon_for(self, contact: Contact) -> datetime:
        if contact.received_at < self.now - timedelta(days=2):
            return self.now
        stop_after_hours = self.rng.choice([0.0, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 48.0])
        return min(self.now, contact.received_at + timedelta(hours=stop_after_hours))

    def progress(self, contact: Contact, family_key: int) -> None:
        """Take the contact as far through the MASH as the time since it arrived allows."""
        rng = self.rng
        self.horizon = self._horizon_for(contact)
        taken_at = self._at(contact.recorded_at, rng.uniform(0.1, 3.0))
        if taken_at > self.now:
            return
        contact_take(actor=self.screener, contact_id=contact.pk, now=taken_at)
        worker, allocated_at = self.workers.get(family_key, ("", self.now))
        if worker and allocated_at < taken_at:
            contact_pass_to_allocated_worker(
                actor=self.screener,
                contact_id=contact.pk,
                allocated_worker=worker,
                rationale="Open to children's social care: passed to the allocated worker.",
                now=self._at(taken_at, 0.3),
            )
            return
        rated_at = self._at(taken_at, rng.uniform(0.1, 0.6))
        if rated_at > self.now:
            return
        code = "red" if contact.immediate_risk else rng.choice(["amber", "amber", "green"])
        contact_rate(
            actor=self.screener,
            contact_id=contact.pk,
            rag=code,
            rationale=rng.choice(
                [
                    "Threshold document level 3 indicators; no immediate risk identified.",
                    "Repeat contact within six months; needs multi-agency information.",
                    "Child at immediate risk on the referrer's account: same-day response.",
                ]
            ),
            now=rated_at,
        )
        level = self.levels[code]
        if rng.random() < 0.22 and code != "red":
            self._close_at_screening(contact, rated_at)
            return
        self._enquiry(contact, level, rated_at, family_key)

    def _close_at_screening(self, contact: Contact, rated_at: datetime) -> None:
        rng = self.rng
        proposed_at = self._at(rated_at, rng.uniform(0.1, 1.0))
        if proposed_at > self.now:
            return
        proposal = closure_propose(
            actor=self.screener,
            contact_id=contact.pk,
            outcome=rng.choice(["nfa", "information_advice"]),
            rationale="Below threshold: the referrer's school is supporting the family.",
            now=proposed_at,
        )
        agreed_at = self._at(proposed_at, rng.uniform(0.2, 5.0))
        if agreed_at > self.now:
            return
        closure_agree(
            actor=self.manager,
            proposal_id=proposal.pk,
            level_of_need=rng.choice([1, 2]),
            primary_need="N9",
            now=agreed_at,
        )

    def _enquiry(
        self, contact: Contact, level: RagLevel, rated_at: datetime, family_key: int
    ) -> None:
        rng = self.rng
        opened_at = self._at(rated_at, rng.uniform(0.05, 0.5))
        if opened_at > self.now:
            return
        agency_ids = [
            agency.pk
            for agency in self.agencies.values()
            if agency.is_mash_partner and agency.agency_type in level.default_check_agency_types
        ]
        enquiry_open(
            actor=self.screener, contact_id=contact.pk, agency_ids=agency_ids, now=opened_at
        )
        last = opened_at
        checks = AgencyCheck.objects.filter(contact=contact).select_related("agency")
        people = list(contact.people.all())
        for check in checks:
            # Most checks arrive inside the deadline; some are late.
            hours = float(level.check_hours) * rng.uniform(0.2, 1.3)
            done_at = self._at(opened_at, hours)
            if done_at > self.now:
                continue
            slug = check.agency.slug
            if slug == "education" and rng.random() < 0.15:
                check_waive(
                    actor=self.screener,
                    check_id=check.pk,
                    reason="The school made the contact and has shared what it knows.",
                    now=done_at,
                )
            else:
                findings = []
                for person in people:
                    known = rng.random() < 0.4
                    findings.append(
                        FindingInput(
                            person_id=person.pk,
                            known=known,
                            summary=rng.choice(FINDING_SUMMARIES.get(slug, ["Known."]))
                            if known
                            else "",
                            risk_indicators=rng.choice(RISK_INDICATORS) if known else "",
                            last_involvement_on=(
                                done_at - timedelta(days=rng.randrange(10, 400))
                            ).date()
                            if known
                            else None,
                            lawful_basis="law_enforcement_safeguarding"
                            if slug == "police"
                            else "public_task_safeguarding",
                            # Police and education release what they know to the team
                            # the case goes to; health and others keep it in the MASH.
                            onward_sharing="full" if slug in RELEASED_ONWARD else "none",
                            onward_lawful_basis="law_enforcement_safeguarding"
                            if slug == "police"
                            else "public_task_safeguarding",
                        )
                    )
                check_record_findings(
                    actor=self.researchers[slug], check_id=check.pk, findings=findings, now=done_at
                )
            last = max(last, done_at)
        contact.refresh_from_db()
        if contact.state != "awaiting_decision":
            return
        decided_at = self._at(last, rng.uniform(0.2, float(level.decision_hours) * 0.6))
        if decided_at > self.now:
            return
        outcome = rng.choices([o for o, _ in OUTCOMES], weights=[w for _, w in OUTCOMES])[0]
        released = [
            finding
            for finding in CheckFinding.objects.filter(agency_check__contact=contact)
            .select_related("agency_check__agency", "person")
            .order_by("pk")
            if is_released(finding)
        ]
        decision = decision_record(
            actor=self.manager,
            contact_id=contact.pk,
            data=DecisionInput(
                level_of_need={"information_advice": 1, "early_help": 2, "assessment_s17": 3}.get(
                    outcome, 4
                ),
                outcome=outcome,
                factor_codes=contact.factor_codes or ["21"],
                primary_need=rng.choice(["N1", "N1", "N4", "N5", "N3"]),
                rationale="Agency information shows a pattern of concern; see findings.",
                receiving_team=TEAMS.get(outcome, ""),
                summary="The MASH found needs your team can meet: see what the agencies "
                "shared, and the risks to workers visiting the home.",
                worker_risks=worker_risks_suggested(released) or "None known to the MASH.",
                shared_finding_ids=[finding.pk for finding in released],
            ),
            now=decided_at,
        )
        hand_on = decision.hand_ons.first()
        responded_at = self._at(decided_at, rng.uniform(2, 40))
        if hand_on is None or responded_at > self.now or rng.random() < 0.08:
            return
        responder = self.early_help if outcome == "early_help" else self.manager
        worker = rng.choice(WORKERS) if outcome != "early_help" else ""
        hand_on_accept(
            actor=responder, hand_on_id=hand_on.pk, allocated_worker=worker, now=responded_at
        )
        if worker:
            self.workers[family_key] = (worker, responded_at)
