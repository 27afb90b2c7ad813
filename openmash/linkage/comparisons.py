"""The comparisons of the Fellegi-Sunter match model, each defined once.

Every level is a pair: a SQL condition that Splink evaluates on DuckDB when it trains or
batch-links, and a Python predicate that the live matcher evaluates, written so the two
agree exactly (equality, list overlap, Levenshtein distance, fixed-position substrings and
whole-day date differences; no floating-point similarity scores). Both sides work on the
same "comparison record": the standardised fields of a person, with empty values as None.

Pure: no Django imports, so training, the matcher, tests and benchmarks share it.

The comparisons keep household members apart. Twins and siblings share surname, address
and (twins) date of birth, so a different first name must weigh heavily against a match:
the given-name comparison separates nickname forms and small typos from a different name,
and the model fixes the m probability of "different given name" low rather than leave it
to expectation maximisation (which cannot tell a twin from a typo, since both agree on
everything else).
"""

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from typing import Any

import jellyfish

from openmash.people.standardise import (
    given_name_forms,
    given_name_known,
    name_standard,
    person_standard,
)

Record = dict[str, Any]
Predicate = Callable[[Record, Record], bool]

# The smallest m or u Splink uses when it turns them into a match weight.
M_U_CLAMP_MIN = 1e-300
# Splink's value for a level seen in no training pair.
LEVEL_NOT_OBSERVED = 1e-6
# m of "different given name" (and of "different NHS number"): fixed, not trained.
DIFFERENT_GIVEN_NAME_M = 0.00002
DIFFERENT_IDENTIFIER_M = 0.0005
# m of "dates of birth twelve or more years apart" (a parent and a child): fixed, not
# trained. Expectation maximisation cannot tell a parent from a child of the same name at
# one address from one person with a wrong year, so the model is told.
DATES_APART_M = 0.00002
DATES_APART_DAYS = 4383  # twelve years of 365.25 days
# Unique pupil numbers were first given in England in 1999, to the pupils then at school:
# nobody born before 1982 was one. A UPN on one record and a date of birth before then on
# the other (a parent and the child named after them, the child's record without a date
# of birth) is two people; m fixed, as DATES_APART_M.
UPN_FIRST_BIRTH_YEAR = 1982
PUPIL_AND_OLDER_M = 0.00002
# Household evidence (issue 11): fixed weights, in bits, added when two records look like
# two members of one household. Not trained: twins are not random pairs, so their u is
# not what random sampling measures, and EM cannot tell a twin from a typing error.
# - twins whose first names are alike (one or two edits, a shared nickname or a short
#   form): a record with a mistyped first name looks exactly like this, so the pair is
#   brought down into the suggestion band for a person to decide, not pushed out;
# - twins whose first names differ: below the suggestion threshold;
# - same-named people at one address, one date of birth missing (a parent and the child
#   named after them): never above the suggestion band on that alone.
# Any agreeing valid identifier (NHS number or UPN) sets the household evidence aside.
# Split by how much the date and the postcode already agree, so that each lands in the
# suggestion band: the same (or swapped) date at the same postcode; at a nearby or unknown
# postcode; a date a day out at the same postcode; at a nearby or unknown one; and one
# record written surname first.
TWINS_ALIKE_BITS = -19.0
# - twins whose first names are alike but are two different recognised given names (both
#   in the name lexicon: the `nicknames` dataset and the area's additions), neither a form
#   of the other: a typing error seldom makes another real name, so this is two people
#   (Anne/Joanne, Jake/James), below the suggestion threshold.
TWINS_TWO_NAMES_BITS = -26.0
TWINS_ALIKE_NEARBY_BITS = -11.0
TWINS_ALIKE_NEAR_DATE_BITS = -12.0
TWINS_ALIKE_NEAR_DATE_NEARBY_BITS = -6.0
TWINS_TRANSPOSED_ALIKE_BITS = -8.0
TWINS_DIFFERENT_BITS = -8.0
# Twins, one recorded under another surname (a step-family), or both written surname
# first: the same birth at the same postcode with different first names, or with
# surnames that are not alike. A surname change (with a nickname) looks the same, so it
# is brought below the automatic-link threshold only.
TWINS_OTHER_SURNAME_BITS = -6.0
# Siblings: alike first names at one address, born apart (not by twelve years: that is
# the date of birth comparison's own level).
SIBLINGS_ALIKE_BITS = -9.0
NO_DATE_SAME_NAMES_BITS = -5.0
# How many levels the household comparison has (checked against COMPARISONS by a test).
HOUSEHOLD_LEVELS = 12
# The fixed u of the household levels (only m/u matters).
HOUSEHOLD_U = 0.5

COMPARISON_COLUMNS = (
    "unique_id",
    "given_std",
    "given_forms",
    "family_std",
    "family_forms",
    "family_parts",
    "family_sound",
    "given_sound",
    "given_known",
    "given_letters",
    "given_spoken",
    "aliases",
    "dob",
    "sex",
    "postcode_std",
    "postcode_outward",
    "nhs",
    "upn",
)


def levenshtein(first: str, second: str) -> int:
    """Edit distance (insert, delete, substitute), as DuckDB's `levenshtein` (a test
    checks the two agree)."""
    return int(jellyfish.levenshtein_distance(first, second))


def _null(column: str) -> tuple[str, Predicate]:
    return (
        f'"{column}_l" IS NULL OR "{column}_r" IS NULL',
        lambda left, right: left[column] is None or right[column] is None,
    )


def _exact(column: str) -> tuple[str, Predicate]:
    return (
        f'"{column}_l" = "{column}_r"',
        lambda left, right: left[column] == right[column],
    )


