"""Finding a child in the person index by what a worker knows (issue 11, item 3).

The live matcher (openmash.linkage.matcher.match_person) finds people by name, date of
birth, NHS number and UPN and ranks them. A worker searching for a child often knows
less, or something else: only an address, a postcode, a contact's reference, part of a
surname, or a name with no date of birth. Each of those is one capped, indexed lookup
here (contact reference: the contact's unique reference; postcode: index_postcode;
first line of address: index_address_upper; part of a surname and first name:
index_family_prefix; a surname that sounds the same with the start of a first name:
index_sound_given_prefix; the last three are PostgreSQL pattern indexes, linkage migration
0005). On PostgreSQL all the lookups go in one statement. Everything found, by
the matcher or a lookup, is scored against what was typed with the matcher's own model
and comparisons, so all results are ranked on one scale with the matcher's explanation.

The caller says whose records may be found (`IndexScope`). Which agencies' records is
applied inside every lookup, before its cap, so one agency's researcher is never
crowded out by another agency's records; which contacts, and children only, is applied
to the few rows found (a join in every lookup would take it off its index). Nothing
outside the scope is ever returned.
"""

from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

import jellyfish
from django.db import connection
from django.db.models import IntegerField, Q, QuerySet, Value
from django.db.models.functions import Upper

from openmash.contacts.codes import CHILD_ROLES
from openmash.linkage.comparisons import (
    Record,
    comparison_record_for_person,
    match_probability,
    score_levels,
)
from openmash.linkage.matcher import (
    current_model,
    explanation_words,
    match_person,
    pair_score,
    record_from_row,
)
from openmash.linkage.models import AgencyIndexSettings, IndexedPerson, IndexSource
from openmash.people.identifiers import postcode_is_valid, postcode_normal
from openmash.people.standardise import given_name_forms, name_standard

# Most rows any one lookup returns (as the matcher's CANDIDATES_PER_KEY).
LOOKUP_CAP = 200
# The matcher is asked for this many candidates: it scores all it finds anyway, and a
# researcher's own records must not be cut off by records they cannot see.
MATCHER_LIMIT = 200
# MASH staff see nearly every record (not adults in contacts, not an agency's hidden
# index): this many of the matcher's best leave enough for the page.
MATCHER_LIMIT_MASH = 75
# Shortest part of a surname or address looked up by its start.
SHORTEST_PREFIX = 2


@dataclass(frozen=True)
class SearchTerms:
    """What the worker typed (names already split into given and family)."""

    given_names: str = ""
    family_name: str = ""
    date_of_birth: date | None = None
    nhs_number: str = ""
    upn: str = ""
    postcode: str = ""
    address: str = ""
    reference: str = ""

    @property
    def the_other_way_round(self) -> "SearchTerms | None":
        """The same terms with the first names and the surname swapped, when both were
        typed: "Wright Chloe" is as likely Chloe Wright as a Wright called Chloe (the
        page says either order will do)."""
        if not (self.given_names and self.family_name):
            return None
        return replace(self, given_names=self.family_name, family_name=self.given_names)

    @property
    def readings(self) -> list["SearchTerms"]:
        """Each name order the worker may have meant: as typed, then the other way round
        when both names were typed."""
        other = self.the_other_way_round
        return [self] if other is None else [self, other]

    def comparison_record(self) -> Record:
        """The terms as the matcher compares them with an index record."""
        return comparison_record_for_person(
            unique_id=0,
            given_names=self.given_names,
            family_name=self.family_name,
            date_of_birth=self.date_of_birth,
            postcode=self.postcode,
            nhs_number=self.nhs_number,
            upn=self.upn,
        )

    def shown(self) -> dict[str, Any]:
        """The terms as an explanation names them beside the record's values."""
        return {
            "given_names": self.given_names,
            "family_name": self.family_name,
            "date_of_birth": self.date_of_birth,
            "sex": "",
            "postcode": self.postcode,
            "nhs_number": self.nhs_number,
            "upn": self.upn,
        }

    @property
    def comparable(self) -> bool:
        """Whether anything was typed that the matcher compares (so a probability means
        something); a reference or an address alone finds people but scores nobody."""
        return bool(
            self.given_names
            or self.family_name
            or self.date_of_birth
            or self.nhs_number
            or self.upn
            or self.postcode
        )


