"""When do two records that share an NHS number or a unique pupil number name different
children? The rule of identifier conflicts (issue 11, item 1). Plain Python, no Django.

An identifier is evidence, not identity: a referrer can type a sibling's NHS number, a
school can copy the wrong pupil's UPN. So two records sharing one are the same child only
when what else they say does not clearly contradict it. They *disagree beyond a typo*
(`details_disagree`) when either:

1. **Dates of birth**: both are known and they differ by more than a slip of the keys.
   A slip is: day and month swapped (03/04 for 04/03); one digit of DDMMYYYY mistyped
   (12/03/2015 for 13/03/2015, or 2016 for 2015); two neighbouring digits transposed
   (21/03 for 12/03); or the same day and month with the year one out.
2. **First names**: both are known and no given name of one is close to any given name
   of the other (so a middle name used as a first name agrees). Two names are close
   when they are the same after folding case and accents; one is a nickname or formal
   form of the other (Amy, Amelia; Lizzy, Elizabeth: the table in
   openmash.people.standardise and the `nicknames` package's dataset), or both are forms
   of one formal name in the table (Bill, Will: William);
   one is the other shortened to three or more letters (Sam, Samantha) or to its
   initial (S, Sam); or they are a typo apart: one edit, two for names longer than six
   letters, a transposition counting as one (Jon, John; Mohammed, Muhammad). Short
   names two edits apart that no dataset joins are different names (Jake, James; Joe,
   Josh): twins are often named so. Names that only sound alike are not joined (a
   phonetic code would make Ella and Ellie one name). Placeholders given before a child
   is named ("Baby", "Unborn", "Twin") are not names. A given name and family name
   written the wrong way round agree.

A different family name alone is never a conflict: children change surname (a parent's
marriage, a name taken from the other parent), and a surname change with the same first
name and date of birth is the same child.

Why the first name alone, and not only when the family name differs too: the likeliest
way a number lands on the wrong child is that it belongs to a sibling (named in the same
contact, or copied from the family's file), and siblings share a surname and an address,
and twins a date of birth too. Twins Jake and James Harper with one NHS number are two
children until a screener says otherwise. The price is a conflict for a child known by
an unrelated first name (a preferred or anglicised name that no dataset knows): the
screener resolves it as the same child once, and until then the child's records are
kept apart, which is the safe way to be wrong. Twins whose names the datasets give as
forms of one another are not caught by this rule.

Missing details never disagree: a record with no date of birth, or no given name, is
judged on what it has.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

import jellyfish

from openmash.people.standardise import NICKNAMES, day_month_swapped, fold, surname_parts

# Given "names" that stand for a child not yet named: never evidence either way.
PLACEHOLDERS = frozenset(
    {
        "baby",
        "babyboy",
        "babygirl",
        "unborn",
        "unnamed",
        "unknown",
        "infant",
        "newborn",
        "child",
        "boy",
        "girl",
        "twin",
        "male",
        "female",
        "nk",
        "bb",
        "bg",
    }
)
SHORTENED_AT_LEAST = 3
LONG_NAME = 6


@dataclass(frozen=True)
class Identity:
    """What a record says about who the person is, as given."""

    given_names: str = ""
    family_name: str = ""
    date_of_birth: date | None = None
    # Known-as names (aliases, previous names): each may stand for a given or a family name.
    other_names: str = ""


@dataclass(frozen=True)
class Disagreement:
    """Why two records sharing an identifier seem to be different people."""

    date_of_birth: bool = False
    first_name: bool = False

    def __bool__(self) -> bool:
        return self.date_of_birth or self.first_name

    @property
    def reasons(self) -> list[str]:
        reasons = []
        if self.date_of_birth:
            reasons.append("date_of_birth")
        if self.first_name:
            reasons.append("first_name")
        return reasons


def _digits(value: date) -> str:
    return f"{value.day:02d}{value.month:02d}{value.year:04d}"


def dates_disagree(first: date | None, second: date | None) -> bool:
    """Both known, and different by more than a typo (see the module's rule 1)."""
    if first is None or second is None or first == second:
        return False
    if day_month_swapped(first, second):
        return False
    same_day = first.day == second.day and first.month == second.month
    if same_day and abs(first.year - second.year) == 1:
        return False
    left, right = _digits(first), _digits(second)
    differ = [n for n in range(len(left)) if left[n] != right[n]]
    if len(differ) == 1:
        return False
    transposed = (
        len(differ) == 2
        and differ[1] == differ[0] + 1
        and left[differ[0]] == right[differ[1]]
        and left[differ[1]] == right[differ[0]]
    )
    return not transposed


try:  # The nicknames package's dataset (about 1,000 names), when it is installed.
    from nicknames import NickNamer

    _NAMER: Any = NickNamer()
except ImportError:  # pragma: no cover - the hand-written table alone
    _NAMER = None


def _table_forms(name: str) -> set[str]:
    return {name, *NICKNAMES.get(name, ())}


def _dataset_forms(name: str) -> set[str]:
    """The names the nicknames dataset gives as this name's formal forms or nicknames."""
    if _NAMER is None:
        return set()
    related = _NAMER.canonicals_of(name) | _NAMER.nicknames_of(name)
    return {form.lower() for form in related}


def _forms_of_one_name(first: str, second: str) -> bool:
    """One is a form of the other, or both are forms of one formal name in the
    hand-written table. Two names that are only both nicknames in the dataset are not
    (it makes Oliver and Olivia both "Ollie", and Joe a form of Joshua as well as Josh)."""
    if _table_forms(first) & _table_forms(second):
        return True
    return second in _dataset_forms(first) or first in _dataset_forms(second)


def names_close(first: str, second: str) -> bool:
    """Two folded single names that a typo, a nickname, a shortening or a spelling of the
    same sound explain (see the module's rule 2)."""
    if not first or not second:
        return False
    if first == second or _forms_of_one_name(first, second):
        return True
    short, long = sorted((first, second), key=len)
    if long.startswith(short) and (len(short) == 1 or len(short) >= SHORTENED_AT_LEAST):
        return True
    allowed = 2 if max(len(first), len(second)) > LONG_NAME else 1
    return jellyfish.damerau_levenshtein_distance(first, second) <= allowed


def _given_words(value: str) -> list[str]:
    return [word for word in fold(value).split(" ") if word and word not in PLACEHOLDERS]


def _any_close(left: Iterable[str], right: Iterable[str]) -> bool:
    right = list(right)
    return any(names_close(one, other) for one in left for other in right)


def first_names_disagree(first: Identity, second: Identity) -> bool:
    """Both have a given name, and none of one's given (or known-as) names is close to
    any of the other's; first and family names written the wrong way round agree."""
    left, right = _given_words(first.given_names), _given_words(second.given_names)
    if not left or not right:
        return False
    left_all = left + _given_words(first.other_names)
    right_all = right + _given_words(second.other_names)
    if _any_close(left_all, right_all):
        return False
    # Names written the wrong way round: the given name of each is the other's surname.
    left_family = list(surname_parts(first.family_name))
    right_family = list(surname_parts(second.family_name))
    return not (_any_close(left, right_family) and _any_close(right, left_family))


def details_disagree(first: Identity, second: Identity) -> Disagreement:
    """Whether two records sharing an identifier disagree beyond what a typo explains:
    a Disagreement that is true when they do, saying on what."""
    return Disagreement(
        date_of_birth=dates_disagree(first.date_of_birth, second.date_of_birth),
        first_name=first_names_disagree(first, second),
    )
