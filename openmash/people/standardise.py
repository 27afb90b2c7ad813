"""Standard forms of the fields people are matched on (issue 4, step 2).

Pure functions, no Django: the live matcher, the index feeds and the Splink training data
all standardise through here, so a name is compared the same way everywhere.

- Names: accents folded, case folded, apostrophes dropped, other punctuation treated as a
  space; hyphenated and double-barrelled surnames give their parts as well as the whole;
  given names also give their formal forms (Bill -> William, Lizzy -> Elizabeth) from the
  `nicknames` package's maintained dataset (shipped with the package: no network), plus
  the area's own additions in NICKNAMES below.
- A first name is "known" (given_name_known) when the `nicknames` dataset, NICKNAMES or
  the area's GIVEN_NAMES holds it: two different known names are two names, where an
  unknown one next to a known one is more likely a typing error.
- Dates of birth are kept as given. A day/month swap is something the comparisons
  consider (`day_month_swapped`), never something standardisation "fixes".
- Postcodes are normalised and split into outward code and sector.
- NHS numbers and UPNs are kept as given, and used for matching only when valid.
"""

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date
from functools import cache

from nicknames import NickNamer

from openmash.people.identifiers import (
    nhs_number_digits,
    nhs_number_is_valid,
    postcode_is_valid,
    postcode_normal,
    upn_is_valid,
    upn_normal,
)

# The area's own additions to the `nicknames` dataset: nicknames and short forms, to their
# formal names. A nickname can stand for more than one name (Alex: Alexander, Alexandra).
# The dataset has most of these; they stay so that a name the area relies on never
# depends on the dataset's next release.
NICKNAMES: dict[str, tuple[str, ...]] = {
    "abbie": ("abigail",),
    "abby": ("abigail",),
    "al": ("alan", "albert", "alexander", "alfred"),
    "alex": ("alexander", "alexandra"),
    "alfie": ("alfred",),
    "andy": ("andrew",),
    "archie": ("archibald",),
    "beth": ("elizabeth", "bethany"),
    "betty": ("elizabeth",),
    "bill": ("william",),
    "billy": ("william",),
    "bob": ("robert",),
    "bobby": ("robert",),
    "cathy": ("catherine",),
    "charlie": ("charles", "charlotte"),
    "chris": ("christopher", "christine", "christina"),
    "dan": ("daniel",),
    "danny": ("daniel",),
    "dave": ("david",),
    "debbie": ("deborah",),
    "di": ("diana", "diane"),
    "dick": ("richard",),
    "ed": ("edward", "edmund"),
    "eddie": ("edward",),
    "ellie": ("eleanor", "elizabeth", "ellen"),
    "fred": ("frederick", "alfred"),
    "freddie": ("frederick", "alfred"),
    "gill": ("gillian",),
    "harry": ("henry", "harold"),
    "jack": ("john", "jackson"),
    "jacky": ("jacqueline",),
    "jen": ("jennifer",),
    "jenny": ("jennifer",),
    "jim": ("james",),
    "jimmy": ("james",),
    "jo": ("joanne", "joanna", "josephine"),
    "joe": ("joseph",),
    "johnny": ("john",),
    "kate": ("katherine", "catherine"),
    "katie": ("katherine", "catherine"),
    "kathy": ("katherine", "kathleen"),
    "ken": ("kenneth",),
    "kim": ("kimberley",),
    "kit": ("christopher",),
    "len": ("leonard",),
    "liz": ("elizabeth",),
    "lizzie": ("elizabeth",),
    "maggie": ("margaret",),
    "matt": ("matthew",),
    "meg": ("margaret",),
    "mick": ("michael",),
    "mike": ("michael",),
    "molly": ("mary",),
    "nat": ("natalie", "nathan", "nathaniel"),
    "ned": ("edward",),
    "nick": ("nicholas",),
    "ollie": ("oliver",),
    "pat": ("patricia", "patrick"),
    "peggy": ("margaret",),
    "pete": ("peter",),
    "polly": ("mary",),
    "rob": ("robert",),
    "robbie": ("robert",),
    "ron": ("ronald",),
    "sam": ("samuel", "samantha"),
    "sally": ("sarah",),
    "sandy": ("alexander", "sandra"),
    "steve": ("stephen", "steven"),
    "sue": ("susan",),
    "ted": ("edward",),
    "teddy": ("edward",),
    "tom": ("thomas",),
    "tommy": ("thomas",),
    "tony": ("anthony",),
    "vicky": ("victoria",),
    "will": ("william",),
    "zac": ("zachary",),
}

_APOSTROPHES = re.compile("['`\u2018\u2019]")
# Letters that Unicode does not decompose into a base letter and an accent.
_UNDECOMPOSED = str.maketrans(
    {
        "ł": "l",
        "Ł": "L",
        "ø": "o",
        "Ø": "O",
        "đ": "d",
        "Đ": "D",
        "ß": "ss",
        "æ": "ae",
        "Æ": "AE",
        "œ": "oe",
        "Œ": "OE",
        "þ": "th",
        "Þ": "Th",
        "\u0131": "i",
    }
)
_NOT_LETTERS = re.compile(r"[^a-z ]+")
_SPACES = re.compile(r"\s+")
SURNAME_PARTICLES = frozenset({"de", "da", "van", "von", "der", "la", "le", "st"})


