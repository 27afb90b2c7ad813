"""Loads realistic demo data through the same services as real input.

Deterministic for a given --seed. Scales for benchmarks: --days 1825.
"""

import random
import time as clock
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction
from django.utils import timezone

from openmash.accounts.models import Agency, ApiToken, User
from openmash.accounts.services import agency_create, api_token_issue, user_create
from openmash.area.calendar import closed_days_for_area
from openmash.area.models import EmergencyDutyTeam
from openmash.contacts.codes import Channel, ConsentStatus, LawfulBasis, PersonRole
from openmash.contacts.models import Contact
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
from openmash.core.roles import AgencyType, Role
from openmash.demo.arrivals import ARRIVAL_PATTERNS, arrivals_on
from openmash.demo.fast import FastLoader
from openmash.demo.workflow import DemoWorkflow
from openmash.enquiries.workflow import OPEN_STATES
from openmash.linkage.feeds import feed_from_records
from openmash.linkage.links import links_suggest_for_contact
from openmash.linkage.services import index_import_apply
from openmash.metrics.facts import facts_rebuild
from openmash.people.identifiers import nhs_number_check_digit, upn_check_letter
from openmash.two_factor.codes import DEMO_TOTP_KEY
from openmash.two_factor.services import two_factor_has_factor, two_factor_totp_preenrol

DEMO_PASSWORD = "mash-demo-2026"  # noqa: S105 - printed for the demo; never used in production
LONDON = ZoneInfo("Europe/London")

AGENCIES = [
    (
        "Demo County Children's Social Care",
        "childrens-social-care",
        AgencyType.CHILDRENS_SOCIAL_CARE,
        True,
        "5A",
    ),
    ("Demo County Police", "police", AgencyType.POLICE, True, "6"),
    ("Demo County NHS Trust", "health", AgencyType.HEALTH, True, "3F"),
    ("Demo County Education Safeguarding", "education", AgencyType.EDUCATION, True, "2B"),
    ("Demo County Probation", "probation", AgencyType.PROBATION, True, "7"),
    ("Demo County Early Help", "early-help", AgencyType.EARLY_HELP, True, "5D"),
    ("Riverside Primary School", "riverside-primary", AgencyType.EDUCATION, False, "2A"),
    ("Oak Tree Surgery", "oak-tree-surgery", AgencyType.HEALTH, False, "3A"),
]

# username, first, last, agency slug, roles, job title
USERS = [
    (
        "admin",
        "Alex",
        "Admin",
        "childrens-social-care",
        [Role.ADMINISTRATOR],
        "System administrator",
    ),
    ("screener", "Sam", "Patel", "childrens-social-care", [Role.SCREENER], "MASH social worker"),
    ("screener2", "Lee", "Morris", "childrens-social-care", [Role.SCREENER], "MASH social worker"),
    (
        "manager",
        "Morgan",
        "Hughes",
        "childrens-social-care",
        [Role.MASH_MANAGER],
        "MASH team manager",
    ),
    (
        "police.researcher",
        "Priya",
        "Kaur",
        "police",
        [Role.AGENCY_RESEARCHER],
        "Police MASH researcher",
    ),
    (
        "health.researcher",
        "Hannah",
        "Okafor",
        "health",
        [Role.AGENCY_RESEARCHER],
        "MASH health nurse",
    ),
    (
        "education.researcher",
        "Ed",
        "Walsh",
        "education",
        [Role.AGENCY_RESEARCHER],
        "Education MASH officer",
    ),
    (
        "probation.researcher",
        "Pat",
        "Doyle",
        "probation",
        [Role.AGENCY_RESEARCHER],
        "Probation MASH officer",
    ),
    (
        "earlyhelp",
        "Erin",
        "Lloyd",
        "early-help",
        [Role.EARLY_HELP_COORDINATOR],
        "Early help coordinator",
    ),
    ("analyst", "Ana", "Lytics", "childrens-social-care", [Role.ANALYST], "Performance analyst"),
    (
        "auditor",
        "Audrey",
        "Tait",
        "childrens-social-care",
        [Role.AUDITOR],
        "Information governance officer",
    ),
    (
        "ig.officer",
        "Imogen",
        "Grant",
        "childrens-social-care",
        [Role.INFORMATION_GOVERNANCE],
        "Data protection officer",
    ),
    (
        "school.referrer",
        "Jo",
        "Bennett",
        "riverside-primary",
        [Role.REFERRER],
        "Designated safeguarding lead",
    ),
    ("gp.referrer", "Dr Ravi", "Shah", "oak-tree-surgery", [Role.REFERRER], "GP safeguarding lead"),
]