def _overlap(column: str) -> tuple[str, Predicate]:
    return (
        f'list_has_any("{column}_l", "{column}_r")',
        lambda left, right: bool(set(left[column] or ()) & set(right[column] or ())),
    )


def _within_edits(column: str, edits: int) -> tuple[str, Predicate]:
    return (
        f'levenshtein("{column}_l", "{column}_r") <= {edits}',
        lambda left, right: levenshtein(left[column], right[column]) <= edits,
    )


def _surname_is_other_name(left: Record, right: Record) -> bool:
    return right["family_std"] in (left["aliases"] or ()) or left["family_std"] in (
        right["aliases"] or ()
    )


def _shortened(left: Record, right: Record) -> bool:
    """One first name is the start of the other, at least two letters (Cait/Caitlin)."""
    first, second = sorted((left["given_std"], right["given_std"]), key=len)
    return len(first) >= 2 and second.startswith(first)


def _alike_crosswise(name: str | None, forms: Any, other: str | None, other_forms: Any) -> bool:
    """A first name and the other record's surname (or the other way round) that are one
    name: within two edits, one the start of the other (at least two letters), or sharing
    a nickname form (Sam/Samantha, Bill/William written surname first)."""
    if not name or not other:
        return False
    shorter, longer = sorted((name, other), key=len)
    return (
        levenshtein(name, other) <= 2
        or (len(shorter) >= 2 and longer.startswith(shorter))
        or bool(set(forms or ()) & set(other_forms or ()))
    )


def _names_transposed(left: Record, right: Record) -> bool:
    """First name and surname recorded the other way round: each record's first name is
    the other's surname, and each surname the other's first name, allowing a typing error
    (two edits), a short form or a nickname in each half (Ball/Samantha and Sam/Ball)."""
    return _alike_crosswise(
        left["given_std"], left["given_forms"], right["family_std"], right["family_forms"]
    ) and _alike_crosswise(
        left["family_std"], left["family_forms"], right["given_std"], right["given_forms"]
    )


def _dob_swapped(left: Record, right: Record) -> bool:
    first, second = left["dob"], right["dob"]
    return first[:4] == second[:4] and first[5:7] == second[8:10] and first[8:10] == second[5:7]


def _days_apart(left: Record, right: Record) -> int:
    return abs((date.fromisoformat(left["dob"]) - date.fromisoformat(right["dob"])).days)


def _dob_within_a_year(left: Record, right: Record) -> bool:
    return _days_apart(left, right) <= 365


def _dob_years_apart(left: Record, right: Record) -> bool:
    return _days_apart(left, right) >= DATES_APART_DAYS


def _pupil_and_older(left: Record, right: Record) -> bool:
    """A UPN on one record, none on the other, and a date of birth before
    UPN_FIRST_BIRTH_YEAR on the other. Two records with UPNs are compared by them (the same
    UPN is strong evidence even when one date of birth was mistyped as a century earlier)."""
    first = f"{UPN_FIRST_BIRTH_YEAR}-01-01"
    return bool(
        (left["upn"] and not right["upn"] and right["dob"] and right["dob"] < first)
        or (right["upn"] and not left["upn"] and left["dob"] and left["dob"] < first)
    )


# --- Household evidence: SQL and Python twins (NULL in SQL is "not this level") -----------


def _both_equal(left: Record, right: Record, column: str) -> bool:
    return left[column] is not None and left[column] == right[column]


def _identifier_agrees(left: Record, right: Record) -> bool:
    return _both_equal(left, right, "nhs") or _both_equal(left, right, "upn")


def _same_address_or_unknown(left: Record, right: Record) -> bool:
    """Same postcode area, or a postcode missing: one household's look."""
    return (
        left["postcode_outward"] is None
        or right["postcode_outward"] is None
        or left["postcode_outward"] == right["postcode_outward"]
    )


def _first_names_alike(left: Record, right: Record) -> bool:
    """Different first names a typing error or a short form away: a shared nickname form,
    one or two edits, or one the start of the other."""
    return (
        bool(set(left["given_forms"] or ()) & set(right["given_forms"] or ()))
        or levenshtein(left["given_std"], right["given_std"]) <= 2
        or _shortened(left, right)
    )


def _surnames_alike(left: Record, right: Record) -> bool:
    """One family's surnames: sounding alike, two edits apart, sharing a part (a
    double-barrelled name), or one the other's other name (a step-family, a marriage)."""
    return (
        left["family_std"] is not None
        and right["family_std"] is not None
        and (
            left["family_sound"] == right["family_sound"]
            or levenshtein(left["family_std"], right["family_std"]) <= 2
            or bool(set(left["family_parts"] or ()) & set(right["family_parts"] or ()))
            or _surname_is_other_name(left, right)
        )
    )


def _same_birth_one_address(left: Record, right: Record) -> bool:
    """The same birth (the same month, or day and month swapped) and one address (or
    one unknown)."""
    return (
        left["dob"] is not None
        and right["dob"] is not None
        and (left["dob"][:7] == right["dob"][:7] or _dob_swapped(left, right))
        and _same_address_or_unknown(left, right)
    )


def _known_as(left: Record, right: Record) -> bool:
    """One record's first name is a name the other is known by (comparison_record's
    `known_as`: Bartholomew, known as Barty): one person's names, never two people's."""
    return (left["given_std"] or "") in (right.get("known_as") or ()) or (
        right["given_std"] or ""
    ) in (left.get("known_as") or ())


def _first_names_differ(left: Record, right: Record) -> bool:
    return (
        left["given_std"] is not None
        and right["given_std"] is not None
        and left["given_std"] != right["given_std"]
        and not _known_as(left, right)
    )


