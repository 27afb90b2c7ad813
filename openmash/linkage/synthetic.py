"""Synthetic UK people and households, with the truth kept, for tests and benchmarks.

Deterministic for a seed. Households have parents and children (siblings, twins with
different first names, step-families with a second surname), people move house, mothers
change surname, and each real person appears in several records with the noise real
records have: nicknames, typing errors, names the other way round, day/month swaps, a
different postcode after a move, missing NHS numbers and UPNs. Every record keeps
`truth_id` (the real person) and `household_id`, so accuracy can be measured.

The hard cases (issue 11), which a matcher that keeps families apart and still finds the
child must get right: twins whose first names are a short edit or a shared nickname apart
(Generator.near_twin_name); a child with the first name of the parent of the same sex
(records with and without a date of birth); a surname changed together with a move (the
records at the old address carry the old surname); dates of birth missing, a year out, a
month out or mistyped; and first-name spellings that no nickname table holds
(Generator.spelling_variant). `Generator.people` keeps each true person, with their role
in the household, so false links can be counted by kind (twins, parent and child,
siblings).

Pure: no Django imports.
"""

import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta

from openmash.people.identifiers import nhs_number_check_digit, upn_check_letter
from openmash.people.standardise import NICKNAMES

BOYS = [
    "oliver",
    "george",
    "harry",
    "noah",
    "jack",
    "leo",
    "arthur",
    "muhammad",
    "oscar",
    "charlie",
    "jacob",
    "thomas",
    "henry",
    "william",
    "freddie",
    "alfie",
    "theo",
    "archie",
    "joshua",
    "james",
    "isaac",
    "lucas",
    "ethan",
    "edward",
    "samuel",
    "joseph",
    "daniel",
    "adam",
    "reuben",
    "logan",
    "harrison",
    "benjamin",
    "mason",
    "max",
    "sebastian",
    "elijah",
    "alexander",
    "louie",
    "dylan",
    "tommy",
    "zachary",
    "finley",
    "ronnie",
    "hugo",
    "albie",
    "rory",
    "toby",
    "frederick",
    "michael",
    "david",
    "robert",
    "christopher",
    "matthew",
    "andrew",
    "anthony",
    "kenneth",
    "richard",
    "peter",
    "stephen",
    "nicholas",
    "patrick",
    "ryan",
    "kyle",
    "jordan",
    "connor",
    "liam",
    "callum",
    "kieran",
    "aaron",
    "mohammed",
    "ibrahim",
    "yusuf",
    "ali",
    "omar",
    "hamza",
    "ayaan",
    "arjun",
    "rohan",
    "kai",
    "nathan",
]
GIRLS = [
    "olivia",
    "amelia",
    "isla",
    "ava",
    "mia",
    "ivy",
    "lily",
    "isabella",
    "rosie",
    "sophia",
    "grace",
    "freya",
    "florence",
    "willow",
    "evie",
    "ella",
    "poppy",
    "charlotte",
    "emily",
    "sienna",
    "elsie",
    "daisy",
    "harper",
    "luna",
    "alice",
    "matilda",
    "sophie",
    "ruby",
    "phoebe",
    "evelyn",
    "margaret",
    "elizabeth",
    "mary",
    "sarah",
    "susan",
    "victoria",
    "jennifer",
    "katherine",
    "catherine",
    "deborah",
    "patricia",
    "samantha",
    "joanne",
    "jacqueline",
    "abigail",
    "natalie",
    "eleanor",
    "gillian",
    "kimberley",
    "bethany",
    "chloe",
    "jessica",
    "holly",
    "megan",
    "lauren",
    "hannah",
    "leah",
    "amber",
    "aisha",
    "fatima",
    "zara",
    "maryam",
    "hafsa",
    "priya",
    "anaya",
    "nadia",
    "chantelle",
    "kayleigh",
    "jade",
    "shannon",
    "courtney",
    "tegan",
]
SURNAMES = [
    "smith",
    "jones",
    "williams",
    "taylor",
    "brown",
    "davies",
    "evans",
    "wilson",
    "thomas",
    "johnson",
    "roberts",
    "robinson",
    "thompson",
    "wright",
    "walker",
    "white",
    "edwards",
    "hughes",
    "green",
    "hall",
    "lewis",
    "harris",
    "clarke",
    "patel",
    "jackson",
    "wood",
    "turner",
    "martin",
    "cooper",
    "hill",
    "ward",
    "morris",
    "moore",
    "clark",
    "lee",
    "king",
    "baker",
    "harrison",
    "morgan",
    "allen",
    "james",
    "scott",
    "phillips",
    "watson",
    "davis",
    "parker",
    "price",
    "bennett",
    "young",
    "griffiths",
    "mitchell",
    "kelly",
    "cook",
    "carter",
    "richardson",
    "bailey",
    "collins",
    "bell",
    "shaw",
    "murphy",
    "miller",
    "cox",
    "richards",
    "khan",
    "marshall",
    "anderson",
    "simpson",
    "ellis",
    "adams",
    "singh",
    "begum",
    "wilkinson",
    "foster",
    "chapman",
    "powell",
    "webb",
    "rogers",
    "gray",
    "mason",
    "ali",
    "hunt",
    "hussain",
    "campbell",
    "matthews",
    "owen",
    "palmer",
    "holmes",
    "mills",
    "barnes",
    "knight",
    "lloyd",
    "butler",
    "russell",
    "barker",
    "fisher",
    "stevens",
    "jenkins",
    "murray",
    "dixon",
    "harvey",
    "graham",
    "pearson",
    "ahmed",
    "fletcher",
    "walsh",
    "kaur",
    "gibson",
    "howard",
    "andrews",
    "stewart",
    "elliott",
    "reynolds",
    "saunders",
    "payne",
    "fox",
    "ford",
    "pearce",
    "day",
    "brooks",
    "west",
    "lawrence",
    "cole",
    "atkinson",
    "bradley",
    "spencer",
    "gill",
    "dawson",
    "ball",
    "burton",
    "obrien",
    "watts",
    "rose",
    "booth",
    "perry",
    "ryan",
    "grant",
    "wells",
    "armstrong",
    "francis",
    "rees",
    "hayes",
    "hart",
    "hudson",
    "newman",
    "barrett",
    "webster",
    "hunter",
    "gregory",
    "carr",
    "lowe",
    "page",
    "marsh",
    "smyth",
    "nowak",
    "kowalski",
    "okafor",
    "mensah",
    "osei",
]
AREAS = [
    "LS",
    "M",
    "B",
    "BD",
    "S",
    "NE",
    "L",
    "SW",
    "SE",
    "E",
    "N",
    "CR",
    "BS",
    "CF",
    "NG",
    "LE",
    "HU",
    "SO",
    "PO",
    "WF",
    "HX",
    "DN",
    "YO",
    "TS",
    "DL",
]
INWARD_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"
LETTERS = "abcdefghijklmnopqrstuvwxyz"
NICKNAMES_OF: dict[str, list[str]] = {}
for _nick, _formals in NICKNAMES.items():
    for _formal in _formals:
        NICKNAMES_OF.setdefault(_formal, []).append(_nick)


