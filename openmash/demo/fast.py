"""The fast path for demo and benchmark data (`manage.py seed_demo --fast`, issue 15):
years of contacts in minutes, written in bulk, with the histories the services write.

The contacts are the ones the services path loads (the same families, arrivals, people
and referrers: openmash.demo.management.commands.seed_demo.contact_submission); what
happens to each is planned here in memory, by the services' rules, and written a few
thousand contacts at a time with bulk_create, parents before children. The rules kept
(each named where it is applied below):

- a contact moves only along openmash.enquiries.workflow's transitions, and ends in the
  state those moves leave it in; the last days' contacts stop part-way, as a live hub's do;
- deadlines come from openmash.area.deadlines: the provisional level's at receipt, the
  rating's (counted from receipt) once rated or re-graded, from the return for a case
  a team sent back; checks' from their request, hand-ons' acceptance from the handing on;
- a decision needs every check completed or waived; each child named gets an outcome
  (ADR 0022); each queued team gets one hand-on naming its children; an outcome with no
  queued team closes the contact; an amendment never replaces the original, and a
  returned hand-on is answered by an amended decision, handed on afresh;
- a child with an allocated social worker is passed to them ("already open");
- everyone named goes into the person index; each NHS number and UPN belongs to one
  child or adult (no identifier conflicts for a screener to decide, which the services
  would have found);
- the audit log gets the events the services write for a contact received, rated,
  decided and handed on (not the reads, notifications and event outbox, which nobody
  has read).

Unlike the services path, the hub's staff are not booked in diaries (at 100 contacts a
day two demo screeners would fall ever further behind): work waits for the hub's
working hours and then a while in the queue, red work is done at once (on call out of
hours). Strategy discussions, messages to referrers and the event outbox are not
written. The facts the indicators read are rebuilt at the end in a few set-based
statements (openmash.metrics.facts.facts_rebuild), so they are the rows the services
would have written.
"""

import random
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.db import connection, models, transaction
from django.db.models.base import ModelState
from django.utils import timezone

from openmash.accounts.models import Agency, User
from openmash.area.calendar import LONDON, WorkingCalendar, calendar_for_area
from openmash.area.deadlines import (
    check_deadline,
    decision_deadline,
    hand_on_deadline,
    provisional_level,
)
from openmash.area.models import (
    HandOnTeam,
    LevelOfNeed,
    Outcome,
    RagLevel,
    TimeCounting,
    WorkingHours,
)
from openmash.area.selectors import rag_levels_active
from openmash.contacts.codes import (
    CHILD_ROLES,
    ContactState,
    PersonRole,
    PrimaryNeed,
)
from openmash.contacts.models import Contact, ContactFactor, ContactPerson, ReferenceSequence
from openmash.contacts.services import contact_from_submission
from openmash.contacts.submission import ContactSubmission
from openmash.core.audit import Actor, AuditAction
from openmash.core.models import AuditEvent
from openmash.demo.workflow import (
    CHECK_HOURS,
    DECISION_HOURS,
    OUTCOME_TEXT,
    OUTCOMES_BY_RATING,
    RELEASED_ONWARD,
    SCREENING_HOURS,
    TEAMS,
    WORKERS,
    hand_on_answer_hours,
    lognormal,
)
from openmash.demo.writing import (
    RISK_INDICATORS,
    CaseFacts,
    Person,
    age_on,
    allocated_worker_rationale,
    closure_rationale,
    decision_rationale,
    decision_summary,
    finding_summary,
    rating_rationale,
)
from openmash.enquiries.models import (
    AgencyCheck,
    CheckFinding,
    CheckState,
    ClosureProposal,
    Decision,
    DecisionChild,
    HandOn,
    HandOnState,
    ProposalState,
    RagRating,
)
from openmash.linkage.index import index_entry_for_contact_person
from openmash.linkage.models import IndexedPerson

# Contacts planned and written per transaction.
BATCH = 2000
# Queued teams (openmash.enquiries.services.hand_ons.QUEUED_TEAMS).
QUEUED_TEAMS = (HandOnTeam.EARLY_HELP, HandOnTeam.CHILDRENS_SOCIAL_CARE)
# How long ordinary work waits in a queue once the hub is open (median, 90th centile,
# working hours), and how often the things the demo's staff do now and then happen.
QUEUE_HOURS = (0.75, 4.0)
CLOSED_AT_SCREENING = 0.22
REGRADED = 0.08
AMENDED = 0.03
HAND_ON_RETURNED = 0.05
REGRADE_REASONS = [
    "Police check shows repeated call-outs to the address: re-graded up.",
    "Health and school information reassuring; no indication of immediate harm: re-graded.",
    "New information from the referrer changes the picture; rating changed to match.",
    "Checks show the family already engaging with support; urgency lower than first thought.",
]
AMENDMENT_REASONS = [
    "New information from police after the decision changes the level of need.",
    "Manager review: the outcome did not match the threshold document; corrected.",
    "Family moved within the county; the case goes to a different team.",
]
RETURN_REASONS = [
    "Not enough information to start an assessment: please check with health first.",
    "The family have declined early help; the concerns need a social work view.",
    "Threshold not met for this team; returned for the MASH to reconsider.",
]
LEVEL_OF_NEED = {"nfa": 1, "information_advice": 1, "early_help": 2, "assessment_s17": 3}
# What amending a decision changes an outcome to (within or across teams).
AMENDED_TO = {
    "early_help": "assessment_s17",
    "assessment_s17": "strategy_s47",
    "strategy_s47": "assessment_s17",
    "information_advice": "early_help",
    "nfa": "information_advice",
    "police_action": "assessment_s17",
    "transfer_la": "assessment_s17",
}


