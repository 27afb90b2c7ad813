"""What demo staff write: rating rationales, agency findings, decisions, closures and
strategy minutes, each composed from the case's own facts (who is in it, the concerns,
who referred, what each agency knew, the family's earlier contacts) in one of several
phrasings, so no two cases read alike. Deterministic for the random generator given.

Fictional text for fictional families; nothing here is used outside the demo.
"""

import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

# A short phrase for each CIN factor, as a screener writes it.
FACTOR_PHRASES = {
    "1A": "the young person's alcohol use",
    "1B": "a parent's drinking",
    "1C": "drinking by another adult in the household",
    "2A": "the young person's drug use",
    "2B": "a parent's drug use",
    "2C": "drug use by another adult in the home",
    "3A": "domestic abuse the child has been caught up in",
    "3B": "domestic abuse between the adults",
    "3C": "domestic abuse involving another adult in the household",
    "4A": "the child's mental health",
    "4B": "a parent's mental health",
    "4C": "another adult's mental health",
    "5B": "a parent's learning disability",
    "6B": "a parent's illness and the care the children are giving",
    "7A": "the child's caring role",
    "10A": "repeated missing episodes",
    "11A": "signs of sexual exploitation",
    "13A": "links to a gang",
    "14A": "behaviour at school and in the community",
    "15A": "self-harm",
    "16A": "neglect",
    "17A": "emotional harm",
    "18B": "harm from another child",
    "18C": "injuries said to be caused by an adult",
    "19C": "a disclosure of sexual harm by an adult",
    "20": "other worries about the child's welfare",
    "21": "no specific factor",
    "24A": "criminal exploitation",
}

SOURCE_PHRASES = {
    "6": ["a police notification", "a police report after a call-out", "the police"],
    "2A": ["the school's safeguarding lead", "the school", "a teacher, through the DSL"],
    "2B": ["the education service", "the education welfare officer"],
    "3A": ["the GP", "the family's GP practice"],
    "3B": ["the health visitor", "the health visiting team"],
    "3C": ["the school nurse"],
    "3D": ["a community health worker"],
    "3E": ["the emergency department", "A&E staff"],
    "3F": ["a health professional", "the hospital's safeguarding team"],
    "4": ["the housing officer", "the housing provider"],
    "5A": ["adult social care", "the adults' team"],
    "5B": ["another council service"],
    "5C": ["another local authority"],
    "5D": ["the early help team", "an early help worker"],
    "7": ["probation", "the court", "a probation officer"],
    "8": ["a voluntary organisation", "the children's centre"],
    "1A": ["a relative", "a grandparent", "the child's aunt"],
    "1B": ["a neighbour", "a family friend"],
    "1C": ["the young person themselves"],
    "1D": ["a member of the public"],
    "9": ["an anonymous caller"],
    "10": ["a caller who did not say who they were"],
}

AGENCY_NAMES = {
    "police": "police",
    "health": "health",
    "education": "education",
    "probation": "probation",
}


@dataclass(frozen=True)
class Person:
    given_name: str
    family_name: str
    role: str
    age: int | None


@dataclass
class CaseFacts:
    """What the staff writing about a case know of it."""

    children: list[Person]
    adults: list[Person]
    factors: list[str]
    source: str
    immediate_risk: bool
    earlier_contacts: int = 0
    last_outcome: str = ""
    # Agency slug -> what the researcher found (one line per known person), empty if
    # nobody was known to it.
    findings: dict[str, list[str]] = field(default_factory=dict)


def age_on(born: date | None, day: date) -> int | None:
    if born is None:
        return None
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def _names(people: Sequence[Person]) -> str:
    named = [
        f"{person.given_name} ({person.age})" if person.age is not None else person.given_name
        for person in people
    ]
    if not named:
        return "the child"
    if len(named) == 1:
        return named[0]
    return ", ".join(named[:-1]) + " and " + named[-1]


def _concerns(factors: Sequence[str]) -> str:
    phrases = [FACTOR_PHRASES.get(code, "worries about the child's welfare") for code in factors]
    if len(phrases) == 1:
        return phrases[0]
    return ", ".join(phrases[:-1]) + " and " + phrases[-1]


def _source(rng: random.Random, source: str) -> str:
    return rng.choice(SOURCE_PHRASES.get(source, ["a professional"]))


def _history(rng: random.Random, facts: CaseFacts) -> str:
    if not facts.earlier_contacts:
        return rng.choice(
            [
                "No earlier contacts with the MASH.",
                "First time the family has come to the MASH.",
                "Not previously known to children's social care.",
            ]
        )
    times = {1: "once", 2: "twice"}.get(facts.earlier_contacts, f"{facts.earlier_contacts} times")
    last = f" (last time: {facts.last_outcome})" if facts.last_outcome else ""
    return rng.choice(
        [
            f"Re-referral: the family has been to the MASH {times} before{last}.",
            f"Known to the MASH: contacted {times} before{last}.",
            f"This is a repeat contact; earlier {times}{last}.",
        ]
    )