@dataclass(frozen=True)
class IndexScope:
    """Whose index records a search may find.

    every_contact: the children named in any contact (MASH staff); otherwise only those
    in the contacts `contact_ids` selects (a query of contact ids; None for none).
    agency_id: only that agency's records; otherwise every agency's but `hidden_agency_ids`.
    children_only: the children named in contacts (finding a child); False also finds the
    adults (a subject access request may be a parent's).
    """

    every_contact: bool
    contact_ids: QuerySet[Any] | None = None
    agency_id: int | None = None
    hidden_agency_ids: frozenset[int] = field(default_factory=frozenset)
    children_only: bool = True

    def q(self) -> Q:
        contacts = Q(source=IndexSource.CONTACT)
        if self.children_only:
            contacts &= Q(contact_person__role__in=sorted(CHILD_ROLES))
        if not self.every_contact:
            if self.contact_ids is None:
                contacts = Q(pk__in=[])
            else:
                contacts &= Q(contact_person__contact_id__in=self.contact_ids)
        agencies = Q(source=IndexSource.AGENCY)
        if self.agency_id is not None:
            agencies &= Q(agency_id=self.agency_id)
        elif self.hidden_agency_ids:
            agencies &= ~Q(agency_id__in=sorted(self.hidden_agency_ids))
        return (contacts | agencies) & Q(withdrawn_at__isnull=True)

    def lookup_q(self) -> Q:
        """The part of the scope a lookup applies before its cap, without a join (so the
        lookup stays on its index): records not withdrawn, and only the agencies' records
        the viewer may see. Whose contacts, and children only, `q` settles on the few
        rows found."""
        narrowed = Q(withdrawn_at__isnull=True)
        if self.agency_id is not None:
            narrowed &= Q(agency_id=self.agency_id) | Q(source=IndexSource.CONTACT)
        elif self.hidden_agency_ids:
            narrowed &= ~Q(agency_id__in=sorted(self.hidden_agency_ids))
        return narrowed


@dataclass(frozen=True)
class Found:
    """One index record found, best first in `search_index`'s answer."""

    indexed_person_id: int
    # None when nothing comparable was typed (found by reference or address only).
    probability: float | None
    # The matcher's words per field, then how the record was found where the matcher
    # does not say it ("contact reference", "address starts with what you typed").
    explanation: list[str]
    source: str
    contact_person_id: int | None
    agency_id: int | None


def address_key(value: str) -> str:
    """The first line of an address as looked up: upper case, single spaces."""
    return " ".join((value or "").replace("\x00", "").split()).upper()


def _starts(forms: tuple[str, ...], letters: int) -> Q:
    """A first name starting as any of these forms does, by its first `letters`."""
    either = Q()
    for start in sorted({form[:letters] for form in forms}):
        either |= Q(given_std__startswith=start)
    return either