@dataclass
class _Planned:
    """One contact and everything written about it, before any of it has an id."""

    contact: Contact
    people: list[ContactPerson]
    factors: list[str]
    ratings: list[RagRating] = field(default_factory=list)
    proposal: ClosureProposal | None = None
    checks: list[tuple[AgencyCheck, list[CheckFinding]]] = field(default_factory=list)
    # Each decision with its children's outcomes and its hand-ons, each hand-on with the
    # children it names; amendments after what they amend.
    decisions: list[tuple[Decision, list[DecisionChild], list[tuple[HandOn, list[int]]]]] = field(
        default_factory=list
    )
    events: list[tuple[Actor, str, str, Any, datetime, dict[str, Any]]] = field(
        default_factory=list
    )


def _value_of(field: Any) -> Callable[[models.Model], Any]:
    """How to read a field's column value from a row for COPY, cheaper than Django's
    get_db_prep_save for the plain fields: a relation's id from the object it points at
    (given an id just before), text as text (choices are str subclasses), JSON as
    Django adapts it, anything else as it is."""
    attname = field.attname
    if field.is_relation:

        def related(row: models.Model) -> Any:
            target = field.get_cached_value(row, None)
            return target.pk if target is not None else getattr(row, attname)

        return related
    if isinstance(field, models.JSONField):
        return lambda row: field.get_db_prep_save(getattr(row, attname), connection)
    if isinstance(field, models.CharField | models.TextField):

        def text(row: models.Model) -> Any:
            value = getattr(row, attname)
            return value if value is None or type(value) is str else str(value)

        return text
    return lambda row: getattr(row, attname)


class _Maker:
    """Makes unsaved rows of one model far more cheaply than Model(**fields) (which
    checks every argument and goes through each relation's descriptor): the defaults
    set straight into the instance, a relation given as an object kept in the
    instance's cache of related objects with its id beside it (None until the object
    is written, when _value_of reads it), as Django's own constructor leaves them."""

    def __init__(self, model: type[models.Model]) -> None:
        self.model = model
        self.fields = {field.name: field for field in model._meta.concrete_fields}
        self.fixed: dict[str, Any] = {}
        self.computed: list[Any] = []
        for column in model._meta.concrete_fields:
            if column.has_default() and callable(column.default):
                self.computed.append(column)
            else:
                self.fixed[column.attname] = column.get_default()

    def __call__(self, **values: Any) -> Any:
        row = self.model.__new__(self.model)
        state = ModelState()
        row._state = state
        attributes = row.__dict__
        attributes.update(self.fixed)
        for column in self.computed:
            attributes[column.attname] = column.get_default()
        for name, value in values.items():
            column = self.fields[name]
            if column.is_relation and (value is None or isinstance(value, models.Model)):
                state.fields_cache[name] = value
                attributes[column.attname] = value.pk if value is not None else None
            else:
                attributes[column.attname] = value
        return row


