"""Takes demo contacts through the MASH as a hub's staff would, through the real services,
so the demo shows every queue with work at every stage: old contacts decided and handed
on, the last few days' contacts still being screened, checked or waiting for a decision.

Used by `manage.py seed_demo`; deterministic for its random generator.
"""

import bisect
import math
import random
from datetime import date, datetime, timedelta

from django.utils import timezone

from openmash.accounts.models import Agency, User
from openmash.area.calendar import LONDON, WorkingCalendar, calendar_for_area
from openmash.area.models import RagLevel, TimeCounting
from openmash.area.selectors import rag_levels_active
from openmash.contacts.codes import CHILD_ROLES, PersonRole
from openmash.contacts.models import Contact
from openmash.core.audit import Actor
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
    strategy_minutes,
)
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
from openmash.strategy.models import DiscussionOutcome
from openmash.strategy.services import (
    ActionInput,
    ScheduleInput,
    action_add,
    attendance_record,
    discussion_invite,
    discussion_raise,
    discussion_schedule,
    minutes_record,
    outcome_record,
)

# Of the contacts that go on to an enquiry, where each rating's cases end up. National
# figures (MASH-DOMAIN.md section 6): about half of MASH enquiries become social care
# referrals (48% in Devon) and a quarter go to early help (24%); with the fifth closed at
# screening with advice or no further action, the demo lands near those shares.
OUTCOMES_BY_RATING = {
    "red": [("strategy_s47", 60), ("assessment_s17", 25), ("police_action", 10), ("early_help", 5)],
    "amber": [
        ("assessment_s17", 48),
        ("early_help", 30),
        ("strategy_s47", 8),
        ("information_advice", 6),
        ("police_action", 4),
        ("transfer_la", 4),
    ],
    "green": [
        ("early_help", 52),
        ("information_advice", 20),
        ("assessment_s17", 18),
        ("transfer_la", 4),
        ("nfa", 6),
    ],
}
TEAMS = {
    "early_help": "Eastbridge early help hub",
    "assessment_s17": "Assessment team north",
    "strategy_s47": "Assessment team north",
    "police_action": "Public protection unit",
    "transfer_la": "Neighbouring county MASH",
}
OUTCOME_TEXT = {
    "early_help": "early help",
    "assessment_s17": "a social work assessment",
    "strategy_s47": "a strategy discussion",
    "information_advice": "information and advice",
    "police_action": "police action",
    "transfer_la": "transfer to another authority",
    "nfa": "no further action",
}
# The agencies whose demo researchers release their findings to the receiving team.
RELEASED_ONWARD = ("police", "education")
WORKERS = ["Chris Adeyemi", "Lou Harper", "Dee Marsh", "Kim Osei", "Sol Grant"]
# How long each piece of work takes one person (median and 90th percentile, hours):
# screening a contact from taking it to opening the enquiry, one agency's research, a
# manager's decision. Short enough for the demo's staff (two screeners, one person in each
# other role) to keep up with about 20 contacts a weekday.
SCREENING_HOURS = (0.25, 0.6)
CHECK_HOURS = (0.2, 0.5)
DECISION_HOURS = (0.15, 0.4)
# The share of working days each demo worker is away (leave, sickness, training): the
# capacity planner's stated default (openmash.planner.calibration.DEFAULT_ABSENCE).
ABSENCE = 0.1
# Out of hours a red contact is picked up by whoever is on call, after a call-out delay.
CALL_OUT_HOURS = (0.1, 0.5)
# The receiving team answers a hand-on within its working day or so (working hours); one
# in HAND_ON_SLOW is answered days later, long past the deadline, and is still waiting
# when that is after now. None waits for ever: no real hub keeps years of hand-ons open.
HAND_ON_ANSWER_HOURS = (0.5, 10.0)
HAND_ON_SLOW = 0.08
HAND_ON_SLOW_HOURS = (10.0, 40.0)