def _transposed_twins(left: Record, right: Record, *, alike: bool) -> bool:
    """One record written surname first: its first name is the other's surname (within
    two edits) and its surname, in fact its first name, differs from the other's first
    name (`alike`: by at most two edits)."""
    for one, other in ((left, right), (right, left)):
        given, family = one["given_std"], one["family_std"]
        other_given, other_family = other["given_std"], other["family_std"]
        if given is None or family is None or other_given is None or other_family is None:
            continue
        if (
            levenshtein(given, other_family) <= 2
            and family != other_given
            and (not alike or levenshtein(family, other_given) <= 2)
        ):
            return True
    return False


def _twin_look(left: Record, right: Record) -> bool:
    """Surnames alike, the same birth, one address (or one unknown), and two different
    first names; or the same with one record written surname first."""
    return _same_birth_one_address(left, right) and (
        (_surnames_alike(left, right) and _first_names_differ(left, right))
        or _transposed_twins(left, right, alike=False)
    )


def _twins_alike(left: Record, right: Record) -> bool:
    return (
        _same_birth_one_address(left, right)
        and _surnames_alike(left, right)
        and _first_names_differ(left, right)
        and _first_names_alike(left, right)
    )


def _two_known_names(left: Record, right: Record) -> bool:
    """Both first names recognised given names, neither a form of the other, and not one
    name spelt two ways: sounding alike (soundex) and one edit apart, or two edits with
    the same letters (two letters swapped): Jacob/Jakob, Ryan/Rian, Deborah/Debora,
    Michael/Micheal; or spelt with another first letter but spoken the same (metaphone)
    within two edits: Katherine/Catherine, Carl/Karl, Philip/Filip. Jake/Jack, Patrick/
    Patricia and Anne/Joanne are two names."""
    if not (left["given_known"] and right["given_known"]):
        return False
    if set(left["given_forms"] or ()) & set(right["given_forms"] or ()):
        return False
    first, second = left["given_std"], right["given_std"]
    edits = levenshtein(first, second)
    spelt_two_ways = (left["given_sound"] or "") == (right["given_sound"] or "") and (
        edits <= 1 or (edits == 2 and left["given_letters"] == right["given_letters"])
    )
    spoken_alike = (
        first[:1] != second[:1]
        and edits <= 2
        and (left["given_spoken"] or "") == (right["given_spoken"] or "")
    )
    return not (spelt_two_ways or spoken_alike)


def _twins_two_names(left: Record, right: Record) -> bool:
    return _twins_alike(left, right) and _two_known_names(left, right)


def _same_or_swapped_date(left: Record, right: Record) -> bool:
    return _both_equal(left, right, "dob") or (
        left["dob"] is not None and right["dob"] is not None and _dob_swapped(left, right)
    )


def _twins_alike_same_date_same_postcode(left: Record, right: Record) -> bool:
    return (
        _same_or_swapped_date(left, right)
        and _both_equal(left, right, "postcode_std")
        and _twins_alike(left, right)
    )


def _twins_alike_same_date(left: Record, right: Record) -> bool:
    return _same_or_swapped_date(left, right) and _twins_alike(left, right)


def _twins_alike_same_postcode(left: Record, right: Record) -> bool:
    return _both_equal(left, right, "postcode_std") and _twins_alike(left, right)


def _twins_transposed_alike(left: Record, right: Record) -> bool:
    return _same_birth_one_address(left, right) and _transposed_twins(left, right, alike=True)


def _twins_other_surname(left: Record, right: Record) -> bool:
    return (
        left["dob"] is not None
        and right["dob"] is not None
        and (left["dob"][:7] == right["dob"][:7] or _dob_swapped(left, right))
        and _both_equal(left, right, "postcode_std")
        and (
            _first_names_differ(left, right)
            or (
                left["family_std"] is not None
                and right["family_std"] is not None
                and not _surnames_alike(left, right)
            )
        )
    )


def _siblings_alike(left: Record, right: Record) -> bool:
    """Reached only when no twin look holds, so the births differ."""
    return (
        left["dob"] is not None
        and right["dob"] is not None
        and _same_address_or_unknown(left, right)
        and _surnames_alike(left, right)
        and _first_names_differ(left, right)
        and _first_names_alike(left, right)
    )


def _same_names_no_date(left: Record, right: Record) -> bool:
    return (
        (left["dob"] is None or right["dob"] is None)
        and _surnames_alike(left, right)
        and _both_equal(left, right, "postcode_std")
        and left["given_std"] is not None
        and right["given_std"] is not None
        and (left["given_std"] == right["given_std"] or _first_names_alike(left, right))
    )


def _household_shortcut(left: Record, right: Record) -> int | None:
    """Most candidates are in different postcode areas: every household level but the
    first (an identifier agrees) needs one area or an unknown postcode."""
    if _identifier_agrees(left, right):
        return 0
    if not _same_address_or_unknown(left, right):
        return HOUSEHOLD_LEVELS - 1
    return None