RATING_REASONS = {
    "red": [
        "Immediate risk on the referrer's account: same-day response and checks within hours.",
        "Child may not be safe tonight; red so police and health check straight away.",
        "Risk of significant harm now; rated red and the duty manager told.",
    ],
    "amber": [
        "Needs multi-agency information before a decision; no immediate risk identified.",
        "Level 3 indicators on the threshold document; agencies to check within the day.",
        "Concern is real but not immediate: amber, so the picture is complete by tomorrow.",
        "Pattern suggested but not clear; amber for checks with police, health and school.",
    ],
    "green": [
        "Lower-level needs; checks with health and education to see who can support.",
        "No indication of significant harm; green to establish who is already involved.",
        "Additional needs likely to be met with support; green checks only.",
    ],
}


def rating_rationale(rng: random.Random, facts: CaseFacts, rating: str) -> str:
    opening = rng.choice(
        [
            f"Contact from {_source(rng, facts.source)} about {_names(facts.children)}: "
            f"{_concerns(facts.factors)}.",
            f"{_names(facts.children).capitalize()}. Raised by {_source(rng, facts.source)}: "
            f"{_concerns(facts.factors)}.",
            f"Concern about {_concerns(facts.factors)} for {_names(facts.children)}, "
            f"from {_source(rng, facts.source)}.",
        ]
    )
    return f"{opening} {_history(rng, facts)} {rng.choice(RATING_REASONS[rating])}"


def closure_rationale(rng: random.Random, facts: CaseFacts, outcome: str) -> str:
    support = rng.choice(
        [
            "the school is already supporting the family",
            "the family have agreed to see their GP",
            "the parents are engaging with the health visitor",
            "a youth worker is already involved",
            "the referrer can meet the need with universal services",
        ]
    )
    ending = (
        "No further action by the MASH."
        if outcome == "nfa"
        else "Information and advice given to the referrer and the family."
    )
    return rng.choice(
        [
            f"Below threshold: {_concerns(facts.factors)} for {_names(facts.children)}, "
            f"and {support}. {ending}",
            f"{_names(facts.children).capitalize()}: no indicators of significant harm; "
            f"{support}. {ending}",
            f"Screened against the threshold document at level 1 to 2 ({_concerns(facts.factors)}); "
            f"{support}. {ending}",
        ]
    )


def allocated_worker_rationale(rng: random.Random, facts: CaseFacts, worker: str) -> str:
    return rng.choice(
        [
            f"{_names(facts.children).capitalize()} open to children's social care: passed to "
            f"{worker}, the allocated social worker.",
            f"Already allocated ({worker}); the new information about "
            f"{_concerns(facts.factors)} goes straight to them.",
            f"Open case: {worker} has the contact from {_source(rng, facts.source)} about "
            f"{_concerns(facts.factors)}.",
        ]
    )


# --- agency findings --------------------------------------------------------------------


def finding_summary(rng: random.Random, agency: str, person: Person, when: date) -> str:
    """One researcher's note of what the agency's records show about `person`."""
    name = person.given_name
    child = person.age is not None and person.age < 18
    month = f"{when:%B %Y}"
    count = rng.randint(1, 5)
    if agency == "police":
        if child:
            options = [
                f"{name} reported missing {count} time{'s' if count > 1 else ''}; "
                f"last found {month}.",
                f"{name} present at {count} domestic incident{'s' if count > 1 else ''} at "
                f"the address, the latest in {month}.",
                f"{name} recorded as a witness to an assault in {month}; no further action.",
            ]
        else:
            options = [
                f"{name}: {count} domestic abuse call-out{'s' if count > 1 else ''}, latest "
                f"{month}, DASH risk {rng.choice(['standard', 'medium', 'high'])}.",
                f"{name} arrested in {month} for {rng.choice(['criminal damage', 'common assault', 'possession'])}; "
                f"{rng.choice(['released under investigation', 'cautioned', 'no further action'])}.",
                f"{name} subject of a non-molestation order made in {month}.",
                f"{name} known for drink driving and a breach of bail in {month}.",
            ]
    elif agency == "health":
        if child:
            options = [
                f"{name} missed {count} health appointment{'s' if count > 1 else ''} since "
                f"{month}; immunisations {rng.choice(['up to date', 'incomplete'])}.",
                f"{name} seen in A&E in {month} with {rng.choice(['a head injury', 'a burn', 'a fracture', 'an ingestion'])}; "
                f"explanation {rng.choice(['consistent', 'not consistent'])} with the injury.",
                f"{name} under the school nurse for {rng.choice(['weight', 'toileting', 'anxiety'])} "
                f"since {month}.",
                f"{name} referred to CAMHS in {month}; waiting list.",
            ]
        else:
            options = [
                f"{name} under the community mental health team since {month}.",
                f"{name} seen by the GP in {month} for low mood; on medication.",
                f"{name} in treatment with drug and alcohol services since {month}.",
                f"{name} under the perinatal mental health team; last seen {month}.",
            ]
    elif agency == "education":
        attendance = rng.randint(62, 92)
        options = [
            f"{name}'s attendance {attendance}% this year; late {count} times since {month}.",
            f"{name} has seemed {rng.choice(['withdrawn', 'tired', 'hungry', 'anxious'])} "
            f"since {month}, the school says.",
            f"{name} on a part-time timetable since {month}; one fixed-term suspension.",
            f"{name} has an EHC plan; the school has {count} safeguarding notes since {month}.",
        ]
    else:  # probation
        options = [
            f"{name} on licence until {when.year + 1}; domestic abuse programme.",
            f"{name} under a community order since {month}; reporting as required.",
            f"{name} released from custody in {month}; MAPPA level {rng.choice([1, 2])}.",
        ]
    return rng.choice(options)