def hand_on_answer_hours(rng: random.Random) -> float:
    """Working hours from handing on to the receiving team's answer."""
    if rng.random() < HAND_ON_SLOW:
        return rng.uniform(*HAND_ON_SLOW_HOURS)
    return rng.uniform(*HAND_ON_ANSWER_HOURS)


def lognormal(rng: random.Random, median_p90: tuple[float, float]) -> float:
    median, p90 = median_p90
    return rng.lognormvariate(math.log(median), math.log(p90 / median) / 1.2816)


class Diary:
    """One demo worker's booked work. Ordinary work is booked in the hub's working hours,
    on days the worker is in, in the earliest free slot after it is ready; red work is
    done as soon as it is ready, out of hours on call, interrupting whatever else the
    worker is doing (a red case jumps the queue)."""

    def __init__(self, rng: random.Random, calendar: WorkingCalendar) -> None:
        self.rng = rng
        self.calendar = calendar
        self.starts: list[datetime] = []
        self.ends: list[datetime] = []
        self.absent: dict[date, bool] = {}

    def _away(self, day: date) -> bool:
        if day not in self.absent:
            self.absent[day] = self.rng.random() < ABSENCE
        return self.absent[day]

    def slot(
        self, ready: datetime, hours: float, urgent: bool = False
    ) -> tuple[datetime, datetime]:
        """The start and end of the work, not yet booked (see book)."""
        length = timedelta(hours=hours)
        if urgent:
            start = ready
            if not self.calendar.is_open(ready):
                start = ready + timedelta(hours=self.rng.uniform(*CALL_OUT_HOURS))
            return start, start + length
        moment = ready
        for _ in range(10000):
            moment = self.calendar.next_opening(moment)
            local = moment.astimezone(LONDON)
            closes = datetime.combine(local.date(), self.calendar.closes, tzinfo=LONDON)
            if self._away(local.date()) or moment + length > closes:
                moment = closes
                continue
            index = bisect.bisect_right(self.starts, moment) - 1
            if index >= 0 and self.ends[index] > moment:
                moment = self.ends[index]
                continue
            following = index + 1
            if following < len(self.starts) and self.starts[following] < moment + length:
                moment = self.ends[following]
                continue
            return moment, moment + length
        raise RuntimeError("No free time found for demo work")

    def book(self, start: datetime, end: datetime) -> None:
        index = bisect.bisect_left(self.starts, start)
        self.starts.insert(index, start)
        self.ends.insert(index, end)