_SQL_IDENTIFIER_AGREES = 'coalesce("nhs_l" = "nhs_r", false) OR coalesce("upn_l" = "upn_r", false)'
_SQL_NAMES_ALIKE = (
    '(coalesce(list_has_any("given_forms_l", "given_forms_r"), false) OR '
    'levenshtein("given_std_l", "given_std_r") <= 2 OR '
    '(length("given_std_l") >= 2 AND starts_with("given_std_r", "given_std_l")) OR '
    '(length("given_std_r") >= 2 AND starts_with("given_std_l", "given_std_r")))'
)
_SQL_SURNAMES_ALIKE = (
    '("family_sound_l" = "family_sound_r" OR '
    'levenshtein("family_std_l", "family_std_r") <= 2 OR '
    'coalesce(list_has_any("family_parts_l", "family_parts_r"), false) OR '
    'coalesce(list_contains("aliases_l", "family_std_r"), false) OR '
    'coalesce(list_contains("aliases_r", "family_std_l"), false))'
)
_SQL_SAME_BIRTH_ONE_ADDRESS = (
    "(substr(dob_l, 1, 7) = substr(dob_r, 1, 7) OR "
    "(substr(dob_l, 1, 4) = substr(dob_r, 1, 4) AND "
    "substr(dob_l, 6, 2) = substr(dob_r, 9, 2) AND "
    "substr(dob_l, 9, 2) = substr(dob_r, 6, 2))) AND "
    'coalesce("postcode_outward_l" = "postcode_outward_r", true)'
)


def _sql_transposed_twins(*, alike: bool) -> str:
    halves = []
    for one, other in (("l", "r"), ("r", "l")):
        half = (
            f'(levenshtein("given_std_{one}", "family_std_{other}") <= 2 AND '
            f'"family_std_{one}" <> "given_std_{other}"'
        )
        if alike:
            half += f' AND levenshtein("family_std_{one}", "given_std_{other}") <= 2'
        halves.append(half + ")")
    return "(" + " OR ".join(halves) + ")"


_SQL_TWIN_LOOK = (
    f"{_SQL_SAME_BIRTH_ONE_ADDRESS} AND "
    f'(({_SQL_SURNAMES_ALIKE} AND "given_std_l" <> "given_std_r") OR '
    f"{_sql_transposed_twins(alike=False)})"
)
_SQL_TWINS_ALIKE = (
    f"{_SQL_SAME_BIRTH_ONE_ADDRESS} AND "
    f'{_SQL_SURNAMES_ALIKE} AND "given_std_l" <> "given_std_r" AND {_SQL_NAMES_ALIKE}'
)
_SQL_TWO_KNOWN_NAMES = (
    'coalesce("given_known_l", false) AND coalesce("given_known_r", false) AND '
    'NOT coalesce(list_has_any("given_forms_l", "given_forms_r"), false) AND NOT '
    "(coalesce(\"given_sound_l\", '') = coalesce(\"given_sound_r\", '') AND "
    '(levenshtein("given_std_l", "given_std_r") <= 1 OR '
    '(levenshtein("given_std_l", "given_std_r") = 2 AND '
    '"given_letters_l" = "given_letters_r"))) AND NOT '
    '(substr("given_std_l", 1, 1) <> substr("given_std_r", 1, 1) AND '
    'levenshtein("given_std_l", "given_std_r") <= 2 AND '
    "coalesce(\"given_spoken_l\", '') = coalesce(\"given_spoken_r\", ''))"
)
_SQL_SAME_OR_SWAPPED_DATE = (
    "(dob_l = dob_r OR (substr(dob_l, 1, 4) = substr(dob_r, 1, 4) AND "
    "substr(dob_l, 6, 2) = substr(dob_r, 9, 2) AND "
    "substr(dob_l, 9, 2) = substr(dob_r, 6, 2)))"
)
_SQL_TWINS_TRANSPOSED_ALIKE = (
    f"{_SQL_SAME_BIRTH_ONE_ADDRESS} AND {_sql_transposed_twins(alike=True)}"
)
_SQL_TWINS_OTHER_SURNAME = (
    "(substr(dob_l, 1, 7) = substr(dob_r, 1, 7) OR "
    "(substr(dob_l, 1, 4) = substr(dob_r, 1, 4) AND "
    "substr(dob_l, 6, 2) = substr(dob_r, 9, 2) AND "
    "substr(dob_l, 9, 2) = substr(dob_r, 6, 2))) AND "
    '"postcode_std_l" = "postcode_std_r" AND '
    f'("given_std_l" <> "given_std_r" OR NOT {_SQL_SURNAMES_ALIKE})'
)
_SQL_SIBLINGS_ALIKE = (
    "dob_l IS NOT NULL AND dob_r IS NOT NULL AND "
    'coalesce("postcode_outward_l" = "postcode_outward_r", true) AND '
    f'{_SQL_SURNAMES_ALIKE} AND "given_std_l" <> "given_std_r" AND {_SQL_NAMES_ALIKE}'
)
_SQL_SAME_NAMES_NO_DATE = (
    f"(dob_l IS NULL OR dob_r IS NULL) AND {_SQL_SURNAMES_ALIKE} AND "
    '"postcode_std_l" = "postcode_std_r" AND '
    f'("given_std_l" = "given_std_r" OR {_SQL_NAMES_ALIKE})'
)


def _sql_alike_crosswise(one: str, side: str, other: str, other_side: str) -> str:
    """SQL twin of _alike_crosswise for column `one` of one side and `other` of the
    other (NULL when a name is missing: not this level)."""
    a, b = f'"{one}_std_{side}"', f'"{other}_std_{other_side}"'
    return (
        f"({a} IS NOT NULL AND {b} IS NOT NULL AND (levenshtein({a}, {b}) <= 2 OR "
        f"(length({a}) >= 2 AND starts_with({b}, {a})) OR "
        f"(length({b}) >= 2 AND starts_with({a}, {b})) OR "
        f'coalesce(list_has_any("{one}_forms_{side}", "{other}_forms_{other_side}"), false)))'
    )