@dataclass
class TruePerson:
    truth_id: int
    household_id: int
    given: str
    family: str
    sex: str
    dob: date
    postcode: str
    nhs_number: str
    upn: str
    # Another surname the person is also recorded under (before marriage, a step-family).
    other_family: str = ""
    # A previous address: some records still have it.
    old_postcode: str = ""
    middle: str = ""
    # "parent" or "child".
    role: str = "child"
    # A child with the first name of the parent of the same sex.
    named_after_parent: bool = False


@dataclass
class Household:
    household_id: int
    members: list[TruePerson] = field(default_factory=list)


def _title(name: str) -> str:
    return "-".join(part.capitalize() for part in name.split("-"))


def _different_enough(name: str, others: list[str]) -> bool:
    """Household members' first names, and their nicknames, never start with the same
    letter and are more than three letters apart, so that one typing error cannot make
    them similar: twins named Jack and Jake would be indistinguishable from a typing
    error in any model, and a person must decide."""
    forms = {name, *NICKNAMES_OF.get(name, ())}
    for other in others:
        for first in forms:
            for second in {other, *NICKNAMES_OF.get(other, ())}:
                if first[0] == second[0] or _edits(first, second) <= 3:
                    return False
    return True


def _edits(first: str, second: str) -> int:
    from openmash.linkage.comparisons import levenshtein

    return levenshtein(first, second)