class FastLoader:
    """Plans each contact's history as it is added and writes them in batches. Call
    `add` for each contact, in the order received, then `finish`."""

    def __init__(
        self,
        *,
        rng: random.Random,
        users: dict[str, User],
        agencies: dict[str, Agency],
        now: datetime,
        progress: Callable[[str], None] = lambda line: None,
    ) -> None:
        self.rng = rng
        self.words = random.Random(rng.random())
        self.now = now
        self.progress = progress
        self.calendar: WorkingCalendar = calendar_for_area()
        self.hours = WorkingHours.objects.first() or WorkingHours()
        self.levels: dict[str, RagLevel] = {level.code: level for level in rag_levels_active()}
        self.provisional = {risk: provisional_level(immediate_risk=risk) for risk in (False, True)}
        self.outcomes = {outcome.code: outcome for outcome in Outcome.objects.all()}
        self.already_open = next(
            (o for o in self.outcomes.values() if o.hand_on_to == HandOnTeam.ALLOCATED_WORKER),
            None,
        )
        self.needs = {need.number: need for need in LevelOfNeed.objects.all()}
        self.screeners = [users[name] for name in ("screener", "screener2") if name in users]
        self.manager = users["manager"]
        self.early_help = users["earlyhelp"]
        self.researchers = {
            slug: users[f"{slug}.researcher"] for slug in ("police", "health", "education")
        }
        self.researchers["probation"] = users["probation.researcher"]
        self.agencies = agencies
        self.partners = [a for a in agencies.values() if a.is_mash_partner]
        self.workers: dict[int, tuple[str, datetime]] = {}
        self.history: dict[int, tuple[int, str]] = {}
        self.numbers = {row.year: row.last_number for row in ReferenceSequence.objects.all()}
        self.pending: list[_Planned] = []
        self.written = 0
        self.finding = _Maker(CheckFinding)
        self.person = _Maker(ContactPerson)
        self.factor = _Maker(ContactFactor)
        self.child_outcome = _Maker(DecisionChild)
        self.event = _Maker(AuditEvent)
        self.check = _Maker(AgencyCheck)
        # Seconds spent writing each table (and planning), for the benchmark's report.
        self.seconds: dict[str, float] = {}
        self.writer: ThreadPoolExecutor | None = None
        self.in_flight: Future[None] | None = None

    # --- time -----------------------------------------------------------------------

    def _after(self, ready: datetime, hours: tuple[float, float], urgent: bool) -> datetime:
        """When a piece of work ready at `ready` is finished: red work at once (after a
        call-out delay out of hours), other work in the hub's working hours after a wait
        in the queue."""
        length = min(4.0, lognormal(self.rng, hours))
        if urgent:
            start = ready
            if not self.calendar.is_open(ready):
                start = ready + timedelta(hours=self.rng.uniform(0.1, 0.5))
            return start + timedelta(hours=length)
        wait = min(24.0, lognormal(self.rng, QUEUE_HOURS))
        start = self.calendar.add(
            self.calendar.next_opening(ready), wait, TimeCounting.WORKING_HOURS
        )
        return self.calendar.add(start, length, TimeCounting.WORKING_HOURS)

    def _working_later(self, start: datetime, hours: float) -> datetime:
        return self.calendar.add(start, hours, TimeCounting.WORKING_HOURS)

    def _done(self, moment: datetime) -> bool:
        return moment <= self.now

    # --- planning ---------------------------------------------------------------------

    def add(
        self,
        *,
        submission: ContactSubmission,
        actor: Actor,
        recorded_at: datetime,
        family_key: int,
    ) -> None:
        began = time.perf_counter()
        contact, people = self._contact(submission, actor, recorded_at)
        factors = list(dict.fromkeys(submission.concerns.factor_codes))
        planned = _Planned(contact=contact, people=people, factors=factors)
        planned.events.append(
            (
                actor,
                AuditAction.CREATE,
                "contact",
                contact,
                recorded_at,
                {"channel": contact.channel, "people": len(people)},
            )
        )
        facts = self._case_facts(planned, family_key)
        self._progress(planned, facts, family_key)
        earlier, last = self.history.get(family_key, (0, ""))
        if earlier == facts.earlier_contacts:
            self.history[family_key] = (earlier + 1, last)
        self.pending.append(planned)
        self.seconds["planning"] = self.seconds.get("planning", 0.0) + time.perf_counter() - began
        if len(self.pending) >= BATCH:
            self.flush()

    def _reference(self, received_at: datetime) -> str:
        year = timezone.localtime(received_at, LONDON).year
        self.numbers[year] = self.numbers.get(year, 0) + 1
        return f"MASH-{year}-{self.numbers[year]:06d}"

    def _contact(
        self, submission: ContactSubmission, actor: Actor, recorded_at: datetime
    ) -> tuple[Contact, list[ContactPerson]]:
        """The contact and its people as contact_create writes them (the demo's values
        are already in their normal forms)."""
        received_at = submission.received_at or recorded_at
        level = self.provisional[bool(submission.concerns.immediate_risk)]
        contact = contact_from_submission(
            submission,
            actor=actor,
            reference=self._reference(received_at),
            received_at=received_at,
            recorded_at=recorded_at,
            deadline_at=decision_deadline(
                received_at=received_at, level=level, calendar=self.calendar
            )
            if level is not None
            else None,
        )
        people = [
            self.person(
                contact=contact,
                position=position,
                role=person.role,
                given_names=person.given_names,
                family_name=person.family_name,
                date_of_birth=person.date_of_birth,
                sex=person.sex,
                address_line1=person.address.line1,
                address_line2=person.address.line2,
                town=person.address.town,
                postcode=person.address.postcode,
                nhs_number=person.nhs_number,
                upn=person.upn,
            )
            for position, person in enumerate(submission.people)
        ]
        return contact, people

    def _case_facts(self, planned: _Planned, family_key: int) -> CaseFacts:
        day = timezone.localdate(planned.contact.received_at, LONDON)
        people = [
            Person(
                given_name=person.given_names,
                family_name=person.family_name,
                role=person.role,
                age=age_on(person.date_of_birth, day),
            )
            for person in planned.people
        ]
        earlier, last = self.history.get(family_key, (0, ""))
        return CaseFacts(
            children=[p for p in people if p.role == PersonRole.SUBJECT_CHILD],
            adults=[p for p in people if p.role not in CHILD_ROLES],
            factors=planned.factors or ["20"],
            source=planned.contact.referral_source,
            immediate_risk=planned.contact.immediate_risk,
            earlier_contacts=earlier,
            last_outcome=last,
        )

    def _remember(self, family_key: int, outcome: str) -> None:
        earlier, _ = self.history.get(family_key, (0, ""))
        self.history[family_key] = (earlier + 1, OUTCOME_TEXT.get(outcome, outcome))

    def _progress(self, planned: _Planned, facts: CaseFacts, family_key: int) -> None:
        """Take the contact as far as the time since it arrived allows (the moves of
        openmash.enquiries.workflow, in order)."""
        rng = self.rng
        contact = planned.contact
        urgent = contact.immediate_risk
        code = "red" if urgent else rng.choice(["amber", "amber", "green"])
        screener = self.screeners[rng.randrange(len(self.screeners))]
        taken_at = self._after(contact.recorded_at, (0.05, 0.2), urgent)
        screened_at = self._working_later(taken_at, lognormal(rng, SCREENING_HOURS))
        if urgent:
            screened_at = taken_at + timedelta(hours=lognormal(rng, SCREENING_HOURS))
        if not self._done(taken_at):
            return
        # received -> screening
        contact.state = ContactState.SCREENING
        contact.assigned_to = screener
        contact.assigned_at = taken_at
        worker, allocated_at = self.workers.get(family_key, ("", self.now))
        if worker and allocated_at < taken_at and self.already_open is not None:
            passed_at = taken_at + (screened_at - taken_at) / 3
            if self._done(passed_at):
                self._pass_to_worker(planned, facts, screener, worker, passed_at)
                self._remember(family_key, "passed to the allocated worker")
            return
        rated_at = taken_at + (screened_at - taken_at) * 0.6
        if not self._done(rated_at):
            return
        level = self.levels[code]
        self._rate(planned, screener, level, rating_rationale(self.words, facts, code), rated_at)
        if not self._done(screened_at):
            return
        if code != "red" and rng.random() < CLOSED_AT_SCREENING:
            self._close_at_screening(planned, facts, screener, screened_at, family_key)
            return
        self._enquiry(planned, facts, screener, level, screened_at, family_key)

    def _rate(
        self, planned: _Planned, screener: User, level: RagLevel, text: str, at: datetime
    ) -> None:
        contact = planned.contact
        deadline = decision_deadline(
            received_at=contact.received_at, level=level, calendar=self.calendar
        )
        planned.ratings.append(
            RagRating(
                contact=contact,
                level=level,
                rationale=text,
                is_regrade=bool(planned.ratings),
                deadline_at=deadline,
                set_by=screener,
                set_at=at,
            )
        )
        contact.rag_level = level
        contact.deadline_at = deadline
        for check, _ in planned.checks:
            if check.state == CheckState.REQUESTED:
                check.deadline_at = check_deadline(
                    requested_at=check.requested_at, level=level, calendar=self.calendar
                )
        planned.events.append(
            (
                Actor(user=screener, request_id="seed_demo"),
                AuditAction.UPDATE,
                "contact",
                contact,
                at,
                {"change": "re-graded" if len(planned.ratings) > 1 else "rated", "rag": level.code},
            )
        )

    def _children(self, planned: _Planned) -> list[ContactPerson]:
        return [person for person in planned.people if person.role in CHILD_ROLES]

    def _pass_to_worker(
        self, planned: _Planned, facts: CaseFacts, screener: User, worker: str, at: datetime
    ) -> None:
        """contact_pass_to_allocated_worker: an 'already open' decision, every child to
        the worker, accepted at once; screening -> handed on."""
        outcome = self.already_open
        assert outcome is not None
        contact = planned.contact
        contact.state = ContactState.HANDED_ON
        contact.closed_at = at
        decision = Decision(
            contact=contact,
            level_of_need=None,
            outcome=outcome,
            factor_codes=planned.factors,
            primary_need=PrimaryNeed.N0,
            rationale=allocated_worker_rationale(self.words, facts, worker),
            receiving_team=worker,
            decided_by=screener,
            decided_at=at,
        )
        children = self._children(planned)
        rows = [
            self.child_outcome(
                decision=decision,
                person=child,
                level_of_need=None,
                outcome=outcome,
                primary_need=PrimaryNeed.N0,
                receiving_team=worker,
            )
            for child in children
        ]
        hand_on = HandOn(
            contact=contact,
            contact_received_at=contact.received_at,
            decision=decision,
            team=HandOnTeam.ALLOCATED_WORKER,
            state=HandOnState.ACCEPTED,
            allocated_worker=worker,
            created_at=at,
            responded_by=screener,
            responded_at=at,
        )
        planned.decisions.append((decision, rows, [(hand_on, list(range(len(children))))]))
        self._decision_event(planned, screener, decision, at)

    def _decision_event(
        self, planned: _Planned, user: User, decision: Decision, at: datetime, **detail: Any
    ) -> None:
        planned.events.append(
            (
                Actor(user=user, request_id="seed_demo"),
                AuditAction.CREATE,
                "decision",
                decision,
                at,
                {"outcome": decision.outcome.code, **detail},
            )
        )

    def _close_at_screening(
        self,
        planned: _Planned,
        facts: CaseFacts,
        screener: User,
        proposed_at: datetime,
        family_key: int,
    ) -> None:
        """closure_propose (screening -> awaiting decision), then closure_agree."""
        rng = self.rng
        code = rng.choice(["nfa", "information_advice", "information_advice"])
        contact = planned.contact
        outcome = self.outcomes[code]
        proposal = ClosureProposal(
            contact=contact,
            outcome=outcome,
            rationale=closure_rationale(self.words, facts, code),
            proposed_by=screener,
            proposed_at=proposed_at,
        )
        planned.proposal = proposal
        contact.state = ContactState.AWAITING_DECISION
        agreed_at = self._after(proposed_at, DECISION_HOURS, False)
        if not self._done(agreed_at):
            return
        proposal.state = ProposalState.AGREED
        proposal.responded_by = self.manager
        proposal.responded_at = agreed_at
        self._decide(
            planned,
            code,
            agreed_at,
            level_of_need=rng.choice([1, 2]),
            primary_need="N9",
            rationale=proposal.rationale,
            proposal=proposal,
        )
        self._remember(family_key, code)

    def _enquiry(
        self,
        planned: _Planned,
        facts: CaseFacts,
        screener: User,
        level: RagLevel,
        opened_at: datetime,
        family_key: int,
    ) -> None:
        """enquiry_open (screening -> checks in progress), each check answered, waived or
        still open, then the decision once none is open."""
        rng = self.rng
        contact = planned.contact
        urgent = level.code == "red"
        agencies = [a for a in self.partners if a.agency_type in level.default_check_agency_types]
        contact.state = (
            ContactState.CHECKS_IN_PROGRESS if agencies else ContactState.AWAITING_DECISION
        )
        day = timezone.localdate(opened_at, LONDON)
        last = opened_at
        open_checks = 0
        for agency in agencies:
            check = self.check(
                contact=contact,
                contact_received_at=contact.received_at,
                agency=agency,
                state=CheckState.REQUESTED,
                requested_by=screener,
                requested_at=opened_at,
                deadline_at=check_deadline(
                    requested_at=opened_at, level=level, calendar=self.calendar
                ),
            )
            findings: list[CheckFinding] = []
            planned.checks.append((check, findings))
            slug = agency.slug
            if slug == "education" and rng.random() < 0.15 and contact.referral_source == "2A":
                waived_at = opened_at + timedelta(minutes=3)
                if self._done(waived_at):
                    check.state = CheckState.WAIVED
                    check.waived_by = screener
                    check.waived_at = waived_at
                    check.waive_reason = "The school made the contact and has shared what it knows."
                    last = max(last, waived_at)
                    continue
            done_at = self._after(opened_at, CHECK_HOURS, urgent)
            if not self._done(done_at):
                open_checks += 1
                continue
            researcher = self.researchers.get(slug, screener)
            lines = []
            for person in planned.people:
                known = rng.random() < 0.4
                summary = ""
                involved: date | None = None
                if known:
                    involved = day - timedelta(days=rng.randrange(10, 400))
                    summary = finding_summary(
                        self.words,
                        slug,
                        Person(
                            given_name=person.given_names,
                            family_name=person.family_name,
                            role=person.role,
                            age=age_on(person.date_of_birth, day),
                        ),
                        involved,
                    )
                    lines.append(summary)
                basis = (
                    "law_enforcement_safeguarding"
                    if slug == "police"
                    else "public_task_safeguarding"
                )
                findings.append(
                    self.finding(
                        agency_check=check,
                        person=person,
                        known=known,
                        summary=summary,
                        risk_indicators=self.words.choice(RISK_INDICATORS.get(slug, [""]))
                        if known
                        else "",
                        last_involvement_on=involved,
                        lawful_basis=basis,
                        onward_sharing="full" if slug in RELEASED_ONWARD else "none",
                        onward_lawful_basis=basis,
                    )
                )
            check.state = CheckState.COMPLETED
            check.completed_by = researcher
            check.completed_at = done_at
            facts.findings[slug] = lines
            last = max(last, done_at)
        if open_checks:
            return
        # checks in progress -> awaiting decision
        contact.state = ContactState.AWAITING_DECISION
        if not urgent and rng.random() < REGRADED:
            regraded_at = last + timedelta(minutes=rng.randrange(5, 60))
            if not self._done(regraded_at):
                return
            code = rng.choice([c for c in ("red", "amber", "green") if c != level.code])
            level = self.levels[code]
            self._rate(planned, screener, level, rng.choice(REGRADE_REASONS), regraded_at)
            last = regraded_at
        decided_at = self._after(last, DECISION_HOURS, urgent)
        if not self._done(decided_at):
            return
        outcomes = OUTCOMES_BY_RATING.get(level.code, OUTCOMES_BY_RATING["amber"])
        code = rng.choices([o for o, _ in outcomes], weights=[w for _, w in outcomes])[0]
        decision = self._decide(
            planned,
            code,
            decided_at,
            level_of_need=LEVEL_OF_NEED.get(code, 4),
            primary_need=rng.choice(["N1", "N1", "N4", "N5", "N3"]),
            rationale=decision_rationale(self.words, facts, code),
            summary=decision_summary(self.words, facts, code) if code in TEAMS else "",
        )
        self._remember(family_key, code)
        self._after_the_decision(planned, facts, decision, decided_at, family_key)

    def _decide(
        self,
        planned: _Planned,
        code: str,
        at: datetime,
        *,
        level_of_need: int | None,
        primary_need: str,
        rationale: str,
        summary: str = "",
        proposal: ClosureProposal | None = None,
        amends: Decision | None = None,
        reason: str = "",
    ) -> Decision:
        """decision_record (or decision_amend): the decision, every child's outcome, one
        hand-on per queued team (or the contact closed), the contact's state."""
        contact = planned.contact
        outcome = self.outcomes[code]
        decision = Decision(
            contact=contact,
            level_of_need=self.needs.get(level_of_need) if level_of_need else None,
            outcome=outcome,
            factor_codes=planned.factors,
            primary_need=primary_need,
            rationale=rationale,
            receiving_team=TEAMS.get(code, ""),
            decided_by=self.manager,
            decided_at=at,
            closure_proposal=proposal,
            amends=amends,
            amendment_reason=reason,
            summary=summary,
            worker_risks="None known to the MASH.",
        )
        children = self._children(planned)
        rows = [
            self.child_outcome(
                decision=decision,
                person=child,
                level_of_need=decision.level_of_need,
                outcome=outcome,
                primary_need=primary_need,
                receiving_team=decision.receiving_team,
            )
            for child in children
        ]
        hand_ons: list[tuple[HandOn, list[int]]] = []
        if outcome.hand_on_to in QUEUED_TEAMS:
            hand_ons.append(
                (
                    HandOn(
                        contact=contact,
                        contact_received_at=contact.received_at,
                        decision=decision,
                        team=outcome.hand_on_to,
                        state=HandOnState.PENDING,
                        created_at=at,
                        deadline_at=hand_on_deadline(
                            handed_on_at=at, hours=self.hours, calendar=self.calendar
                        ),
                    ),
                    list(range(len(children))),
                )
            )
        planned.decisions.append((decision, rows, hand_ons))
        # decided -> handed on, or closed
        contact.state = ContactState.HANDED_ON if hand_ons else ContactState.CLOSED
        contact.closed_at = at
        if amends is None:
            self._decision_event(planned, self.manager, decision, at)
        else:
            self._decision_event(planned, self.manager, decision, at, amends=amends)
        for hand_on, _ in hand_ons:
            planned.events.append(
                (
                    Actor(user=self.manager, request_id="seed_demo"),
                    AuditAction.CREATE,
                    "hand_on",
                    hand_on,
                    at,
                    {"change": "handed on"},
                )
            )
        return decision

    def _after_the_decision(
        self,
        planned: _Planned,
        facts: CaseFacts,
        decision: Decision,
        decided_at: datetime,
        family_key: int,
    ) -> None:
        """The receiving team accepts (naming a social worker the family keeps), returns
        the case (answered by an amended decision) or has not yet answered; now and then
        the manager amends a decision."""
        rng = self.rng
        _, _, hand_ons = planned.decisions[-1]
        code = decision.outcome.code
        if rng.random() < AMENDED:
            amended_at = self._working_later(decided_at, rng.uniform(4, 16))
            pending = [h for h, _ in hand_ons]
            if self._done(amended_at) and AMENDED_TO.get(code):
                new = AMENDED_TO[code]
                amendment = self._decide(
                    planned,
                    new,
                    amended_at,
                    level_of_need=LEVEL_OF_NEED.get(new, 4),
                    primary_need=decision.primary_need,
                    rationale=decision_rationale(self.words, facts, new),
                    summary=decision_summary(self.words, facts, new) if new in TEAMS else "",
                    amends=decision,
                    reason=rng.choice(AMENDMENT_REASONS),
                )
                # A waiting hand-on to the same team carries on under the amendment; one
                # to a team the children no longer go to is withdrawn.
                _, _, new_hand_ons = planned.decisions[-1]
                for old in pending:
                    same = [h for h, _ in new_hand_ons if h.team == old.team]
                    if same:
                        new_hand_ons[:] = [(h, c) for h, c in new_hand_ons if h.team != old.team]
                        old.decision = amendment
                    else:
                        old.state = HandOnState.WITHDRAWN
                        old.responded_at = amended_at
                if not any(h.state == HandOnState.PENDING for h in pending) and not new_hand_ons:
                    planned.contact.state = ContactState.CLOSED
                else:
                    planned.contact.state = ContactState.HANDED_ON
                self._remember(family_key, new)
                decision, code = amendment, new
                hand_ons = [(h, []) for h in pending if h.state == HandOnState.PENDING] + list(
                    new_hand_ons
                )
        self._answer(planned, facts, decision, [h for h, _ in hand_ons], family_key, True)

    def _answer(
        self,
        planned: _Planned,
        facts: CaseFacts,
        decision: Decision,
        hand_ons: list[HandOn],
        family_key: int,
        may_return: bool,
    ) -> None:
        """hand_on_accept or hand_on_return for each waiting hand-on, once the team has
        had time to answer: one answered after now is still waiting."""
        rng = self.rng
        for hand_on in hand_ons:
            if hand_on.state != HandOnState.PENDING:
                continue
            responded_at = self._working_later(hand_on.created_at, hand_on_answer_hours(rng))
            roll = rng.random()
            if not self._done(responded_at):
                continue
            responder = self.early_help if hand_on.team == HandOnTeam.EARLY_HELP else self.manager
            hand_on.responded_by = responder
            hand_on.responded_at = responded_at
            if may_return and roll < HAND_ON_RETURNED:
                self._returned(planned, facts, decision, hand_on, responded_at, family_key)
                return
            hand_on.state = HandOnState.ACCEPTED
            worker = rng.choice(WORKERS) if hand_on.team != HandOnTeam.EARLY_HELP else ""
            hand_on.allocated_worker = worker
            planned.events.append(
                (
                    Actor(user=responder, request_id="seed_demo"),
                    AuditAction.UPDATE,
                    "hand_on",
                    hand_on,
                    responded_at,
                    {"change": "accepted"},
                )
            )
            if worker:
                self.workers[family_key] = (worker, responded_at)

    def _returned(
        self,
        planned: _Planned,
        facts: CaseFacts,
        decision: Decision,
        hand_on: HandOn,
        returned_at: datetime,
        family_key: int,
    ) -> None:
        """hand_on_return (handed on -> awaiting decision, the deadline counted from the
        return), then the manager's amended decision, handed on afresh."""
        contact = planned.contact
        hand_on.state = HandOnState.RETURNED
        hand_on.return_reason = self.rng.choice(RETURN_REASONS)
        contact.state = ContactState.AWAITING_DECISION
        contact.closed_at = None
        level = contact.rag_level or self.provisional[contact.immediate_risk]
        if level is not None:
            contact.deadline_at = decision_deadline(
                received_at=returned_at, level=level, calendar=self.calendar
            )
        planned.events.append(
            (
                Actor(user=hand_on.responded_by, request_id="seed_demo"),
                AuditAction.UPDATE,
                "hand_on",
                hand_on,
                returned_at,
                {"change": "returned"},
            )
        )
        decided_at = self._after(returned_at, DECISION_HOURS, False)
        if not self._done(decided_at):
            return
        code = self.rng.choice(
            [
                c
                for c in ("early_help", "assessment_s17", "information_advice")
                if c != decision.outcome.code
            ]
        )
        amendment = self._decide(
            planned,
            code,
            decided_at,
            level_of_need=LEVEL_OF_NEED.get(code, 4),
            primary_need=decision.primary_need,
            rationale=decision_rationale(self.words, facts, code),
            summary=decision_summary(self.words, facts, code) if code in TEAMS else "",
            amends=decision,
            reason="Returned by the receiving team: " + hand_on.return_reason,
        )
        self._remember(family_key, code)
        _, _, afresh = planned.decisions[-1]
        self._answer(planned, facts, amendment, [h for h, _ in afresh], family_key, False)

    # --- writing ----------------------------------------------------------------------

    def _write(self, model: type[models.Model], rows: list[Any], size: int = 2000) -> None:
        """Insert the rows: on PostgreSQL with COPY, the ids taken from the table's
        sequence first (so the rows pointing at these can be written next); elsewhere
        with bulk_create."""
        if not rows:
            return
        began = time.perf_counter()
        try:
            self._insert(model, rows, size)
        finally:
            name = model._meta.db_table
            self.seconds[name] = self.seconds.get(name, 0.0) + time.perf_counter() - began

    def _insert(self, model: type[models.Model], rows: list[Any], size: int) -> None:
        if connection.vendor != "postgresql":
            model.objects.bulk_create(rows, batch_size=size)  # type: ignore[attr-defined]
            return
        meta = model._meta
        table = meta.db_table
        quote = connection.ops.quote_name
        with connection.cursor() as cursor:
            pk = meta.pk
            assert pk is not None
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                [table, pk.column, len(rows)],
            )
            for row, (number,) in zip(rows, cursor.fetchall(), strict=True):
                row.pk = number
            fields = list(meta.concrete_fields)
            values = [_value_of(field) for field in fields]
            names = ", ".join(quote(str(f.column)) for f in fields)
            with cursor.cursor.copy(f"COPY {quote(table)} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row([value(row) for value in values])

    def flush(self) -> None:
        """Write the planned contacts. On PostgreSQL, outside a transaction, a writer
        thread (with its own connection) writes one batch while the next is planned, so
        the database's work overlaps Python's; at most one batch waits. Inside a
        transaction (a test's) the batch is written here, in it."""
        if not self.pending:
            return
        batch, self.pending = self.pending, []
        if connection.vendor != "postgresql" or connection.in_atomic_block:
            self._write_batch(batch)
            return
        if self.writer is None:
            self.writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="seed-writer")
        self._wait_for_the_writer()
        self.in_flight = self.writer.submit(self._write_batch, batch)

    def _wait_for_the_writer(self) -> None:
        if self.in_flight is not None:
            began = time.perf_counter()
            self.in_flight.result()  # raises what the writer raised
            self.in_flight = None
            waited = time.perf_counter() - began
            self.seconds["waiting for the writer"] = (
                self.seconds.get("waiting for the writer", 0.0) + waited
            )

    def _write_batch(self, batch: list[_Planned]) -> None:
        """Write the planned contacts, parents before children, in one transaction."""
        with transaction.atomic():
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    # Nothing is lost if the machine stops mid-load but this batch.
                    cursor.execute("SET LOCAL synchronous_commit = off")
            self._write(Contact, [p.contact for p in batch], size=1000)
            people = [person for p in batch for person in p.people]
            self._write(ContactPerson, people, size=2000)
            self._write(
                ContactFactor,
                [self.factor(contact=p.contact, code=code) for p in batch for code in p.factors],
                size=4000,
            )
            self._write(
                IndexedPerson,
                [index_entry_for_contact_person(person) for person in people],
                size=2000,
            )
            self._write(RagRating, [rating for p in batch for rating in p.ratings], size=2000)
            self._write(
                ClosureProposal, [p.proposal for p in batch if p.proposal is not None], size=2000
            )
            self._write(AgencyCheck, [check for p in batch for check, _ in p.checks], size=2000)
            self._write(
                CheckFinding,
                [f for p in batch for _, findings in p.checks for f in findings],
                size=4000,
            )
            # Originals first, then amendments (which point at them), in order.
            depth = 0
            while True:
                level = [
                    decision
                    for p in batch
                    for decision in [d for d, _, _ in p.decisions][depth : depth + 1]
                ]
                if not level:
                    break
                self._write(Decision, level, size=2000)
                depth += 1
            self._write(
                DecisionChild,
                [row for p in batch for _, rows, _ in p.decisions for row in rows],
                size=4000,
            )
            hand_ons = [(p, h, c) for p in batch for _, _, hs in p.decisions for h, c in hs]
            for _, hand_on, _ in hand_ons:
                # An amendment a waiting hand-on carried on under.
                hand_on.decision_id = hand_on.decision.pk
            self._write(HandOn, [h for _, h, _ in hand_ons], size=2000)
            through = HandOn.children.through
            self._write(
                through,
                [
                    through(handon_id=hand_on.pk, contactperson_id=self._children(p)[i].pk)
                    for p, hand_on, children in hand_ons
                    for i in children
                ],
                size=4000,
            )
            self._write(
                AuditEvent,
                [
                    self.event(
                        actor_user=actor.user,
                        actor_token=actor.token,
                        action=action,
                        object_type=object_type,
                        object_id=str(obj.pk),
                        contact_id=p.contact.pk,
                        request_id=actor.request_id,
                        # A row named in the detail (the decision amended) by its id.
                        detail={
                            key: value.pk if isinstance(value, models.Model) else value
                            for key, value in detail.items()
                        },
                    )
                    for p in batch
                    # In the order they happened, as the services would have written them.
                    for actor, action, object_type, obj, _at, detail in sorted(
                        p.events, key=lambda event: event[4]
                    )
                ],
                size=4000,
            )
        self.written += len(batch)

    def finish(self) -> int:
        """Write what is left and the reference numbers used; returns contacts written."""
        self.flush()
        self._wait_for_the_writer()
        if self.writer is not None:
            # The writer thread's own connection (connection is per thread).
            self.writer.submit(lambda: connection.close()).result()
            self.writer.shutdown()
            self.writer = None
        with connection.cursor() as cursor:
            for year, number in sorted(self.numbers.items()):
                cursor.execute(
                    "INSERT INTO contacts_referencesequence (year, last_number) VALUES (%s, %s) "
                    "ON CONFLICT (year) DO UPDATE SET last_number = excluded.last_number",
                    [year, number],
                )
        return self.written