@dataclass(frozen=True)
class Level:
    """One comparison level: its SQL, its Python twin, and how it reads in words.

    `words` may use {left} and {right} for the two values as given."""

    label: str
    sql: str
    test: Predicate
    words: str
    is_null: bool = False
    # A fixed m probability that training must not change (see the module docstring).
    fixed_m: float | None = None
    # A fixed u as well (the household evidence: a weight set, not trained).
    fixed_u: float | None = None


@dataclass(frozen=True)
class Comparison:
    name: str
    # The as-given field shown in explanations ({left}/{right}).
    shown_field: str
    levels: tuple[Level, ...]
    description: str = ""
    # A quicker answer for common pairs, or None to test the levels in turn; it must give
    # the level the levels themselves give (a test checks).
    shortcut: Callable[[Record, Record], int | None] | None = None

    def level_of(self, left: Record, right: Record) -> int:
        """The index of the first level whose condition holds (the last is 'else')."""
        if self.shortcut is not None:
            quick = self.shortcut(left, right)
            if quick is not None:
                return quick
        for index, level in enumerate(self.levels[:-1]):
            if level.test(left, right):
                return index
        return len(self.levels) - 1


def _else(words: str, fixed_m: float | None = None, fixed_u: float | None = None) -> Level:
    return Level(
        "All other comparisons",
        "ELSE",
        lambda left, right: True,
        words,
        fixed_m=fixed_m,
        fixed_u=fixed_u,
    )


def _level(label: str, pair: tuple[str, Predicate], words: str, **options: Any) -> Level:
    sql, test = pair
    return Level(label, sql, test, words, **options)