def fold(value: str) -> str:
    """Lower case ASCII letters and single spaces: 'Zoë O'Brien-Smith' -> 'zoe obrien smith'."""
    decomposed = unicodedata.normalize("NFKD", (value or "").translate(_UNDECOMPOSED))
    letters = "".join(char for char in decomposed if not unicodedata.combining(char))
    letters = _APOSTROPHES.sub("", letters.casefold())
    return _SPACES.sub(" ", _NOT_LETTERS.sub(" ", letters)).strip()


def name_standard(value: str) -> str:
    """The name as one comparable string, parts joined without spaces: 'smithjones'."""
    return fold(value).replace(" ", "")


def surname_parts(value: str) -> tuple[str, ...]:
    """The parts of a hyphenated or double-barrelled surname, particles kept with the
    next part: 'Smith-Jones' -> ('smith', 'jones'); 'van der Berg' -> ('vanderberg',)."""
    parts: list[str] = []
    pending = ""
    for word in fold(value).split(" "):
        if not word:
            continue
        if word in SURNAME_PARTICLES:
            pending += word
            continue
        parts.append(pending + word)
        pending = ""
    if pending:
        parts.append(pending)
    return tuple(parts)


@cache
def _name_variants() -> NickNamer:
    return NickNamer()


@cache
def formal_forms(first: str) -> tuple[str, ...]:
    """The formal names a (folded) first name may stand for: the area's additions first,
    then the `nicknames` dataset's, in alphabetical order; never the name itself."""
    own = NICKNAMES.get(first, ())
    dataset = sorted(
        name
        for name in (name_standard(form) for form in _name_variants().canonicals_of(first))
        if name and name != first and name not in own
    )
    return (*own, *dataset)


# The area's own additions to the given names the matcher recognises (given_name_known),
# beside every name in the `nicknames` dataset and in NICKNAMES above.
GIVEN_NAMES: frozenset[str] = frozenset()


@cache
def _known_given_names() -> frozenset[str]:
    namer = _name_variants()
    names: set[str] = set(GIVEN_NAMES)
    for lookup in (namer.nickname_lookup, namer.canonical_lookup):
        for name, others in lookup.items():
            names.add(name_standard(name))
            names.update(name_standard(other) for other in others)
    for nickname, formals in NICKNAMES.items():
        names.add(nickname)
        names.update(formals)
    names.discard("")
    return frozenset(names)


def given_name_known(first: str) -> bool:
    """Whether a (standardised) first name is a recognised given name: one the `nicknames`
    dataset, NICKNAMES or the area's GIVEN_NAMES holds. Two different recognised names
    that are not forms of each other are two names, not one name mistyped."""
    return bool(first) and first in _known_given_names()


def given_name_forms(value: str) -> tuple[str, ...]:
    """The first given name and its formal forms: 'Bill' -> ('bill', 'william')."""
    words = fold(value).split(" ")
    first = words[0] if words and words[0] else ""
    if not first:
        return ()
    return (first, *formal_forms(first))


def day_month_swapped(first: date | None, second: date | None) -> bool:
    """True when the two dates differ only by day and month changing places."""
    if first is None or second is None or first == second:
        return False
    return first.year == second.year and first.day == second.month and first.month == second.day


@dataclass(frozen=True)
class StandardPerson:
    """A person's fields in the forms the matcher compares."""

    given_name: str
    given_name_forms: tuple[str, ...]
    family_name: str
    family_name_parts: tuple[str, ...]
    other_names: tuple[str, ...] = field(default=())
    date_of_birth: date | None = None
    sex: str = ""
    postcode: str = ""
    postcode_outward: str = ""
    postcode_sector: str = ""
    # Only a valid identifier is used for matching; an invalid one is kept as given.
    nhs_number: str = ""
    upn: str = ""
    nhs_number_as_given: str = ""
    upn_as_given: str = ""


def postcode_parts(value: str) -> tuple[str, str, str]:
    """(postcode, outward code, sector) for a valid postcode, else empty strings."""
    if not value or not postcode_is_valid(value):
        return "", "", ""
    normal = postcode_normal(value)
    outward, inward = normal.split(" ")
    return normal, outward, f"{outward} {inward[0]}"


def person_standard(
    *,
    given_names: str,
    family_name: str,
    other_names: str = "",
    date_of_birth: date | None = None,
    sex: str = "",
    postcode: str = "",
    nhs_number: str = "",
    upn: str = "",
) -> StandardPerson:
    code, outward, sector = postcode_parts(postcode)
    forms = given_name_forms(given_names)
    aliases = tuple(
        alias
        for alias in (name_standard(part) for part in re.split(r"[,;/]", other_names))
        if alias
    )
    return StandardPerson(
        given_name=forms[0] if forms else "",
        given_name_forms=forms,
        family_name=name_standard(family_name),
        family_name_parts=surname_parts(family_name),
        other_names=aliases,
        date_of_birth=date_of_birth,
        sex=sex.upper() if sex.upper() in ("M", "F") else "",
        postcode=code,
        postcode_outward=outward,
        postcode_sector=sector,
        nhs_number=nhs_number_digits(nhs_number) if nhs_number_is_valid(nhs_number) else "",
        upn=upn_normal(upn) if upn_is_valid(upn) else "",
        nhs_number_as_given=nhs_number,
        upn_as_given=upn,
    )