# Referral sources, weighted roughly as in DfE figures: police about a quarter. The seeder
# draws each contact's source with its arrival time (openmash.demo.arrivals); the
# benchmarks draw from this list.
SOURCES = [
    ("6", 25),
    ("2A", 17),
    ("3A", 4),
    ("3B", 4),
    ("3C", 2),
    ("3E", 4),
    ("3F", 3),
    ("5A", 4),
    ("5B", 2),
    ("5C", 2),
    ("5D", 3),
    ("1A", 6),
    ("1B", 2),
    ("1C", 1),
    ("1D", 2),
    ("4", 3),
    ("7", 4),
    ("8", 5),
    ("2B", 3),
    ("9", 3),
    ("10", 1),
]
# Parental mental health and domestic abuse are the most common factors.
FACTORS = [
    ("4B", 20),
    ("3B", 18),
    ("3A", 6),
    ("16A", 14),
    ("2B", 10),
    ("1B", 8),
    ("17A", 9),
    ("18C", 7),
    ("10A", 5),
    ("24A", 3),
    ("11A", 3),
    ("15A", 4),
    ("4A", 5),
    ("14A", 4),
    ("6B", 3),
    ("5B", 2),
    ("19C", 2),
    ("18B", 2),
    ("13A", 1),
    ("7A", 2),
    ("20", 3),
]
FIRST_NAMES_F = [
    "Amelia",
    "Olivia",
    "Isla",
    "Ava",
    "Mia",
    "Ivy",
    "Lily",
    "Freya",
    "Grace",
    "Sophia",
    "Aisha",
    "Zara",
    "Maya",
    "Ella",
    "Ruby",
    "Poppy",
    "Evie",
    "Chloe",
    "Hannah",
    "Leah",
    "Margaret",
    "Elizabeth",
    "Katherine",
    "Jessica",
    "Rebecca",
]
FIRST_NAMES_M = [
    "Oliver",
    "George",
    "Noah",
    "Arthur",
    "Leo",
    "Harry",
    "Oscar",
    "Archie",
    "Jack",
    "Muhammad",
    "Charlie",
    "Jacob",
    "Thomas",
    "Alfie",
    "Joshua",
    "William",
    "James",
    "Daniel",
    "Kai",
    "Tyler",
    "Robert",
    "Michael",
    "Anthony",
    "Samuel",
    "Edward",
]
SURNAMES = [
    "Smith",
    "Jones",
    "Taylor",
    "Brown",
    "Williams",
    "Wilson",
    "Johnson",
    "Davies",
    "Patel",
    "Robinson",
    "Wright",
    "Thompson",
    "Evans",
    "Walker",
    "White",
    "Roberts",
    "Green",
    "Hall",
    "Wood",
    "Jackson",
    "Clarke",
    "Khan",
    "Ali",
    "Hussain",
    "Begum",
    "Nowak",
    "Kowalski",
    "O'Brien",
    "Smith-Jones",
    "Murphy",
    "Okoro",
    "Mensah",
    "Campbell",
    "Stewart",
    "Lewis",
    "Hughes",
    "Edwards",
    "Price",
]
STREETS = [
    "High Street",
    "Station Road",
    "Church Lane",
    "Mill Road",
    "Victoria Road",
    "Park Avenue",
    "Queens Road",
    "The Crescent",
    "Manor Way",
    "Orchard Close",
    "Riverside Walk",
    "Elm Grove",
]
TOWNS = [
    ("Eastbridge", "DC1"),
    ("Westford", "DC2"),
    ("Northam", "DC3"),
    ("Southwick", "DC4"),
    ("Millbrook", "DC5"),
]
INWARD_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"
DESCRIPTIONS = {
    "4B": "Mother disclosed worsening depression; struggling to get the children to school and not eating.",
    "3B": "Police called to a domestic incident at the home overnight; children present and heard shouting.",
    "3A": "Child told a teacher that dad hurt mum and that they hid in the bedroom.",
    "16A": "Children arriving at school hungry and in unwashed clothes; head lice untreated for weeks.",
    "2B": "Father found under the influence of drugs while the children were in his care.",
    "1B": "Neighbour reports mother drunk most evenings and the toddler left unsupervised in the garden.",
    "17A": "Child says she is shouted at and called names at home; appears withdrawn and anxious.",
    "18C": "Bruising to the upper arm; child said 'dad grabbed me' and then retracted.",
    "10A": "Young person missing overnight for the third time this month; returned with a new phone.",
    "24A": "Concerns the young person is carrying drugs for older males; found with cash and two phones.",
    "11A": "Young person seen getting into cars with unknown adult men after school.",
    "15A": "Student disclosed self-harm (cutting) and said she feels nobody at home would notice.",
    "4A": "Child has talked about wanting to die; CAMHS referral made but long wait.",
    "14A": "Repeated aggressive behaviour at school and in the community; excluded twice this term.",
    "6B": "Single father recovering from a stroke; eldest child doing much of the caring.",
}