class Generator:
    """Seeded source of households and their noisy records."""

    def __init__(self, seed: int = 1) -> None:
        self.random = random.Random(seed)
        self.next_truth = 0
        self.next_household = 0
        self.next_record = 0
        self.used_nhs: set[str] = set()
        self.used_upn: set[str] = set()
        self.people: dict[int, TruePerson] = {}

    # -- true people -----------------------------------------------------------------
    def postcode(self) -> str:
        rnd = self.random
        area = rnd.choice(AREAS)
        inward = f"{rnd.randint(1, 9)}{rnd.choice(INWARD_LETTERS)}{rnd.choice(INWARD_LETTERS)}"
        return f"{area}{rnd.randint(1, 19)} {inward}"

    def nhs_number(self) -> str:
        while True:
            first_nine = f"{self.random.randint(400_000_000, 799_999_999)}"
            check = nhs_number_check_digit(first_nine)
            if check is not None and (number := f"{first_nine}{check}") not in self.used_nhs:
                self.used_nhs.add(number)
                return number

    def upn(self) -> str:
        while True:
            body = f"{self.random.randint(10**11, 10**12 - 1)}"
            number = f"{upn_check_letter(body)}{body}"
            if number not in self.used_upn:
                self.used_upn.add(number)
                return number

    def dob_between(self, first_year: int, last_year: int) -> date:
        start = date(first_year, 1, 1)
        return start + timedelta(days=self.random.randrange((last_year - first_year + 1) * 365))

    def given_name(self, sex: str, taken: list[str]) -> str:
        names = BOYS if sex == "M" else GIRLS
        for _ in range(200):
            name = self.random.choice(names)
            if _different_enough(name, taken):
                return name
        return self.random.choice(names)

    def person(
        self,
        household: Household,
        *,
        sex: str,
        family: str,
        dob: date,
        postcode: str,
        child: bool,
        given: str = "",
    ) -> TruePerson:
        rnd = self.random
        taken = [member.given for member in household.members]
        self.next_truth += 1
        person = TruePerson(
            truth_id=self.next_truth,
            household_id=household.household_id,
            given=given or self.given_name(sex, taken),
            family=family,
            sex=sex,
            dob=dob,
            postcode=postcode,
            nhs_number=self.nhs_number() if rnd.random() < 0.93 else "",
            upn=self.upn() if child and dob.year <= 2021 and rnd.random() < 0.8 else "",
            middle=self.given_name(sex, []) if rnd.random() < 0.3 else "",
            role="child" if child else "parent",
        )
        household.members.append(person)
        self.people[person.truth_id] = person
        return person

    def household(self) -> Household:
        rnd = self.random
        self.next_household += 1
        household = Household(self.next_household)
        family = rnd.choice(SURNAMES)
        postcode = self.postcode()
        old_postcode = ""
        if rnd.random() < 0.25:  # moved: often nearby, within the same outward code
            old_postcode = self.postcode()
            if rnd.random() < 0.5:
                old_postcode = f"{postcode.split()[0]} {old_postcode.split()[1]}"
        mother_dob = self.dob_between(1972, 1998)
        mother = self.person(
            household, sex="F", family=family, dob=mother_dob, postcode=postcode, child=False
        )
        if rnd.random() < 0.35:
            mother.other_family = rnd.choice(SURNAMES)  # her surname before marriage
        step_family = rnd.random() < 0.15
        if rnd.random() < 0.75:
            partner_family = rnd.choice(SURNAMES) if step_family else family
            self.person(
                household,
                sex="M",
                family=partner_family,
                dob=self.dob_between(mother_dob.year - 6, min(mother_dob.year + 4, 1999)),
                postcode=postcode,
                child=False,
            )
        first_child_year = max(mother_dob.year + 18, 2004)
        children = rnd.choice((1, 1, 2, 2, 2, 3, 3, 4))
        for number in range(children):
            child_family = family
            if step_family and number == 0:
                child_family = rnd.choice(SURNAMES)  # from the mother's earlier partner
            dob = self.dob_between(first_child_year, 2025)
            sex = rnd.choice("MF")
            named_after = ""
            parents = [m for m in household.members if m.role == "parent" and m.sex == sex]
            named = [m.given for m in household.members]
            if parents and rnd.random() < 0.05 and named.count(parents[0].given) == 1:
                named_after = parents[0].given  # named after the parent of the same sex
            child = self.person(
                household,
                sex=sex,
                family=child_family,
                dob=dob,
                postcode=postcode,
                child=True,
                given=named_after,
            )
            child.named_after_parent = bool(named_after)
            if step_family and number == 0:
                child.other_family = family  # sometimes recorded under the household's
            if rnd.random() < 0.06:
                twin_sex = rnd.choice("MF")
                others = tuple(m.given for m in household.members if m is not child)
                near = self.near_twin_name(child.given, others) if rnd.random() < 0.4 else ""
                if near:
                    twin_sex = child.sex
                self.person(
                    household,
                    sex=twin_sex,
                    family=child_family,
                    dob=dob,
                    postcode=postcode,
                    child=True,
                    given=near,
                )
        for member in household.members:
            member.old_postcode = old_postcode
        return household

    def near_twin_name(self, name: str, others: tuple[str, ...] = ()) -> str:
        """A twin's first name a short edit, or a shared nickname, from the other's
        (from the name lists: never the same name, nor near the household's `others`),
        or "" when the lists hold none."""
        from openmash.people.standardise import given_name_forms

        forms = set(given_name_forms(name))
        near = sorted(
            other
            for other in {*BOYS, *GIRLS}
            if other != name
            and (_edits(other, name) <= 2 or forms & set(given_name_forms(other)) - {other})
            and _different_enough(other, list(others))
        )
        return self.random.choice(near) if near else ""

    def spelling_variant(self, name: str) -> str:
        """Another spelling of a first name that no nickname table lists (Sophia/Sofia,
        Isabel/Isobel, Katherine/Kathryn): rules of English spelling, not a table."""
        rules = (
            ("ph", "f"),
            ("f", "ph"),
            ("y", "i"),
            ("ie", "y"),
            ("ey", "y"),
            ("ck", "k"),
            ("c", "k"),
            ("k", "c"),
            ("ll", "l"),
            ("nn", "n"),
            ("th", "t"),
            ("ee", "i"),
            ("ia", "ya"),
            ("ine", "yn"),
            ("erine", "ryn"),
            ("el", "elle"),
            ("mm", "m"),
            ("u", "o"),
            ("isa", "iza"),
        )
        options = {
            name[:at] + new + name[at + len(old) :]
            for old, new in rules
            for at in range(1, len(name))
            if name.startswith(old, at)
        }
        if name.endswith("a"):
            options.add(name + "h")
        if name.endswith("ah"):
            options.add(name[:-1])
        choices = sorted(options - {name})
        return self.random.choice(choices) if choices else ""

    # -- noisy records -------------------------------------------------------------
    def typo(self, value: str) -> str:
        rnd = self.random
        if len(value) < 3:
            return value
        at = rnd.randrange(1, len(value))
        kind = rnd.randrange(4)
        if kind == 0:  # insert
            return value[:at] + rnd.choice(LETTERS) + value[at:]
        if kind == 1:  # delete
            return value[:at] + value[at + 1 :]
        if kind == 2:  # substitute
            return value[:at] + rnd.choice(LETTERS) + value[at + 1 :]
        if at >= len(value) - 1:
            at = len(value) - 2
        return value[:at] + value[at + 1] + value[at] + value[at + 2 :]  # transpose

    def record(self, person: TruePerson) -> dict[str, object]:
        rnd = self.random
        given = person.given
        if rnd.random() < 0.12 and person.given in NICKNAMES_OF:
            given = rnd.choice(NICKNAMES_OF[person.given])
        elif rnd.random() < 0.07:
            given = self.typo(given)
        elif rnd.random() < 0.04:
            given = self.spelling_variant(given) or given
        postcode = person.postcode
        roll = rnd.random()
        if person.old_postcode and roll < 0.35:
            postcode = person.old_postcode
        elif roll > 0.95:
            postcode = ""
        family = person.family
        other_names = ""
        if person.other_family and postcode == person.old_postcode and rnd.random() < 0.7:
            # Recorded at the old address under the old surname (changed with the move).
            family = person.other_family
        elif person.other_family and rnd.random() < 0.4:
            family, other_names = person.other_family, person.family
        if rnd.random() < 0.07:
            family = self.typo(family)
        if rnd.random() < 0.03:
            family = f"{family}-{rnd.choice(SURNAMES)}"
        dob: date | None = person.dob
        roll = rnd.random()
        if roll < 0.04 and person.dob.day <= 12 and person.dob.day != person.dob.month:
            dob = date(person.dob.year, person.dob.day, person.dob.month)
        elif roll < 0.07:
            dob = person.dob.replace(day=min(28, max(1, person.dob.day + rnd.choice((-1, 1)))))
        elif roll < 0.085:
            dob = person.dob.replace(
                year=person.dob.year + rnd.choice((-1, 1)), day=min(person.dob.day, 28)
            )
        elif roll < 0.095:
            month = min(12, max(1, person.dob.month + rnd.choice((-1, 1))))
            dob = person.dob.replace(month=month, day=min(person.dob.day, 28))
        elif roll < 0.105:  # a mistyped digit of the year's last two
            year = person.dob.year - person.dob.year % 10 + rnd.randrange(10)
            dob = person.dob.replace(year=year, day=min(person.dob.day, 28))
        elif roll < 0.165 or (person.named_after_parent and roll < 0.3):
            dob = None
        nhs_number = person.nhs_number if rnd.random() < 0.55 else ""
        if nhs_number and rnd.random() < 0.02:  # a mistyped digit: fails the check digit
            at = rnd.randrange(10)
            nhs_number = (
                nhs_number[:at] + str((int(nhs_number[at]) + 1) % 10) + nhs_number[at + 1 :]
            )
        upn = person.upn if rnd.random() < 0.5 else ""
        roll = rnd.random()
        sex = person.sex if roll < 0.96 else ""
        if roll > 0.995:  # recorded wrongly
            sex = "F" if person.sex == "M" else "M"
        given_names = _title(given)
        if person.middle and rnd.random() < 0.5:
            given_names = f"{given_names} {_title(person.middle)}"
        family_name = _title(family)
        if rnd.random() < 0.02:  # recorded surname first
            given_names, family_name = family_name, _title(given)
        self.next_record += 1
        return {
            "record_id": f"R{self.next_record:07d}",
            "truth_id": person.truth_id,
            "household_id": person.household_id,
            "given_names": given_names,
            "family_name": family_name,
            "other_names": _title(other_names),
            "date_of_birth": dob,
            "sex": sex,
            "postcode": postcode,
            "nhs_number": nhs_number,
            "upn": upn,
        }

    def records(self, count: int) -> Iterator[dict[str, object]]:
        """About `count` records (exactly `count`), household by household."""
        made = 0
        rnd = self.random
        while made < count:
            for person in self.household().members:
                for _ in range(rnd.choice((1, 1, 2, 2, 3, 4))):
                    if made >= count:
                        return
                    made += 1
                    yield self.record(person)


def synthetic_records(count: int, *, seed: int = 1) -> list[dict[str, object]]:
    """`count` noisy records of synthetic UK households, the truth kept in each."""
    return list(Generator(seed).records(count))


def synthetic_households(count: int, *, seed: int = 1) -> list[Household]:
    """`count` true households (no noise), for tests that need the people themselves."""
    generator = Generator(seed)
    return [generator.household() for _ in range(count)]