COMPARISONS: tuple[Comparison, ...] = (
    Comparison(
        "given_name",
        "given_names",
        (
            _level("Null", _null("given_std"), "no first name to compare", is_null=True),
            _level("Exact", _exact("given_std"), "same first name"),
            _level(
                "Nickname forms",
                _overlap("given_forms"),
                "first name a known short form: {left}/{right}",
            ),
            _level(
                "Levenshtein <= 1",
                _within_edits("given_std", 1),
                "first name similar: {left}/{right}",
            ),
            _level(
                "Levenshtein <= 2",
                _within_edits("given_std", 2),
                "first name partly similar: {left}/{right}",
            ),
            Level(
                "Shortened",
                '(length("given_std_l") >= 2 AND starts_with("given_std_r", "given_std_l")) OR '
                '(length("given_std_r") >= 2 AND starts_with("given_std_l", "given_std_r"))',
                _shortened,
                "first name shortened: {left}/{right}",
            ),
            # Forms filled surname first, and names written family name first: the
            # first name is then the other record's surname, and the other way round.
            # Both halves must agree: one half alone (a twin's name written surname
            # first has the other twin's surname as its first name) would join twins.
            Level(
                "Names transposed",
                f"{_sql_alike_crosswise('given', 'l', 'family', 'r')} AND "
                f"{_sql_alike_crosswise('family', 'l', 'given', 'r')}",
                _names_transposed,
                "first name and surname the other way round: {left}/{right}",
            ),
            _else("different first name: {left}/{right}", fixed_m=DIFFERENT_GIVEN_NAME_M),
        ),
    ),
    Comparison(
        "family_name",
        "family_name",
        (
            _level("Null", _null("family_std"), "no surname to compare", is_null=True),
            _level("Exact", _exact("family_std"), "same surname"),
            _level(
                "Levenshtein <= 1",
                _within_edits("family_std", 1),
                "surname similar: {left}/{right}",
            ),
            Level(
                "Other name",
                'list_contains("aliases_l", "family_std_r") OR '
                'list_contains("aliases_r", "family_std_l")',
                _surname_is_other_name,
                "surname is an other name: {left}/{right}",
            ),
            _level(
                "Shares a part", _overlap("family_parts"), "surname shares a part: {left}/{right}"
            ),
            _level(
                "Levenshtein <= 2",
                _within_edits("family_std", 2),
                "surname partly similar: {left}/{right}",
            ),
            _level("Same soundex", _exact("family_sound"), "surname sounds alike: {left}/{right}"),
            _else("different surname: {left}/{right}"),
        ),
    ),
    Comparison(
        "date_of_birth",
        "date_of_birth",
        (
            _level("Null", _null("dob"), "no date of birth to compare", is_null=True),
            _level("Exact", _exact("dob"), "same date of birth"),
            Level(
                "Day and month swapped",
                "substr(dob_l, 1, 4) = substr(dob_r, 1, 4) AND "
                "substr(dob_l, 6, 2) = substr(dob_r, 9, 2) AND "
                "substr(dob_l, 9, 2) = substr(dob_r, 6, 2)",
                _dob_swapped,
                "day and month swapped: {left} and {right}",
            ),
            Level(
                "Same year and month",
                "substr(dob_l, 1, 7) = substr(dob_r, 1, 7)",
                lambda left, right: left["dob"][:7] == right["dob"][:7],
                "date of birth differs by day: {left} and {right}",
            ),
            Level(
                "Same day and month",
                "substr(dob_l, 6, 5) = substr(dob_r, 6, 5)",
                lambda left, right: left["dob"][5:] == right["dob"][5:],
                "date of birth differs by year: {left} and {right}",
            ),
            Level(
                "One character different",
                "levenshtein(dob_l, dob_r) <= 1",
                lambda left, right: levenshtein(left["dob"], right["dob"]) <= 1,
                "date of birth one digit different: {left} and {right}",
            ),
            Level(
                "Within 365 days",
                "abs(date_diff('day', CAST(dob_l AS DATE), CAST(dob_r AS DATE))) <= 365",
                _dob_within_a_year,
                "date of birth within a year: {left} and {right}",
            ),
            Level(
                "12 or more years apart",
                "abs(date_diff('day', CAST(dob_l AS DATE), CAST(dob_r AS DATE))) >= "
                f"{DATES_APART_DAYS}",
                _dob_years_apart,
                "dates of birth twelve or more years apart: {left} and {right}",
                fixed_m=DATES_APART_M,
            ),
            _else("different date of birth: {left} and {right}"),
        ),
    ),
    Comparison(
        "sex",
        "sex",
        (
            _level("Null", _null("sex"), "no sex to compare", is_null=True),
            _level("Exact", _exact("sex"), "same sex"),
            _else("different sex"),
        ),
    ),
    Comparison(
        "postcode",
        "postcode",
        (
            _level("Null", _null("postcode_std"), "no postcode to compare", is_null=True),
            _level("Exact", _exact("postcode_std"), "same postcode"),
            _level(
                "Same outward code",
                _exact("postcode_outward"),
                "postcode nearby: {left}/{right}",
            ),
            _else("different postcode"),
        ),
    ),
    Comparison(
        "nhs_number",
        "nhs_number",
        (
            _level("Null", _null("nhs"), "no valid NHS number on both", is_null=True),
            _level("Exact", _exact("nhs"), "same NHS number"),
            _else("different NHS number", fixed_m=DIFFERENT_IDENTIFIER_M),
        ),
    ),
    Comparison(
        "upn",
        "upn",
        (
            Level(
                "Pupil number and born before 1982",
                f'("upn_l" IS NOT NULL AND "upn_r" IS NULL '
                f"AND dob_r < '{UPN_FIRST_BIRTH_YEAR}-01-01') OR "
                f'("upn_r" IS NOT NULL AND "upn_l" IS NULL '
                f"AND dob_l < '{UPN_FIRST_BIRTH_YEAR}-01-01')",
                _pupil_and_older,
                f"a pupil number on one record and born before {UPN_FIRST_BIRTH_YEAR} on the other",
                fixed_m=PUPIL_AND_OLDER_M,
            ),
            _level("Null", _null("upn"), "no valid UPN on both", is_null=True),
            _level("Exact", _exact("upn"), "same unique pupil number"),
            _else("different unique pupil number", fixed_m=DIFFERENT_IDENTIFIER_M),
        ),
    ),
    Comparison(
        "household",
        "given_names",
        (
            Level(
                "An identifier agrees",
                _SQL_IDENTIFIER_AGREES,
                _identifier_agrees,
                "a valid identifier agrees",
                is_null=True,
            ),
            Level(
                "Twin look, two different recognised first names",
                f"{_SQL_TWINS_ALIKE} AND {_SQL_TWO_KNOWN_NAMES}",
                _twins_two_names,
                "could be twins: two different first names {left}/{right} with the same "
                "surname, birth and address",
                fixed_m=HOUSEHOLD_U * 2**TWINS_TWO_NAMES_BITS,
                fixed_u=HOUSEHOLD_U,
            ),
            Level(
                "Twin look, first names alike",
                f'{_SQL_SAME_OR_SWAPPED_DATE} AND "postcode_std_l" = "postcode_std_r" AND {_SQL_TWINS_ALIKE}',
                _twins_alike_same_date_same_postcode,
                "could be twins: first names {left}/{right} with the same surname, birth "
                "and address",
                fixed_m=HOUSEHOLD_U * 2**TWINS_ALIKE_BITS,
                fixed_u=HOUSEHOLD_U,
            ),
            Level(
                "Twin look, first names alike, postcode nearby or unknown",
                f"{_SQL_SAME_OR_SWAPPED_DATE} AND {_SQL_TWINS_ALIKE}",
                _twins_alike_same_date,
                "could be twins: first names {left}/{right} with the same surname, birth "
                "and address",
                fixed_m=HOUSEHOLD_U * 2**TWINS_ALIKE_NEARBY_BITS,
                fixed_u=HOUSEHOLD_U,
            ),
            Level(
                "Twin look, first names alike, date nearly the same",
                f'"postcode_std_l" = "postcode_std_r" AND {_SQL_TWINS_ALIKE}',
                _twins_alike_same_postcode,
                "could be twins: first names {left}/{right} with the same surname, birth "
                "and address",
                fixed_m=HOUSEHOLD_U * 2**TWINS_ALIKE_NEAR_DATE_BITS,
                fixed_u=HOUSEHOLD_U,
            ),
            Level(
                "Twin look, first names alike, date nearly the same, postcode nearby or unknown",
                _SQL_TWINS_ALIKE,
                _twins_alike,
                "could be twins: first names {left}/{right} with the same surname, birth "
                "and address",
                fixed_m=HOUSEHOLD_U * 2**TWINS_ALIKE_NEAR_DATE_NEARBY_BITS,
                fixed_u=HOUSEHOLD_U,
            ),
            Level(
                "Twin look, written surname first, first names alike",
                _SQL_TWINS_TRANSPOSED_ALIKE,
                _twins_transposed_alike,
                "could be twins: first names {left}/{right} with the same surname, birth "
                "and address",
                fixed_m=HOUSEHOLD_U * 2**TWINS_TRANSPOSED_ALIKE_BITS,
                fixed_u=HOUSEHOLD_U,
            ),
            Level(
                "Twin look, first names differ",
                _SQL_TWIN_LOOK,
                _twin_look,
                "could be twins: first names {left}/{right} with the same surname, birth "
                "and address",
                fixed_m=HOUSEHOLD_U * 2**TWINS_DIFFERENT_BITS,
                fixed_u=HOUSEHOLD_U,
            ),
            Level(
                "Twin look, another surname",
                _SQL_TWINS_OTHER_SURNAME,
                _twins_other_surname,
                "could be twins: first names {left}/{right} with the same birth and postcode",
                fixed_m=HOUSEHOLD_U * 2**TWINS_OTHER_SURNAME_BITS,
                fixed_u=HOUSEHOLD_U,
            ),
            Level(
                "Sibling look, first names alike",
                _SQL_SIBLINGS_ALIKE,
                _siblings_alike,
                "could be brother or sister: first names {left}/{right} with the same "
                "surname and address, born apart",
                fixed_m=HOUSEHOLD_U * 2**SIBLINGS_ALIKE_BITS,
                fixed_u=HOUSEHOLD_U,
            ),
            Level(
                "Same names at one address, a date of birth missing",
                _SQL_SAME_NAMES_NO_DATE,
                _same_names_no_date,
                "same names at one address with a date of birth missing: could be a "
                "parent and child",
                fixed_m=HOUSEHOLD_U * 2**NO_DATE_SAME_NAMES_BITS,
                fixed_u=HOUSEHOLD_U,
            ),
            _else("", fixed_m=HOUSEHOLD_U, fixed_u=HOUSEHOLD_U),
        ),
        "Household evidence: twins, a parent and child of the same name",
        shortcut=_household_shortcut,
    ),
)