@dataclass
class Family:
    surname: str
    address: Address
    children: list[PersonDetails]
    parents: list[PersonDetails] = field(default_factory=list)


class DemoData:
    def __init__(self, seed: int, end: date) -> None:
        self.rng = random.Random(seed)
        self.end = end
        self.families: list[Family] = []

    def nhs_number(self) -> str:
        while True:
            first_nine = f"999{self.rng.randrange(0, 1_000_000):06d}"
            check = nhs_number_check_digit(first_nine)
            if check is not None:
                return f"{first_nine}{check}"

    def upn(self) -> str:
        body = f"801{self.rng.randrange(0, 10**9):09d}"
        return upn_check_letter(body) + body

    def postcode(self, outward: str) -> str:
        return f"{outward} {self.rng.randrange(1, 10)}{self.rng.choice(INWARD_LETTERS)}{self.rng.choice(INWARD_LETTERS)}"

    def person(
        self,
        role: PersonRole,
        surname: str,
        age_years: int,
        address: Address,
        taken: frozenset[str] = frozenset(),
    ) -> PersonDetails:
        """Someone in a family; `taken`: first names their brothers and sisters have."""
        sex = self.rng.choice("MF")
        names = FIRST_NAMES_M if sex == "M" else FIRST_NAMES_F
        first = self.rng.choice([name for name in names if name not in taken] or names)
        born = self.end - timedelta(days=age_years * 365 + self.rng.randrange(0, 365))
        child = role in (PersonRole.SUBJECT_CHILD, PersonRole.SIBLING)
        return PersonDetails(
            role=role,
            given_names=first,
            family_name=surname,
            date_of_birth=born,
            sex=sex,
            address=address,
            nhs_number=self.nhs_number() if self.rng.random() < (0.8 if child else 0.5) else "",
            upn=self.upn() if child and 4 <= age_years <= 16 and self.rng.random() < 0.6 else "",
        )

    def family(self) -> Family:
        surname = self.rng.choice(SURNAMES)
        town, outward = self.rng.choice(TOWNS)
        address = Address(
            line1=f"{self.rng.randrange(1, 180)} {self.rng.choice(STREETS)}",
            town=town,
            postcode=self.postcode(outward),
        )
        children: list[PersonDetails] = []
        for _ in range(self.rng.choice([1, 1, 2, 2, 2, 3, 3, 4])):
            taken = frozenset(child.given_names for child in children)
            children.append(
                self.person(PersonRole.SIBLING, surname, self.rng.randrange(0, 16), address, taken)
            )
        parents = [
            self.person(PersonRole.PARENT_CARER, surname, self.rng.randrange(22, 50), address)
        ]
        if self.rng.random() < 0.5:
            partner_surname = surname if self.rng.random() < 0.6 else self.rng.choice(SURNAMES)
            parents.append(
                self.person(
                    PersonRole.PARENT_CARER, partner_surname, self.rng.randrange(22, 55), address
                )
            )
        return Family(surname, address, children, parents)

    def family_for_contact(self, day: date) -> Family:
        # About a fifth of contacts are about children already known (re-referrals).
        if self.families and self.rng.random() < 0.22:
            known = self.rng.choice(self.families)
            if all(
                child.date_of_birth and (day - child.date_of_birth).days < 17 * 365
                for child in known.children
            ):
                return known
        family = self.family()
        self.families.append(family)
        return family

    def weighted(self, pairs: list[tuple[str, int]]) -> str:
        return self.rng.choices([code for code, _ in pairs], weights=[w for _, w in pairs])[0]

    def arrival(self, day: date) -> datetime:
        """One contact's arrival time on `day`, from the sources' hourly patterns weighted
        by their shares (for bulk loaders such as bench/contact_list.py; the seeder draws
        whole days with openmash.demo.arrivals.arrivals_on)."""
        pattern = self.rng.choices(
            ARRIVAL_PATTERNS, weights=[each.weekday_share for each in ARRIVAL_PATTERNS]
        )[0]
        hour = self.rng.choices(range(24), weights=pattern.hours)[0]
        return datetime.combine(day, time(hour, self.rng.randrange(60)), tzinfo=LONDON)