def _lookups(terms: SearchTerms) -> list[tuple[str, Q]]:
    """(why found, condition) for each lookup the terms allow, beyond the matcher's."""
    found: list[tuple[str, Q]] = []
    if terms.reference:
        found.append(
            ("contact reference", Q(contact_person__contact__reference=terms.reference.upper()))
        )
    if terms.postcode and postcode_is_valid(terms.postcode):
        normal = postcode_normal(terms.postcode)
        found.append(("", Q(postcode_std=normal)))
    address = address_key(terms.address)
    if len(address) >= SHORTEST_PREFIX:
        found.append(("address starts with what you typed", Q(address_upper__startswith=address)))
    family = name_standard(terms.family_name)
    forms = given_name_forms(terms.given_names)
    if family:
        sound = jellyfish.soundex(family)
        if forms:
            # A surname that sounds the same, and a first name (or a formal form of it:
            # "Kate", Catherine) that starts with the same two letters, then the same
            # letter: the closer first, each capped.
            found.append(("", Q(family_sound=sound) & _starts(forms, 2)))
            if not terms.date_of_birth:
                found.append(("", Q(family_sound=sound) & _starts(forms, 1)))
        else:
            found.append(("", Q(family_sound=sound)))
        if terms.date_of_birth:
            # With a date of birth the matcher finds part of a name, or names the other
            # way round, by the date; the lookup above is for a date that is wrong.
            return found
        if len(family) >= SHORTEST_PREFIX:
            # Part of a surname, and of a first name.
            starts = Q(family_std__startswith=family)
            if forms:
                starts &= _starts(forms, 2)
            found.append(("", starts))
        # The names the other way round: the first word typed, or all the words before
        # the last (a double-barrelled surname typed first), as the surname.
        for surname in dict.fromkeys([*forms[:1], name_standard(terms.given_names)]):
            if surname and surname != family:
                found.append(
                    (
                        "",
                        Q(family_sound=jellyfish.soundex(surname))
                        & Q(given_std__startswith=family[:2]),
                    )
                )
        # A double-barrelled surname typed with a space ("Quennell Ashworth"): the word
        # before the last is part of the surname, not a middle name.
        words = terms.given_names.split()
        if len(words) >= 2:
            joined = name_standard(f"{words[-1]} {terms.family_name}")
            first_forms = given_name_forms(" ".join(words[:-1]))
            if joined and first_forms:
                found.append(
                    ("", Q(family_sound=jellyfish.soundex(joined)) & _starts(first_forms, 2))
                )
    return found


def _looked_up(terms: SearchTerms, scope: IndexScope) -> list[tuple[int, str]]:
    """(index record id, why found) from every lookup the terms allow, each capped: in
    one statement where the database takes a UNION of capped queries (PostgreSQL), else
    one query per lookup."""
    lookups = _lookups(terms)
    if not lookups:
        return []
    people = IndexedPerson.objects.annotate(address_upper=Upper("address"))
    narrowed = scope.lookup_q()
    capped = [
        people.filter(condition)
        .filter(narrowed)
        .annotate(lookup=Value(n, output_field=IntegerField()))
        .values_list("pk", "lookup")[:LOOKUP_CAP]
        for n, (_, condition) in enumerate(lookups)
    ]
    if len(capped) > 1 and connection.features.supports_slicing_ordering_in_compound:
        pairs = list(capped[0].union(*capped[1:], all=True))
    else:
        pairs = [pair for query in capped for pair in query]
    return [(pk, lookups[n][0]) for pk, n in pairs]


def _matcher_candidates(terms: SearchTerms, *, limit: int) -> dict[int, tuple[float, list[str]]]:
    if not (
        terms.given_names
        or terms.family_name
        or terms.date_of_birth
        or terms.nhs_number
        or terms.upn
    ):
        return {}
    found = match_person(
        given_names=terms.given_names,
        family_name=terms.family_name,
        date_of_birth=terms.date_of_birth,
        postcode=terms.postcode,
        nhs_number=terms.nhs_number,
        upn=terms.upn,
        limit=limit,
        known_by_other_names=True,
    )
    return {
        candidate.indexed_person_id: (candidate.probability, candidate.explanation)
        for candidate in found
    }


def highest_probability(terms: SearchTerms) -> float | None:
    """The probability the matcher gives a record that agrees exactly with everything
    typed (the better name order): the most any result of the search can score. None
    when nothing comparable was typed. A surname alone, a date of birth alone or an NHS
    number alone cannot lift any record to the suggestion threshold, however well it
    fits: the words shown beside such a search's results say how much of what was typed
    each fits, not how likely each is to be the child (openmash.enquiries.presenters.search)."""
    if not terms.comparable:
        return None
    model = current_model()
    return max(
        match_probability(score_levels(model, record, record)[0])
        for record in (reading.comparison_record() for reading in terms.readings)
    )