class DemoWorkflow:
    def __init__(
        self, rng: random.Random, users: dict[str, User], agencies: dict[str, Agency], now: datetime
    ) -> None:
        self.rng = rng
        # Its own generator for what staff write, so the wording can change without
        # changing when things happen.
        self.words = random.Random(rng.random())
        self.now = now
        self.horizon = now
        self.never = now + timedelta(days=36500)
        self.calendar = calendar_for_area()
        # Two screeners share the contacts: each takes the next one if they can finish it
        # sooner; the rest of the hub is one person a role.
        self.screeners = {
            name: Actor(user=users[name], request_id="seed_demo")
            for name in ("screener", "screener2")
            if name in users
        }
        self.screener = self.screeners["screener"]
        self.manager = Actor(user=users["manager"], request_id="seed_demo")
        self.early_help = Actor(user=users["earlyhelp"], request_id="seed_demo")
        self.researchers = {
            slug: Actor(user=users[f"{slug}.researcher"], request_id="seed_demo")
            for slug in ("police", "health", "education", "probation")
        }
        diary_rng = random.Random(rng.random())
        self.diaries = {
            name: Diary(diary_rng, self.calendar)
            for name in (*self.screeners, "manager", *self.researchers)
        }
        self.agencies = agencies
        self.levels = {level.code: level for level in rag_levels_active()}
        # Families with an allocated social worker, by a key the seeder gives each family.
        self.workers: dict[int, tuple[str, datetime]] = {}
        # Each family's earlier contacts: how many, and how the last one ended.
        self.history: dict[int, tuple[int, str]] = {}

    def _at(self, start: datetime, hours: float) -> datetime:
        return self._until_horizon(start + timedelta(hours=hours))

    def _until_horizon(self, moment: datetime) -> datetime:
        # The last two days' contacts stop part-way: the hub has not got to them yet.
        return moment if moment <= self.horizon else self.never

    def _work(
        self, who: str, ready: datetime, hours: tuple[float, float], urgent: bool
    ) -> tuple[datetime, datetime, float]:
        """Book `who`'s next piece of work, ready at `ready`: its start, its end and its
        length in hours. A start or end the hub has not got to yet is `never`, and work not
        finished by then is not booked."""
        diary = self.diaries[who]
        length = min(4.0, lognormal(self.rng, hours))
        start, end = diary.slot(ready, length, urgent)
        if end <= self.horizon and not urgent:
            diary.book(start, end)
        return self._until_horizon(start), self._until_horizon(end), length

    def _working_hours_later(self, start: datetime, hours: float) -> datetime:
        return self._until_horizon(self.calendar.add(start, hours, TimeCounting.WORKING_HOURS))

    def _horizon_for(self, contact: Contact) -> datetime:
        if contact.received_at < self.now - timedelta(days=2):
            return self.now
        stop_after_hours = self.rng.choice([0.0, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 48.0])
        return min(self.now, contact.received_at + timedelta(hours=stop_after_hours))

    def _facts(self, contact: Contact, family_key: int) -> CaseFacts:
        day = timezone.localdate(contact.received_at)
        people = [
            (
                person.role,
                Person(
                    given_name=person.given_names,
                    family_name=person.family_name,
                    role=person.role,
                    age=age_on(person.date_of_birth, day),
                ),
            )
            for person in contact.people.all().order_by("position")
        ]
        earlier, last = self.history.get(family_key, (0, ""))
        return CaseFacts(
            children=[person for role, person in people if role == PersonRole.SUBJECT_CHILD],
            adults=[person for role, person in people if role not in CHILD_ROLES],
            factors=list(contact.factor_codes or ["20"]),
            source=contact.referral_source,
            immediate_risk=contact.immediate_risk,
            earlier_contacts=earlier,
            last_outcome=last,
        )

    def _remember(self, family_key: int, outcome: str) -> None:
        earlier, _ = self.history.get(family_key, (0, ""))
        self.history[family_key] = (earlier + 1, OUTCOME_TEXT.get(outcome, outcome))

    def progress(self, contact: Contact, family_key: int) -> None:
        """Take the contact as far through the MASH as the time since it arrived allows."""
        facts = self._facts(contact, family_key)
        try:
            self._progress(contact, family_key, facts)
        finally:
            earlier, last = self.history.get(family_key, (0, ""))
            if earlier == facts.earlier_contacts:
                self.history[family_key] = (earlier + 1, last)

    def _progress(self, contact: Contact, family_key: int, facts: CaseFacts) -> None:
        rng = self.rng
        self.horizon = self._horizon_for(contact)
        urgent = contact.immediate_risk
        code = "red" if urgent else rng.choice(["amber", "amber", "green"])
        who = min(
            self.screeners,
            key=lambda name: self.diaries[name].slot(
                contact.recorded_at, SCREENING_HOURS[0], urgent
            )[1],
        )
        self.screener = self.screeners[who]
        taken_at, screened_at, hours = self._work(who, contact.recorded_at, SCREENING_HOURS, urgent)
        if taken_at > self.now:
            return
        contact_take(actor=self.screener, contact_id=contact.pk, now=taken_at)
        worker, allocated_at = self.workers.get(family_key, ("", self.now))
        if worker and allocated_at < taken_at:
            passed_at = self._at(taken_at, hours / 3)
            if passed_at > self.now:
                return
            contact_pass_to_allocated_worker(
                actor=self.screener,
                contact_id=contact.pk,
                allocated_worker=worker,
                rationale=allocated_worker_rationale(self.words, facts, worker),
                now=passed_at,
            )
            self._remember(family_key, "passed to the allocated worker")
            return
        rated_at = self._at(taken_at, hours * 0.6)
        if rated_at > self.now:
            return
        contact_rate(
            actor=self.screener,
            contact_id=contact.pk,
            rag=code,
            rationale=rating_rationale(self.words, facts, code),
            now=rated_at,
        )
        level = self.levels[code]
        if screened_at > self.now:
            return
        if rng.random() < 0.22 and code != "red":
            self._close_at_screening(contact, screened_at, facts, family_key)
            return
        self._enquiry(contact, level, screened_at, family_key, facts)

    def _close_at_screening(
        self, contact: Contact, proposed_at: datetime, facts: CaseFacts, family_key: int
    ) -> None:
        rng = self.rng
        outcome = rng.choice(["nfa", "information_advice", "information_advice"])
        proposal = closure_propose(
            actor=self.screener,
            contact_id=contact.pk,
            outcome=outcome,
            rationale=closure_rationale(self.words, facts, outcome),
            now=proposed_at,
        )
        _, agreed_at, _ = self._work("manager", proposed_at, DECISION_HOURS, False)
        if agreed_at > self.now:
            return
        closure_agree(
            actor=self.manager,
            proposal_id=proposal.pk,
            level_of_need=rng.choice([1, 2]),
            primary_need="N9",
            now=agreed_at,
        )
        self._remember(family_key, outcome)

    def _enquiry(
        self,
        contact: Contact,
        level: RagLevel,
        opened_at: datetime,
        family_key: int,
        facts: CaseFacts,
    ) -> None:
        rng = self.rng
        urgent = level.code == "red"
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
        day = timezone.localdate(opened_at)
        for check in checks:
            slug = check.agency.slug
            if slug == "education" and rng.random() < 0.15 and contact.referral_source == "2A":
                # The school made the contact: the screener waives its check.
                waived_at = self._at(opened_at, 0.05)
                if waived_at > self.now:
                    continue
                check_waive(
                    actor=self.screener,
                    check_id=check.pk,
                    reason="The school made the contact and has shared what it knows.",
                    now=waived_at,
                )
                last = max(last, waived_at)
                continue
            _, done_at, _ = self._work(slug, opened_at, CHECK_HOURS, urgent)
            if done_at > self.now:
                continue
            findings = []
            lines: list[str] = []
            for person in people:
                known = rng.random() < 0.4
                summary = ""
                if known:
                    involved = day - timedelta(days=rng.randrange(10, 400))
                    who = Person(
                        given_name=person.given_names,
                        family_name=person.family_name,
                        role=person.role,
                        age=age_on(person.date_of_birth, day),
                    )
                    summary = finding_summary(self.words, slug, who, involved)
                    lines.append(summary)
                findings.append(
                    FindingInput(
                        person_id=person.pk,
                        known=known,
                        summary=summary,
                        risk_indicators=self.words.choice(RISK_INDICATORS.get(slug, [""]))
                        if known
                        else "",
                        last_involvement_on=involved if known else None,
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
            facts.findings[slug] = lines
            last = max(last, done_at)
        contact.refresh_from_db()
        if contact.state != "awaiting_decision":
            return
        _, decided_at, _ = self._work("manager", last, DECISION_HOURS, urgent)
        if decided_at > self.now:
            return
        outcomes = OUTCOMES_BY_RATING.get(level.code, OUTCOMES_BY_RATING["amber"])
        outcome = rng.choices([o for o, _ in outcomes], weights=[w for _, w in outcomes])[0]
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
                level_of_need={
                    "nfa": 1,
                    "information_advice": 1,
                    "early_help": 2,
                    "assessment_s17": 3,
                }.get(outcome, 4),
                outcome=outcome,
                factor_codes=contact.factor_codes or ["21"],
                primary_need=rng.choice(["N1", "N1", "N4", "N5", "N3"]),
                rationale=decision_rationale(self.words, facts, outcome),
                receiving_team=TEAMS.get(outcome, ""),
                summary=decision_summary(self.words, facts, outcome) if outcome in TEAMS else "",
                worker_risks=worker_risks_suggested(released) or "None known to the MASH.",
                shared_finding_ids=[finding.pk for finding in released],
            ),
            now=decided_at,
        )
        self._remember(family_key, outcome)
        if outcome == "strategy_s47":
            self._strategy_discussion(contact, decided_at, facts)
        hand_on = decision.hand_ons.first()
        responded_at = self._working_hours_later(decided_at, hand_on_answer_hours(rng))
        if hand_on is None or responded_at > self.now:
            return
        responder = self.early_help if outcome == "early_help" else self.manager
        worker = rng.choice(WORKERS) if outcome != "early_help" else ""
        hand_on_accept(
            actor=responder, hand_on_id=hand_on.pk, allocated_worker=worker, now=responded_at
        )
        if worker:
            self.workers[family_key] = (worker, responded_at)

    def _strategy_discussion(
        self, contact: Contact, decided_at: datetime, facts: CaseFacts
    ) -> None:
        """Set up, hold and decide the strategy discussion the MASH decided, as far as the
        time since allows: the same day for the most urgent (on call out of hours),
        otherwise in working hours. Its own random numbers (from the contact), so the rest
        of the demo comes out the same with or without it."""
        rng = random.Random(contact.pk)
        raised_at = self._at(decided_at, rng.uniform(0.1, 1))
        if raised_at > self.now:
            return
        discussion = discussion_raise(actor=self.manager, contact_id=contact.pk, now=raised_at)
        if contact.immediate_risk:
            when = raised_at + timedelta(hours=rng.choice([1, 2, 3]))
        else:
            when = self.calendar.add(
                raised_at, rng.choice([1, 2, 4, 8, 12]), TimeCounting.WORKING_HOURS
            )
        # Scheduled for then whether or not that has come; held only once it has.
        local = timezone.localtime(when)
        held_at = self._until_horizon(when)
        chair = self.manager.user
        assert chair is not None
        discussion_schedule(
            actor=self.manager,
            discussion_id=discussion.pk,
            data=ScheduleInput(
                day=local.date(),
                time=f"{local:%H:%M}",
                place="MASH meeting room 2",
                call_link="https://meet.demo-county.invalid/strategy",
                chair_id=chair.pk,
            ),
            now=raised_at,
        )
        invited = ["childrens-social-care", "police", "health"]
        if rng.random() < 0.5:
            invited.append("education")
        invitations = discussion_invite(
            actor=self.manager,
            discussion_id=discussion.pk,
            agency_ids=[self.agencies[slug].pk for slug in invited],
            now=raised_at,
        )
        minuted_at = self._at(held_at, rng.uniform(0.5, 1.5))
        if held_at > self.now or minuted_at > self.now:
            return
        attendance_record(
            actor=self.manager,
            discussion_id=discussion.pk,
            attendance={
                each.pk: "attended" if rng.random() < 0.85 else "sent_information"
                for each in invitations
            },
            now=minuted_at,
        )
        minutes_record(
            actor=self.manager,
            discussion_id=discussion.pk,
            minutes=strategy_minutes(
                self.words, facts, [self.agencies[slug].name for slug in invited]
            ),
            now=minuted_at,
        )
        decided = self._at(minuted_at, rng.uniform(0.1, 1))
        if decided > self.now:
            return
        outcome = rng.choice(
            [
                DiscussionOutcome.S47_JOINT,
                DiscussionOutcome.S47_SINGLE,
                DiscussionOutcome.NO_FURTHER_ACTION,
            ]
        )
        outcome_record(
            actor=self.manager, discussion_id=discussion.pk, outcome=outcome, now=decided
        )
        for slug, action in (
            ("police", "Joint visit with a social worker"),
            ("health", "Health visitor to see the children"),
        ):
            action_add(
                actor=self.manager,
                discussion_id=discussion.pk,
                data=ActionInput(
                    action,
                    self.agencies[slug].pk,
                    None,
                    timezone.localdate(decided + timedelta(days=2)),
                ),
                now=decided,
            )