class DemoDataOneHolderEach(DemoData):
    """The fast path's demo people: as DemoData's, but no NHS number or UPN is drawn
    twice. Years of demo children would otherwise share test NHS numbers (there are
    under a million) by chance, and the services would have recorded each pair as an
    identifier conflict for a screener; the fast path finds none."""

    def __init__(self, seed: int, end: date) -> None:
        super().__init__(seed, end)
        self.drawn: set[str] = set()

    def _once(self, draw: Callable[[], str]) -> str:
        while True:
            value = draw()
            if value not in self.drawn:
                self.drawn.add(value)
                return value

    def nhs_number(self) -> str:
        return self._once(super().nhs_number)

    def upn(self) -> str:
        return self._once(super().upn)


# How many of the latest families the fast path's agency index feeds know.
FAST_FEED_FAMILIES = 3000


def contact_submission(
    data: DemoData,
    received_at: datetime,
    source: str,
    users: dict[str, User],
    agencies: dict[str, Agency],
    police_token: ApiToken,
) -> tuple[ContactSubmission, Actor, Family, datetime]:
    """One demo contact as its referrer sends it: what they submit, who submits it (the
    police case system's token, the school's safeguarding lead, or a screener taking a
    call) and when it is recorded. Both the services path and the fast path
    (openmash.demo.fast) load these."""
    rng = data.rng

    family = data.family_for_contact(received_at.date())
    factors = sorted({data.weighted(FACTORS) for _ in range(rng.choice([1, 1, 2, 2, 3]))})
    subject_count = 1 if rng.random() < 0.6 else len(family.children)
    people = []
    for index, child in enumerate(family.children):
        role = PersonRole.SUBJECT_CHILD if index < subject_count else PersonRole.SIBLING
        people.append(PersonDetails(**{**child.__dict__, "role": role}))
    people += family.parents
    if "3B" in factors and rng.random() < 0.4:
        people.append(
            data.person(
                PersonRole.ALLEGED_HARM, rng.choice(SURNAMES), rng.randrange(20, 50), Address()
            )
        )
    subject = people[0]
    born = subject.date_of_birth
    age = (received_at.date() - born).days // 365 if born else None
    about = rng.choice(
        [
            f"About {subject.given_names} ({age}).",
            f"{subject.given_names} {subject.family_name}, aged {age}.",
            f"Re {subject.given_names}, {age}:",
            "",
        ]
    )
    description = " ".join(
        [about]
        + [
            DESCRIPTIONS.get(code, "Concerns raised about the child's welfare at home.")
            for code in factors
        ]
    ).strip()
    immediate = rng.random() < 0.08
    consent = rng.choices(list(ConsentStatus.values), weights=[55, 35, 10])[0]
    submission = ContactSubmission(
        channel=Channel.PHONE,
        received_at=received_at,
        people=people,
        concerns=ConcernDetails(
            factor_codes=factors,
            description=description,
            immediate_risk=immediate,
            referrer_level_of_need=rng.choice([None, 2, 2, 3, 3, 4]),
        ),
        consent=ConsentDetails(
            status=consent,
            reason=""
            if consent == ConsentStatus.GIVEN
            else "Seeking consent could place the child at greater risk",
            lawful_basis=LawfulBasis.LAW_ENFORCEMENT_SAFEGUARDING
            if source == "6"
            else LawfulBasis.PUBLIC_TASK_SAFEGUARDING,
        ),
    )
    recorded_at = received_at + timedelta(minutes=rng.randrange(1, 10))
    if source == "6":
        actor = Actor(token=police_token, request_id="seed_demo")
        submission.channel = Channel.API
        submission.referrer = ReferrerDetails(
            name=f"PC {rng.choice(FIRST_NAMES_M + FIRST_NAMES_F)} {rng.choice(SURNAMES)}",
            role="Police officer",
            organisation=agencies["police"].name,
            email="mash.referrals@police.demo-county.invalid",
            source_code="6",
        )
    elif source == "2A":
        school = users["school.referrer"]
        actor = Actor(user=school, request_id="seed_demo")
        submission.channel = Channel.PORTAL
        submission.referrer = ReferrerDetails(
            name=school.display_name,
            role=school.job_title,
            organisation=agencies["riverside-primary"].name,
            email=school.email,
            source_code="2A",
        )
    else:
        actor = Actor(user=users["screener"], request_id="seed_demo")
        submission.channel = rng.choice(
            [Channel.PHONE, Channel.PHONE, Channel.EMAIL, Channel.OTHER]
        )
        anonymous = source == "9"
        submission.referrer = ReferrerDetails(
            anonymous=anonymous,
            name=""
            if anonymous
            else f"{rng.choice(FIRST_NAMES_F + FIRST_NAMES_M)} {rng.choice(SURNAMES)}",
            role="" if anonymous else "Professional",
            phone="" if anonymous else f"01632 {rng.randrange(100000, 999999)}",
            source_code=source,
        )
    return submission, actor, family, recorded_at