@lru_cache(maxsize=65536)
def _surname_forms_cached(family_std: str) -> tuple[str, ...]:
    return given_name_forms(family_std)


def _surname_forms(family_std: str) -> list[str] | None:
    """A surname read as a first name, with its nickname forms (a list, as Splink's)."""
    return list(_surname_forms_cached(family_std)) or None


def _empty_to_none(value: Any) -> Any:
    return value if value not in ("", None, [], ()) else None


def comparison_record(
    *,
    unique_id: int | str,
    given_std: str,
    given_forms: Sequence[str],
    family_std: str,
    family_parts: Sequence[str],
    family_sound: str,
    aliases: Sequence[str],
    date_of_birth: date | None,
    sex: str,
    postcode_std: str,
    postcode_outward: str,
    nhs: str,
    upn: str,
    given_sound: str = "",
    known_as: Sequence[str] = (),
) -> Record:
    """A person's standardised fields as the comparisons read them (empty -> None).
    `given_sound` is a blocking key only (no comparison reads it).

    `known_as`: first names the person is known by (a child's other names, when a worker
    searching types a first name): each counts as a form of the first name, as a nickname
    does, and the household evidence never reads it as another person's name. Empty for
    matching records with each other, where other names are mostly earlier surnames."""
    sex_code = (sex or "").upper()
    return {
        "unique_id": unique_id,
        "given_std": _empty_to_none(given_std),
        "given_forms": list(dict.fromkeys([*given_forms, *known_as])) or None,
        "known_as": list(known_as) or None,
        "family_std": _empty_to_none(family_std),
        # The surname read as a first name, with its nickname forms: for a record written
        # surname first (see _names_transposed).
        "family_forms": _surname_forms(family_std) if family_std else None,
        "family_parts": list(family_parts) or None,
        "family_sound": _empty_to_none(family_sound),
        "given_sound": _empty_to_none(given_sound),
        # A recognised given name (None without a first name): see _two_known_names.
        "given_known": given_name_known(given_std) if given_std else None,
        # Its letters in order (two letters swapped leave them the same).
        "given_letters": "".join(sorted(given_std)) if given_std else None,
        # How it is spoken (metaphone): Katherine and Catherine alike, Jake and Jack too.
        "given_spoken": _empty_to_none(jellyfish.metaphone(given_std)) if given_std else None,
        "aliases": list(aliases) or None,
        "dob": date_of_birth.isoformat() if date_of_birth else None,
        "sex": sex_code if sex_code in ("M", "F") else None,
        "postcode_std": _empty_to_none(postcode_std),
        "postcode_outward": _empty_to_none(postcode_outward),
        "nhs": _empty_to_none(nhs),
        "upn": _empty_to_none(upn),
    }


def other_names_standard(other_names: str) -> tuple[str, ...]:
    """Other names (aliases, earlier surnames) as person_standard gives them."""
    if not other_names:
        return ()
    return tuple(
        alias
        for alias in (name_standard(part) for part in re.split(r"[,;/]", other_names or ""))
        if alias
    )


def comparison_record_for_person(
    *,
    unique_id: int | str,
    given_names: str,
    family_name: str,
    other_names: str = "",
    date_of_birth: date | None = None,
    sex: str = "",
    postcode: str = "",
    nhs_number: str = "",
    upn: str = "",
) -> Record:
    """Standardise a person as given (as the person index does) into a comparison record."""
    person = person_standard(
        given_names=given_names,
        family_name=family_name,
        other_names=other_names,
        date_of_birth=date_of_birth,
        sex=sex,
        postcode=postcode,
        nhs_number=nhs_number,
        upn=upn,
    )
    return comparison_record(
        unique_id=unique_id,
        given_std=person.given_name,
        given_forms=person.given_name_forms,
        family_std=person.family_name,
        family_parts=person.family_name_parts,
        family_sound=jellyfish.soundex(person.family_name) if person.family_name else "",
        given_sound=jellyfish.soundex(person.given_name) if person.given_name else "",
        aliases=person.other_names,
        date_of_birth=date_of_birth,
        sex=person.sex,
        postcode_std=person.postcode,
        postcode_outward=person.postcode_outward,
        nhs=person.nhs_number,
        upn=person.upn,
    )