def known_by(row: dict[str, Any]) -> Record:
    """A record as a search compares it: its other names are first names it is known by
    (someone searching for Barty finds Bartholomew, known as Barty)."""
    return record_from_row(row, known_by_other_names=True)


def search_index(terms: SearchTerms, *, scope: IndexScope, limit: int = 25) -> list[Found]:
    """The index records in scope that fit the terms, most probable first (ties by
    name), at most `limit`. Queries: the matcher's (one for each name order typed), the
    lookups' (one on PostgreSQL), one for the rows.

    Every record found is scored with the model's fast path; only those shown get the
    matcher's explanation in words."""
    # A researcher sees one agency's records of the whole index: the matcher's best few
    # may all be others', so it is asked for more.
    limit_asked = MATCHER_LIMIT if scope.agency_id is not None else MATCHER_LIMIT_MASH
    # Each name order the worker may have meant, each record scored by the better one.
    readings = terms.readings
    from_matcher: dict[int, tuple[float, list[str]]] = {}
    for reading in readings:
        for pk, scored in _matcher_candidates(reading, limit=limit_asked).items():
            if pk not in from_matcher or scored[0] > from_matcher[pk][0]:
                from_matcher[pk] = scored
    why: dict[int, list[str]] = {}
    for pk, words in _looked_up(terms, scope):
        reasons = why.setdefault(pk, [])
        if words and words not in reasons:
            reasons.append(words)
    wanted = set(from_matcher) | set(why)
    if not wanted:
        return []
    rows: list[dict[str, Any]] = [
        dict(row)
        for row in IndexedPerson.objects.filter(pk__in=sorted(wanted)).filter(scope.q()).values()
    ]
    queries = [reading.comparison_record() for reading in readings]
    comparable = terms.comparable
    model = current_model()
    # (probability, name to order ties by, record id, row, the reading that scored it)
    ranked: list[tuple[float, str, int, dict[str, Any], int]] = []
    for row in rows:
        pk = row["id"]
        best = 0
        if pk in from_matcher:
            probability = from_matcher[pk][0]
        elif comparable:
            record = known_by(row)
            scores = [match_probability(score_levels(model, query, record)[0]) for query in queries]
            probability = max(scores)
            best = scores.index(probability)
        else:
            probability = 0.0
        order_name = f"{row['family_name'].casefold()} {row['given_names'].casefold()}"
        ranked.append((probability, order_name, pk, row, best))
    ranked.sort(key=lambda item: (-item[0], item[1], item[2]))
    found = []
    for probability, _, pk, row, best in ranked[:limit]:
        if pk in from_matcher:
            explanation = list(from_matcher[pk][1])
        elif comparable:
            _, _, parts = pair_score(queries[best], known_by(row), model=model)
            explanation = explanation_words(parts, readings[best].shown(), row)
        else:
            explanation = []
        explanation += [words for words in why.get(pk, []) if words not in explanation]
        found.append(
            Found(
                indexed_person_id=pk,
                probability=probability if comparable else None,
                explanation=explanation,
                source=row["source"],
                contact_person_id=row["contact_person_id"],
                agency_id=row["agency_id"],
            )
        )
    return found


def agencies_hidden_from_mash() -> frozenset[int]:
    """The agencies whose index is not shown to MASH staff (openmash.linkage.models.
    AgencyIndexSettings): their own researchers alone find their records."""
    return frozenset(
        AgencyIndexSettings.objects.filter(visible_to_mash_screeners=False).values_list(
            "agency_id", flat=True
        )
    )


__all__ = [
    "Found",
    "IndexScope",
    "SearchTerms",
    "address_key",
    "agencies_hidden_from_mash",
    "search_index",
]