class Command(BaseCommand):
    help = "Load demo agencies, users for every role and months of realistic contacts."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--days", type=int, default=90, help="Days of contacts, ending today")
        parser.add_argument(
            "--per-day", type=float, default=20.0, help="Average contacts a weekday"
        )
        parser.add_argument("--seed", type=int, default=2026)
        parser.add_argument("--if-empty", action="store_true", help="Do nothing if contacts exist")
        parser.add_argument(
            "--fast",
            action="store_true",
            help="Write the contacts' histories in bulk (openmash.demo.fast): years in minutes",
        )

    def handle(
        self,
        *args: Any,
        days: int,
        per_day: float,
        seed: int,
        if_empty: bool,
        fast: bool = False,
        **options: Any,
    ) -> None:
        self.verbosity = int(options.get("verbosity", 1))
        if if_empty and Contact.objects.exists():
            self.stdout.write("Demo data already loaded.")
            self.demo_second_factors(User.objects.filter(username__in=[u[0] for u in USERS]))
            self.print_logins()
            return
        agencies, users, police_token = self.people_and_agencies()
        start = timezone.localdate() - timedelta(days=days)
        if fast:
            self.fast(days, per_day, seed, start, agencies, users, police_token)
            return
        data = DemoData(seed, start)
        # The MASH's work on each contact, as far as the time since it arrived allows.
        mash = DemoWorkflow(random.Random(seed + 1), users, agencies, timezone.now())
        created = 0
        now = timezone.now()
        closed_days = closed_days_for_area()
        for offset in range(1, days + 1):
            day = start + timedelta(days=offset)
            # Today's contacts are those that have arrived so far.
            arrivals = [
                arrival
                for arrival in arrivals_on(data.rng, day, per_day, closed_days)
                if arrival.received_at < now - timedelta(minutes=15)
            ]
            with transaction.atomic():
                for arrival in arrivals:
                    contact, family = self.one_contact(
                        data, arrival.received_at, arrival.source, users, agencies, police_token
                    )
                    mash.progress(contact, id(family))
                    created += 1
            if offset % 30 == 29:
                self.stdout.write(f"  {created} contacts up to {day:%d %b %Y}")
        self.stdout.write(self.style.SUCCESS(f"Loaded {created} contacts over {days} days."))
        self.after_the_contacts(data, agencies, users)

    def fast(
        self,
        days: int,
        per_day: float,
        seed: int,
        start: date,
        agencies: dict[str, Agency],
        users: dict[str, User],
        police_token: ApiToken,
    ) -> None:
        """The same arrivals and contacts as the services path, each contact's history
        planned in memory and written in bulk (openmash.demo.fast); then the facts the
        indicators read, rebuilt in a few set-based statements."""
        began = clock.monotonic()
        data = DemoDataOneHolderEach(seed, start)
        now = timezone.now()
        loader = FastLoader(rng=random.Random(seed + 1), users=users, agencies=agencies, now=now)
        closed_days = closed_days_for_area()
        for offset in range(1, days + 1):
            day = start + timedelta(days=offset)
            for arrival in arrivals_on(data.rng, day, per_day, closed_days):
                if arrival.received_at >= now - timedelta(minutes=15):
                    continue
                submission, actor, family, recorded_at = contact_submission(
                    data, arrival.received_at, arrival.source, users, agencies, police_token
                )
                loader.add(
                    submission=submission,
                    actor=actor,
                    recorded_at=recorded_at,
                    family_key=id(family),
                )
            if offset % 365 == 0:
                self.stdout.write(f"  {loader.written:,} contacts up to {day:%d %b %Y}")
        created = loader.finish()
        loaded = clock.monotonic()
        if self.verbosity > 1:
            for name, seconds in sorted(loader.seconds.items(), key=lambda item: -item[1]):
                self.stdout.write(f"  {name}: {seconds:.1f} s")
        facts = facts_rebuild()
        self.stdout.write(
            self.style.SUCCESS(
                f"Loaded {created:,} contacts over {days} days in {loaded - began:.0f} s "
                f"(fast path); facts of {facts:,} contacts rebuilt in "
                f"{clock.monotonic() - loaded:.0f} s."
            )
        )
        # The agency feeds know the families of the last months (all of them would be
        # hundreds of thousands of index records over years).
        data.families = data.families[-FAST_FEED_FAMILIES:]
        self.after_the_contacts(data, agencies, users)

    def after_the_contacts(
        self, data: "DemoData", agencies: dict[str, Agency], users: dict[str, User]
    ) -> None:
        # Set up after the history is loaded, so the demo's past contacts are not
        # acknowledged as out of hours now; new contacts made out of hours are.
        EmergencyDutyTeam.objects.get_or_create(
            defaults={
                "name": "Demo County emergency duty team",
                "phone": "01632 960 999",
                "email": "edt@demo-county.invalid",
            }
        )
        feeds = self.agency_feeds(data, agencies, users)
        self.stdout.write(
            self.style.SUCCESS(
                "Loaded agency index feeds: "
                + ", ".join(f"{name} {count}" for name, count in feeds.items())
                + "; open contacts matched against them."
            )
        )
        self.print_logins()

    def agency_feeds(
        self, data: "DemoData", agencies: dict[str, Agency], users: dict[str, User]
    ) -> dict[str, int]:
        """Police and health index feeds about some of the demo families (with the
        variations real extracts have) and people the MASH has never heard of, imported
        through the real feed service by each agency's researcher; then the open
        contacts are matched again, so screeners see who already knows the children."""
        rng = random.Random(data.rng.random())
        police: list[dict[str, object]] = []
        health: list[dict[str, object]] = []
        for number, family in enumerate(data.families):
            if rng.random() < 0.3:
                for person in family.parents:
                    police.append(
                        self.feed_record(
                            rng,
                            f"PN-{number:05d}-{len(police)}",
                            person,
                            f"{rng.randint(1, 5)} domestic abuse call-outs, latest "
                            f"{data.end - timedelta(days=rng.randint(5, 300)):%Y-%m-%d}; "
                            f"see case ref DA/{rng.randint(1000, 9999)}",
                        )
                    )
            if rng.random() < 0.5:
                for person in family.children:
                    health.append(
                        self.feed_record(
                            rng,
                            f"NHS-{number:05d}-{len(health)}",
                            person,
                            rng.choice(
                                [
                                    "Health visitor: missed 3 appointments; see SystmOne record",
                                    "A&E attendance, fracture; see ED ref",
                                    "School nurse: weight concerns; see care plan",
                                    "GP: registered; no concerns recorded",
                                ]
                            ),
                        )
                    )
        for feed in (police, health):
            for extra in range(len(feed) // 2):
                stranger = data.family()
                feed.append(
                    self.feed_record(
                        rng, f"X-{len(feed)}-{extra}", stranger.parents[0], "Known; see case ref"
                    )
                )
        imported = {}
        for slug, researcher, records in (
            ("police", "police.researcher", police),
            ("health", "health.researcher", health),
        ):
            if not records:
                continue
            result = index_import_apply(
                actor=Actor(user=users[researcher]),
                agency=agencies[slug],
                mode="replace",
                rows=feed_from_records(records),
                file_name=f"{slug}-demo-extract.csv",
            )
            imported[agencies[slug].name] = result.added
        for contact_id in Contact.objects.filter(state__in=OPEN_STATES).values_list(
            "id", flat=True
        ):
            links_suggest_for_contact(contact_id=contact_id)
        return imported

    @staticmethod
    def feed_record(
        rng: random.Random, source_id: str, person: PersonDetails, involvement: str
    ) -> dict[str, object]:
        """An agency's record of a person: sometimes a nickname, a typing error or the
        day and month the other way round, as agencies' own systems have them."""
        given = person.given_names
        roll = rng.random()
        if roll < 0.1 and len(given) > 3:
            at = rng.randrange(1, len(given) - 1)
            given = given[:at] + given[at + 1] + given[at] + given[at + 2 :]
        born = person.date_of_birth
        if born and rng.random() < 0.05 and born.day <= 12 and born.day != born.month:
            born = born.replace(day=born.month, month=born.day)
        address = person.address
        return {
            "source_id": source_id,
            "given_names": given,
            "family_name": person.family_name,
            "date_of_birth": born.isoformat() if born else "",
            "sex": person.sex,
            "address": f"{address.line1}, {address.town}" if address else "",
            "postcode": address.postcode if address else "",
            "nhs_number": person.nhs_number if rng.random() < 0.7 else "",
            "upn": "",
            "involvement": involvement,
        }

    def people_and_agencies(self) -> tuple[dict[str, Agency], dict[str, User], ApiToken]:
        agencies = {agency.slug: agency for agency in Agency.objects.all()}
        for name, slug, agency_type, partner, source in AGENCIES:
            if slug not in agencies:
                agencies[slug] = agency_create(
                    actor=None,
                    name=name,
                    slug=slug,
                    agency_type=agency_type,
                    is_mash_partner=partner,
                    default_referral_source=source,
                )
        users = {user.username: user for user in User.objects.all()}
        for username, first, last, slug, roles, job in USERS:
            if username not in users:
                users[username] = user_create(
                    actor=None,
                    username=username,
                    password=DEMO_PASSWORD,
                    agency=agencies[slug],
                    roles=roles,
                    first_name=first,
                    last_name=last,
                    job_title=job,
                    email=f"{username}@demo-county.invalid",
                )
        self.demo_second_factors(users.values())
        token = ApiToken.objects.filter(
            agency=agencies["police"], name="Police case system (demo)"
        ).first()
        if token is None:
            token, _ = api_token_issue(
                agency=agencies["police"], name="Police case system (demo)", issued_by="seed_demo"
            )
        return agencies, users, token

    def one_contact(
        self,
        data: DemoData,
        received_at: datetime,
        source: str,
        users: dict[str, User],
        agencies: dict[str, Agency],
        police_token: ApiToken,
    ) -> tuple[Contact, Family]:
        submission, actor, family, recorded_at = contact_submission(
            data, received_at, source, users, agencies, police_token
        )
        contact, _ = contact_create(actor=actor, submission=submission, now=recorded_at)
        return contact, family

    @staticmethod
    def demo_second_factors(users: Any) -> None:
        """Every demo user has an authenticator app set up already, with the published
        demonstration secret (openmash/two_factor/codes.py), so that anyone trying the
        demo can sign in: `manage.py demo_code <username>` shows the code."""
        for user in users:
            if not two_factor_has_factor(user=user):
                two_factor_totp_preenrol(
                    actor=Actor(system="demo data"), user=user, key=DEMO_TOTP_KEY
                )

    def print_logins(self) -> None:
        self.stdout.write("\nDemo logins (password for all: " + DEMO_PASSWORD + "):")
        for username, _first, _last, _slug, roles, job in USERS:
            self.stdout.write(
                f"  {username:<22} {', '.join(role.label for role in roles):<24} {job}"
            )
        self.stdout.write(
            "After the password, OpenMASH asks for a code from an authenticator app. Get a\n"
            "demo user's current code with: .venv/bin/python manage.py demo_code <username>\n"
            "(or add the demonstration secret GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ to an app)."
        )