def splink_comparisons() -> list[dict[str, Any]]:
    """The comparisons in Splink's settings form (custom levels with SQL conditions)."""
    comparisons = []
    for comparison in COMPARISONS:
        levels: list[dict[str, Any]] = []
        for level in comparison.levels:
            spec: dict[str, Any] = {
                "sql_condition": level.sql,
                "label_for_charts": level.label,
            }
            if level.is_null:
                spec["is_null_level"] = True
            if level.fixed_m is not None:
                spec["m_probability"] = level.fixed_m
                spec["fix_m_probability"] = True
            if level.fixed_u is not None:
                spec["u_probability"] = level.fixed_u
                spec["fix_u_probability"] = True
            levels.append(spec)
        comparisons.append(
            {
                "output_column_name": comparison.name,
                "comparison_description": comparison.description or comparison.name,
                "comparison_levels": levels,
            }
        )
    return comparisons


def splink_settings(*, probability_two_random_records_match: float = 1e-4) -> dict[str, Any]:
    """A Splink settings dictionary for deduplicating comparison records."""
    return {
        "link_type": "dedupe_only",
        "unique_id_column_name": "unique_id",
        "probability_two_random_records_match": probability_two_random_records_match,
        "comparisons": splink_comparisons(),
        "blocking_rules_to_generate_predictions": [
            "l.nhs = r.nhs",
            "l.dob = r.dob",
            "l.family_sound = r.family_sound AND substr(l.dob, 1, 4) = substr(r.dob, 1, 4)",
            "l.family_std = r.family_std AND l.given_std = r.given_std",
        ],
        "retain_matching_columns": True,
        "retain_intermediate_calculation_columns": False,
    }


@dataclass(frozen=True)
class ScoredComparison:
    comparison: Comparison
    level_index: int
    match_weight: float


@dataclass
class MatchModel:
    """A trained model's prior and per-level match weights, read from Splink's JSON."""

    version: str
    probability_two_random_records_match: float
    # comparison name -> weight of each level, in COMPARISONS order.
    weights: dict[str, list[float]] = field(default_factory=dict)

    @property
    def prior_weight(self) -> float:
        """log2 of the prior odds, as Splink adds it to every pair's match weight."""
        prior = self.probability_two_random_records_match
        return math.log2(prior / (1 - prior))


def _observed(value: Any) -> float | None:
    return None if value is None or isinstance(value, str) else float(value)


def _level_weight(spec: dict[str, Any], *, disagreement: bool) -> float:
    """A level's weight, log2(m/u), read conservatively: a level training never saw (m or
    u not estimated) is no evidence for a match, and the disagreement level (each
    comparison's last, Splink's "all other comparisons") is never evidence for one. Without
    this, a retrained model that never met two different UPNs among its random pairs gave
    "different UPN" about +9 bits instead of a penalty."""
    if spec.get("is_null_level"):
        return 0.0
    m = _observed(spec.get("m_probability"))
    u = _observed(spec.get("u_probability"))
    if disagreement:
        # Nearly every random pair disagrees: an unestimated u is taken as 1.
        m = LEVEL_NOT_OBSERVED if m is None else m
        u = 1.0 if u is None else u
        return min(0.0, math.log2(max(m, M_U_CLAMP_MIN) / max(u, M_U_CLAMP_MIN)))
    if m is None or u is None:
        return 0.0
    return math.log2(max(m, M_U_CLAMP_MIN) / max(u, M_U_CLAMP_MIN))


class ModelMismatch(ValueError):
    """The model file was trained with comparisons other than these."""


def match_model_from_splink(settings: dict[str, Any], *, version: str) -> MatchModel:
    """Read a Splink model (as saved by save_model_to_json) for the Python scorer."""
    by_name = {spec["output_column_name"]: spec for spec in settings["comparisons"]}
    weights: dict[str, list[float]] = {}
    for comparison in COMPARISONS:
        spec = by_name.get(comparison.name)
        if spec is None:
            raise ModelMismatch(f"the model has no comparison {comparison.name}")
        levels = spec["comparison_levels"]
        conditions = [level["sql_condition"] for level in levels]
        if conditions != [level.sql for level in comparison.levels]:
            raise ModelMismatch(f"the model's {comparison.name} levels differ from these")
        weights[comparison.name] = [
            _level_weight(level, disagreement=index == len(levels) - 1)
            for index, level in enumerate(levels)
        ]
    return MatchModel(
        version=version,
        probability_two_random_records_match=settings["probability_two_random_records_match"],
        weights=weights,
    )


def score_pair(
    model: MatchModel, left: Record, right: Record
) -> tuple[float, float, list[ScoredComparison]]:
    """(match weight, match probability, each comparison's level) for two records,
    with Splink's formula: prior weight plus the sum of log2(m/u)."""
    total, levels = score_levels(model, left, right)
    parts = [
        ScoredComparison(comparison, index, model.weights[comparison.name][index])
        for comparison, index in zip(COMPARISONS, levels, strict=True)
    ]
    return total, match_probability(total), parts


def score_levels(model: MatchModel, left: Record, right: Record) -> tuple[float, list[int]]:
    """The match weight and the level of each comparison (the fast path of score_pair)."""
    total = model.prior_weight
    levels = []
    for comparison in COMPARISONS:
        index = comparison.level_of(left, right)
        total += model.weights[comparison.name][index]
        levels.append(index)
    return total, levels


def match_probability(match_weight: float) -> float:
    if match_weight > 1000:
        return 1.0
    if match_weight < -1000:
        return 0.0
    factor = 2.0**match_weight
    return factor / (1 + factor)