RISK_INDICATORS = {
    "police": ["Domestic abuse", "Violence", "Weapons", "Substance misuse", ""],
    "health": ["Parental mental health", "Substance misuse", "Missed health care", ""],
    "education": ["Neglect", "Poor attendance", "Emotional wellbeing", ""],
    "probation": ["Domestic abuse", "Violence", ""],
}


# --- decisions --------------------------------------------------------------------------


OUTCOME_REASONS = {
    "early_help": [
        "Needs can be met by early help with the family's agreement.",
        "Level 2: step down to early help for a family support worker.",
        "Additional needs, no significant harm: early help assessment offered.",
    ],
    "assessment_s17": [
        "Complex needs: a child and family assessment under section 17.",
        "Level 3: the child may be in need; social work assessment agreed.",
        "Needs a social worker's assessment to understand the impact on the children.",
    ],
    "strategy_s47": [
        "Reasonable cause to suspect significant harm: strategy discussion today.",
        "Threshold for a strategy discussion met; police and health to attend.",
        "Level 4: section 47 threshold met, strategy discussion convened.",
    ],
    "information_advice": [
        "No role for the MASH beyond advice; the referrer and family signposted.",
        "Universal services can meet the need: information and advice given.",
    ],
    "police_action": [
        "A criminal matter for the police; no social care role at present.",
        "Police to act on the offence; children's needs met at home.",
    ],
    "transfer_la": [
        "The family has moved out of the county: contact sent to their new authority.",
        "Lives in the neighbouring authority; transferred with the checks.",
    ],
    "nfa": [
        "No further action: concerns not substantiated by the checks.",
    ],
}


def _what_agencies_knew(rng: random.Random, facts: CaseFacts) -> str:
    known = [slug for slug, lines in facts.findings.items() if lines]
    not_known = [slug for slug, lines in facts.findings.items() if not lines]
    parts = []
    for slug in known:
        lines = facts.findings[slug]
        detail = lines[0].rstrip(".")
        more = f" and {len(lines) - 1} more" if len(lines) > 1 else ""
        parts.append(f"{AGENCY_NAMES.get(slug, slug).capitalize()}: {detail}{more}.")
    if not_known:
        names = ", ".join(AGENCY_NAMES.get(slug, slug) for slug in not_known)
        parts.append(
            rng.choice(
                [
                    f"Not known to {names}.",
                    f"Nothing held by {names}.",
                    f"{names.capitalize()}: no record.",
                ]
            )
        )
    if not parts:
        return "No agency information yet."
    return " ".join(parts)


def decision_rationale(rng: random.Random, facts: CaseFacts, outcome: str) -> str:
    opening = rng.choice(
        [
            f"{_names(facts.children).capitalize()}: {_concerns(facts.factors)}.",
            f"Contact from {_source(rng, facts.source)} about {_concerns(facts.factors)} "
            f"for {_names(facts.children)}.",
            f"Decision for {_names(facts.children)} ({_concerns(facts.factors)}).",
        ]
    )
    return (
        f"{opening} {_what_agencies_knew(rng, facts)} "
        f"{_history(rng, facts)} {rng.choice(OUTCOME_REASONS.get(outcome, OUTCOME_REASONS['nfa']))}"
    )


def decision_summary(rng: random.Random, facts: CaseFacts, outcome: str) -> str:
    focus = rng.choice(
        [
            f"Please see {_names(facts.children)} and ask about {_concerns(facts.factors)}.",
            f"Start with {_concerns(facts.factors)}; what each agency shared is attached.",
            f"The main worry is {_concerns(facts.factors)}.",
        ]
    )
    adults = [person.given_name for person in facts.adults]
    household = (
        f" Adults in the household: {', '.join(adults)}." if adults and rng.random() < 0.7 else ""
    )
    return f"{focus}{household} Check the risks to workers before visiting."


def strategy_minutes(rng: random.Random, facts: CaseFacts, agencies: Sequence[str]) -> str:
    present = ", ".join(agencies)
    return rng.choice(
        [
            f"Present: {present}. {_what_agencies_knew(rng, facts)} Agreed that "
            f"{_concerns(facts.factors)} for {_names(facts.children)} meets the section 47 threshold.",
            f"Agencies ({present}) shared what they hold on {_names(facts.children)}. "
            f"Discussed {_concerns(facts.factors)} and the children's safety tonight.",
            f"Strategy discussion for {_names(facts.children)}: {_concerns(facts.factors)}. "
            f"{_what_agencies_knew(rng, facts)}",
        ]
    )
